"""Shared by the benchmarks: timing and the one RESULT line format per target."""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable


def parser(description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    return parser


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
