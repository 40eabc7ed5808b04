"""Operations: GPU failures, repairs, outages, patching, upgrades and the engineers they need,
simulated per path with SimPy (des) or drawn with numpy ignoring contention (vectorized)."""

#: the package's modules (import the one you need: none is loaded here)
__all__ = ["checks", "config", "des", "inputs", "price", "vectorized"]
