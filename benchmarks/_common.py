"""Shared by the benchmarks: timing and the one RESULT line format per target."""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable

from jupyter_mlops.config import STATE_URL_ENV, TRACKING_URI_ENV


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
    parser.add_argument(
        "--team",
        action="store_true",
        help="the stores MLFLOW_TRACKING_URI and JUPYTER_MLOPS_STATE_URL name (`source "
        "<stack>/secrets/team.env` first): the state URL holds a password, which a command "
        "line would show to every user of the machine",
    )
    return parser


def stores(args: argparse.Namespace) -> dict:
    """The `resolve()` arguments for the stores the command line named (none: embedded)."""
    named = {"tracking_uri": args.tracking_uri, "state_url": args.state_url}
    if args.team:
        named = {
            "tracking_uri": os.environ.get(TRACKING_URI_ENV),
            "state_url": os.environ.get(STATE_URL_ENV),
        }
        if not any(named.values()):
            raise SystemExit(
                f"--team: neither {TRACKING_URI_ENV} nor {STATE_URL_ENV} is set (source team.env)"
            )
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
