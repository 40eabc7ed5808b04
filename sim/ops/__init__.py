"""Operations: GPU failures, repairs, outages, patching, upgrades and the engineers they need,
simulated per path with SimPy (des) or drawn with numpy ignoring contention (vectorized)."""
