"""Shared by the benchmarks: timing and the one RESULT line format per target."""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable


def parser(description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument(
        "--tracking-uri",
        help="an MLflow tracking store to run against instead of the embedded sqlite one, "
        "e.g. the team stack's server (`jupyter mlops team up` prints it)",
    )
    parser.add_argument(
        "--state-url", help="a state DB instead of the embedded one (the team's PostgreSQL)"
    )
    return parser


def stores(args: argparse.Namespace) -> dict:
    """The `resolve()` arguments for the stores the command line named (none: embedded)."""
    named = {"tracking_uri": args.tracking_uri, "state_url": args.state_url}
    return {key: value for key, value in named.items() if value}


def median_seconds(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def result(name: str, ours: float, anchor: float, unit: str, target: str, met: bool) -> None:
    """`ratio` is anchor/ours: how many times better ours is (higher is better)."""
    ratio = anchor / ours if ours else float("inf")
    print(
        f"RESULT {name}: ours={ours:.4g}{unit} anchor={anchor:.4g}{unit} "
        f"ratio={ratio:.3g} target={target} {'met' if met else 'missed'}",
        flush=True,
    )
