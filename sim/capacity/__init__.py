"""Capacity model: from tokens a day to replicas, GPUs, utilisation and what provisioning costs."""
