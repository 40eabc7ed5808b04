"""Capacity model: from tokens a day to replicas, GPUs, utilisation and what provisioning costs."""

#: the package's modules (import the one you need: none is loaded here)
__all__ = ["catalog", "checks", "config", "plan", "provisioning", "sizing", "throughput"]
