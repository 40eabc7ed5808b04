"""Command line: tcosim run | validate | capacity | sweep | optimize | compare | prices | bench. Exit 0 ok, 2 bad
input, 1 internal error, 130/143 interrupted."""

from __future__ import annotations

import argparse
import gc
import importlib
import os
import signal
import sys
import traceback
import warnings
from collections.abc import Callable

from sim.cli.args import build_parser
from sim.errors import ExperimentError, UsageError, printable

#: each command's handler, imported when the command runs (validate never loads scipy or the engine)
HANDLERS = {"run": "sim.cli.commands:cmd_run", "validate": "sim.cli.commands:cmd_validate",
            "capacity": "sim.cli.capacity:cmd_capacity", "prices": "sim.cli.commands:cmd_prices",
            "compare": "sim.cli.commands:cmd_compare", "sweep": "sim.cli.sweep:cmd_sweep",
            "bench": "sim.cli.commands:cmd_bench", "fit": "sim.cli.fit:cmd_fit",
            "optimize": "sim.cli.optimize:cmd_optimize"}


def handler(command: str) -> Callable[[argparse.Namespace], int]:
    module, name = HANDLERS[command].split(":")
    return getattr(importlib.import_module(module), name)


class Interrupted(KeyboardInterrupt):
    """SIGTERM, raised in the main thread so that the same clean-up runs as for Ctrl-C."""


def _on_sigterm(signum: int, frame: object) -> None:
    raise Interrupted(signum)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            status = handler(args.command)(args)
        _debug_warnings(caught)
        return status
    except ExperimentError as exc:
        for line in exc.lines():
            print(line, file=sys.stderr)
        return 2
    except UsageError as exc:
        for line in exc.lines():
            print(line, file=sys.stderr)
        return 2
    except BrokenPipeError:  # the reader went away (| head): stop quietly, as a shell tool does
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141
    except KeyboardInterrupt as exc:
        what = "terminated" if isinstance(exc, Interrupted) else "interrupted"
        print(f"\ntcosim: {what}; workers stopped, no partial report was left", file=sys.stderr)
        return 143 if isinstance(exc, Interrupted) else 130
    except Exception as exc:  # noqa: BLE001 - the CLI's last line of defence
        if os.environ.get("TCOSIM_DEBUG"):
            traceback.print_exc()
        print(printable(f"tcosim: internal error: {type(exc).__name__}: {exc} (set TCOSIM_DEBUG=1 for a traceback)"),
              file=sys.stderr)
        return 1
    finally:
        signal.signal(signal.SIGTERM, previous)


def _debug_warnings(caught: list) -> None:
    """Python warnings never reach the user; with TCOSIM_DEBUG=1 they are listed for developers."""
    if caught and os.environ.get("TCOSIM_DEBUG"):
        for w in caught:
            print(f"tcosim debug: {w.category.__name__}: {w.message} ({w.filename}:{w.lineno})", file=sys.stderr)


#: exit statuses of an interrupted run (128 + the signal)
INTERRUPTED = (130, 143)


#: the command's cyclic garbage collector: a young collection every 50,000 allocations instead of
#: CPython's 700. A run keeps most of what it creates (modules, models, chart artists) and makes few
#: cycles, so the default mostly rescans live objects: measured on `tcosim run` of the bench file at
#: 100,000 paths (gc.callbacks), 417 young, 38 middle and 3 full collections took 0.24 s; with this,
#: 6 young collections took 0.09 s. Set in the console command only, not for library users.
GC_THRESHOLDS = (50_000, 20, 100)


def entry() -> None:
    """The console command: run main(); after an interrupt leave at once (the workers are already
    killed; waiting on the pool's threads at interpreter exit could block)."""
    gc.set_threshold(*GC_THRESHOLDS)
    status = main()
    if status in INTERRUPTED:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)
    sys.exit(status)


__all__ = ["INTERRUPTED", "Interrupted", "build_parser", "entry", "main"]
