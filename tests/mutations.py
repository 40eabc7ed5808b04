"""Mutation probe: small deliberate bugs, one at a time, each run against the whole suite; a
mutation the suite does not catch names a test that is missing. Not a test itself (slow):

    python -m tests.mutations                              # every mutation
    python -m tests.mutations "CVaR over the whole sample"  # some of them
    python -m tests.mutations -- -k "not golden"            # with extra pytest arguments
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: name -> (file, text, mutated text)
MUTATIONS: dict[str, tuple[str, str, str]] = {
    "ties counted as full wins": (
        "sim/analysis/cheapest.py", "return np.asarray(winners / winners.sum(axis=0)[None, :], dtype=float)",
        "return winners.astype(float)"),
    "claim tolerance ignored": (
        "sim/analysis/claims.py", "abs(self.diff) <= self.claim.tolerance", "abs(self.diff) <= 0.01"),
    "budget > becomes >=": (
        "sim/engine.py", "(total > budget).sum(axis=0)", "(total >= budget).sum(axis=0)"),
    "safe monthly budget from the mean month": (
        "sim/engine.py", "total.sum(axis=0), total.max(axis=0), months_over",
        "total.sum(axis=0), total.mean(axis=0), months_over"),
    "CVaR over the whole sample": (
        "sim/analysis/quantiles.py", "return var, var + float(excess.mean()) / (1.0 - level / 100.0)",
        "return var, float(np.mean(values))"),
    "GPU lead time ignored": (
        "sim/capacity/provisioning.py", "provisioned = _with_lead_time(needed, prov.lead_time_months)",
        "provisioned = needed"),
    "sensitivity swing from the top half": (
        "sim/analysis/sensitivity.py", "high_cut = np.quantile(x, 0.9, axis=1, keepdims=True)",
        "high_cut = np.quantile(x, 0.5, axis=1, keepdims=True)"),
    "DES replacement time ignored": (
        "sim/ops/des.py", "yield self.env.timeout(self.replacement())", "yield self.env.timeout(0.0)"),
    "effective bandwidth a third too high": (
        "sim/capacity/throughput.py", "EFF_BW = 2.9979 / H100_SPEC_BW_TBPS",
        "EFF_BW = 1.33 * 2.9979 / H100_SPEC_BW_TBPS"),
    "log jump mean as log of the mean": (
        "distributions/transforms.py", "return self.base.expect(lambda s: np.log1p(np.maximum(s, FLOOR)))",
        "return float(np.log1p(max(self.base.mean, FLOOR)))"),
    "cached and output lines swapped": (
        "sim/options/api.py", 'INPUT, CACHED, OUTPUT = "input tokens", "cached input tokens", "output tokens"',
        'INPUT, CACHED, OUTPUT = "input tokens", "output tokens", "cached input tokens"'),
    "spare failover for every fault": (
        "sim/ops/des.py", "if serving_hit and spare_free:", "if serving_hit and self.fi.spare > 0:"),
}


def probe(name: str, pytest_args: list[str]) -> tuple[bool, float, str]:
    """Apply one mutation, run the suite (stopping at the first failure), restore the file."""
    rel, old, new = MUTATIONS[name]
    path = ROOT / rel
    source = path.read_text(encoding="utf-8")
    if source.count(old) != 1:
        raise SystemExit(f"{name}: the text to mutate is not (exactly once) in {rel}")
    path.write_text(source.replace(old, new), encoding="utf-8")
    t0 = time.perf_counter()
    try:
        proc = subprocess.run([sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *pytest_args],
                              cwd=ROOT, capture_output=True, text=True)
    finally:
        path.write_text(source, encoding="utf-8")
    failed = [line for line in proc.stdout.splitlines() if line.startswith("FAILED")]
    return proc.returncode != 0, time.perf_counter() - t0, failed[0].removeprefix("FAILED ") if failed else ""


def main(argv: list[str]) -> int:
    names, pytest_args = (argv[:argv.index("--")], argv[argv.index("--") + 1:]) if "--" in argv else (argv, [])
    survived = 0
    for name in names or list(MUTATIONS):
        caught, seconds, by = probe(name, pytest_args)
        survived += not caught
        print(f"{'caught  ' if caught else 'SURVIVED'} {name} ({seconds:.0f} s){': ' + by if by else ''}", flush=True)
    return 1 if survived else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
