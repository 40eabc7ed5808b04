"""The command line's parser: every command, its flags, and the value types that refuse bad flags
with a message naming the flag."""

from __future__ import annotations

import argparse

DESCRIPTION = ("Self-host LLM inference or pay an API per token: Monte Carlo cost risk. Exit 0 ok, 2 bad input, "
               "1 internal error.")


def whole(name: str, minimum: int):
    """argparse type: a whole number >= minimum, with a message naming the option."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be a whole number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{name} must be >= {minimum}, got {value}")
        return value

    return parse


def positive(name: str):
    return whole(name, 1)


def workers_or_auto(name: str):
    """argparse type: "auto" or a whole number >= 1."""
    count = positive(name)

    def parse(text: str) -> int | str:
        if text.strip().lower() == "auto":
            return "auto"
        try:
            return count(text)
        except argparse.ArgumentTypeError:
            raise argparse.ArgumentTypeError(f'{name} must be "auto" or a whole number >= 1, got {text!r}') from None

    return parse


#: what "auto" means for the commands that run the experiment many times
AUTO_WORKERS_HELP = "auto: one per CPU, no more than the {0}s nor than fit in memory"


#: the finest --precision asked for: 0.01% of a P95 needs ~10^9 paths already
MIN_PRECISION = 1e-4


def share_arg(text: str) -> float:
    from distributions import parse_number

    try:
        value = parse_number(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--precision must be a share such as 1% or 0.01, got {text!r}") from None
    if not MIN_PRECISION <= value < 1:
        raise argparse.ArgumentTypeError(f"--precision must lie between {100 * MIN_PRECISION:g}% and 100%, got "
                                         f"{text!r} (finer precision needs more paths than any machine holds)")
    return value


def counts(text: str) -> list[int]:
    """'1,8,32' -> [1, 8, 32]: whole numbers from 1 to 100,000."""
    try:
        values = [int(v) for v in text.split(",")]
    except ValueError:
        values = []
    if not values or any(not 1 <= v <= 100_000 for v in values) or len(values) > 64:
        raise argparse.ArgumentTypeError(f"--concurrency: \"{text}\" is not a comma list of whole numbers "
                                         "from 1 to 100,000 (at most 64)")
    return values


def number(name: str, high: float):
    """argparse type: a positive number up to ``high``, with a message naming the option."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = float("nan")
        if not 0 < value <= high:
            raise argparse.ArgumentTypeError(f"{name}: \"{text}\" is not a positive number (at most {high:,g})")
        return value

    return parse


def day(text: str) -> str:
    """argparse type: a calendar day YYYY-MM-DD."""
    import datetime as dt

    try:
        if len(text) != 10:  # fromisoformat would also take 20260724
            raise ValueError(text)
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"--date must be a day such as 2026-11-27, got {text!r}") from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tcosim", description=DESCRIPTION)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="simulate an experiment and write its report")
    run.add_argument("experiment", help="experiment file (TOML)")
    run.add_argument("--paths", type=positive("--paths"), help="Monte Carlo paths (default: the file's)")
    run.add_argument("--seed", type=whole("--seed", 0), help="root seed (default: the file's)")
    run.add_argument("--out", help="report folder (default: reports/<experiment name>)")
    run.add_argument("--workers", type=workers_or_auto("--workers"), default="auto",
                     help=f"processes (default {AUTO_WORKERS_HELP.format('seed block')}; "
                          "results do not depend on it)")
    run.add_argument("--chunk-paths", type=positive("--chunk-paths"), default=None,
                     help="paths per chunk (memory bound; results do not depend on it)")
    run.add_argument("--precision", type=share_arg, default=None,
                     help='add paths until every P95 total is known to this relative precision, e.g. "1%%"')
    run.add_argument("--max-paths", type=positive("--max-paths"), default=1_000_000,
                     help="the cap for --precision (default 1,000,000)")
    run.add_argument("--ops", choices=["vectorized", "des"], default=None,
                     help="operations engine for [options.ops] (default: the file's experiment.ops)")
    run.add_argument("--quiet", action="store_true", help="no progress bar and no summary table")
    val = sub.add_parser("validate", help="check experiment files without simulating")
    val.add_argument("experiments", nargs="+")
    cap = sub.add_parser("capacity", help="a file's candidate setups and median-path GPU plan; or, with --model "
                         "and --gpu, one replica's latency and throughput (no file)")
    cap.add_argument("experiment", nargs="?", help="experiment file (TOML); leave out for the point calculator")
    cap.add_argument("--paths", type=positive("--paths"), default=None,
                     help="paths to pick the median from (default 2000)")
    cap.add_argument("--seed", type=whole("--seed", 0), default=None, help="root seed (default: the file's)")
    cap.add_argument("--out", help="folder for capacity.csv and capacity.txt "
                     "(default: reports/<experiment name>-capacity)")
    cap.add_argument("--workers", type=workers_or_auto("--workers"), default="auto",
                     help=f"processes (default {AUTO_WORKERS_HELP.format('seed block')})")
    cap.add_argument("--ops", choices=["vectorized", "des"], default=None,
                     help="operations engine for [options.ops] (default: the file's experiment.ops)")
    cap.add_argument("--quiet", action="store_true", help="no progress bar and no printed plan")
    point = cap.add_argument_group("point calculator (no experiment file)")
    point.add_argument("--model", help="model catalog name, e.g. llama-3.3-70b")
    point.add_argument("--gpu", help="GPU catalog name, e.g. h100-sxm")
    point.add_argument("--tp", type=positive("--tp"), default=1, help="GPUs per replica (tensor parallel, default 1)")
    point.add_argument("--precision", choices=["bf16", "fp8", "int4"], default="bf16", help="weights (default bf16)")
    point.add_argument("--kv-precision", choices=["bf16", "fp8"], default=None,
                       help="KV cache (default: fp8 with fp8 weights, else bf16)")
    point.add_argument("--prompt", type=positive("--prompt"), default=1000, help="prompt tokens (default 1000)")
    point.add_argument("--output", type=positive("--output"), default=200, help="output tokens (default 200)")
    point.add_argument("--concurrency", type=counts, default=None,
                       help="concurrent requests, comma list (default 1,8,32,64)")
    point.add_argument("--tpot-slo", type=number("--tpot-slo", 1e6), default=None, help="time per output token, ms")
    point.add_argument("--ttft-slo", type=number("--ttft-slo", 1e7), default=None, help="time to first token, ms")
    point.add_argument("--max-batch", type=positive("--max-batch"), default=256,
                       help="the server's batch cap (default 256, vLLM's max_num_seqs)")
    point.add_argument("--server-speedup", type=number("--server-speedup", 10), default=1.0,
                       help="serving stack against the calibrated NIM/TensorRT-LLM profile (vLLM ≈ 0.87; default 1)")
    sw = sub.add_parser("sweep", help="run at each value of one input; find the break-even")
    sw.add_argument("experiment")
    sw.add_argument("--vary", required=True, help='PATH=START:STOP:log|lin:N or PATH=V1,V2,... '
                    '(PATH workload.tokens_per_day scales input and output together)')
    sw.add_argument("--paths", type=positive("--paths"), default=None, help="paths per point (default: the file's)")
    sw.add_argument("--seed", type=whole("--seed", 0), default=None)
    sw.add_argument("--out", help="folder (default: reports/<experiment name>-sweep)")
    sw.add_argument("--workers", type=workers_or_auto("--workers"), default="auto",
                    help=f"processes, a point each (default {AUTO_WORKERS_HELP.format('point')}; "
                         "results do not depend on it)")
    sw.add_argument("--ops", choices=["vectorized", "des"], default=None,
                    help="operations engine for [options.ops] (default: the file's experiment.ops)")
    sw.add_argument("--quiet", action="store_true", help="no progress bar and no printed break-evens")
    sw.add_argument("--dask", default=None, help='run the points on Dask: "local" or a scheduler tcp://host:port')
    opt = sub.add_parser("optimize", help="search decisions (e.g. reserved GPUs x term) on common random numbers")
    opt.add_argument("experiment")
    opt.add_argument("--decide", action="append", required=True,
                     help="PATH=SPEC: values to search (V1,V2,..., START:STOP:lin|log:N, or A..B integers); "
                          "repeat for several decisions (their grid is searched)")
    opt.add_argument("--objective", choices=["mean", "p90", "p95", "cvar95"], default="mean",
                     help="what to minimise of the option's horizon total (default mean)")
    opt.add_argument("--subject-to", action="append", default=[],
                     help='a chance constraint, e.g. "P(total > 400k) <= 5%%" (metrics: total, worst_month)')
    opt.add_argument("--option", default=None, help="the option optimised (default: the one the decisions name)")
    opt.add_argument("--paths", type=positive("--paths"), default=None,
                     help="paths per candidate (default: the file's)")
    opt.add_argument("--seed", type=whole("--seed", 0), default=None)
    opt.add_argument("--out", help="folder (default: reports/<experiment name>-optimize)")
    opt.add_argument("--workers", type=workers_or_auto("--workers"), default="auto",
                     help=f"processes, a candidate each (default {AUTO_WORKERS_HELP.format('candidate')}; "
                          "results do not depend on it)")
    opt.add_argument("--ops", choices=["vectorized", "des"], default=None,
                     help="operations engine for [options.ops] (default: the file's experiment.ops)")
    opt.add_argument("--quiet", action="store_true", help="no progress bar and no printed result")
    opt.add_argument("--dask", default=None, help='run the candidates on Dask: "local" or a scheduler tcp://host:port')
    cmp_ = sub.add_parser("compare", help="differences of headline numbers between two reports")
    cmp_.add_argument("before")
    cmp_.add_argument("after")
    cmp_.add_argument("--out", help="folder for compare.csv (default: reports/compare/BEFORE-vs-AFTER)")
    fit = sub.add_parser("fit", help="fit a monthly series (--as process) or a sample (--as distribution) from a "
                         "CSV; prints the TOML snippet")
    fit.add_argument("file", help="CSV file, one row per month (process) or per observation (distribution)")
    fit.add_argument("--as", dest="kind", choices=["process", "distribution"], required=True)
    fit.add_argument("--column", default=None, help="the column to fit (default: the last numeric one)")
    fit.add_argument("--out", help="folder for fit.txt and fit.png (default: reports/fit/<file name>)")
    prices = sub.add_parser("prices", help="list the API price catalog")
    prices.add_argument("--file", help="a LiteLLM model_prices_and_context_window JSON to list instead")
    prices.add_argument("--date", type=day, default=None,
                        help="the day the --file's prices were checked, YYYY-MM-DD (default: its modification day)")
    bench = sub.add_parser("bench", help="time the engine on the fixed benchmark experiment")
    bench.add_argument("--paths", type=positive("--paths"), nargs="+", default=None,
                       help="sizes (default 100,000 and 1,000,000; 10,000 with --ops or --sweep)")
    bench.add_argument("--workers", type=workers_or_auto("--workers"), default=1,
                       help='processes (default 1, the figures to compare; "auto" as `tcosim run` by default)')
    bench.add_argument("--repeat", type=positive("--repeat"), default=3,
                       help="fresh processes per size; the median is shown (default 3)")
    variant = bench.add_mutually_exclusive_group()
    variant.add_argument("--capacity", action="store_const", const="capacity", dest="variant", default="",
                         help="the same experiment with the self-hosted GPUs sized by the capacity model")
    variant.add_argument("--ops", action="store_const", const="ops", dest="variant",
                         help="... and the SimPy operations model on that fleet")
    variant.add_argument("--sweep", action="store_const", const="sweep", dest="variant",
                         help="a 13-point volume sweep of the --capacity experiment, its GPU fixed and with 4 "
                              "candidate GPUs (--paths per point, default 10,000); then the whole `tcosim sweep` "
                              "of experiments/article_uncertain.toml, where the repository is at hand")
    return parser


__all__ = ["MIN_PRECISION", "build_parser", "counts", "day", "number", "positive", "share_arg", "whole"]
