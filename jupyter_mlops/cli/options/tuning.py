"""Hyperparameter searches: `tune`, a job's options and the search's, and the search
body they build (a job spec with `search`)."""

from __future__ import annotations

import argparse

from ...config import MLOpsConfig
from ...errors import InvalidInput
from .jobs import job, job_request


def tune(verbs) -> argparse.ArgumentParser:
    """`tune NOTEBOOK --space ... --metric M`: an Optuna search, each trial one job."""
    parser = verbs.add_parser("tune", help="search hyperparameters: each trial one job run")
    job(parser, queued=True)
    parser.add_argument(
        "--space",
        required=True,
        help='per parameter a range or choices, JSON or YAML: \'{"lr": {"low": 1e-4, '
        '"high": 0.1, "log": true}, "depth": {"choices": [2, 4, 8]}}\'',
    )
    parser.add_argument("--metric", required=True, help="the MLflow metric the notebook logs")
    parser.add_argument("--direction", choices=["minimize", "maximize"], default="minimize")
    parser.add_argument("--sampler", choices=["tpe", "random", "grid", "cmaes"], default="tpe")
    parser.add_argument("--pruner", choices=["median", "hyperband", "none"], default="none")
    parser.add_argument("--trials", type=int, default=20, help="trials in all (20)")
    parser.add_argument("--parallel", type=int, default=1, help="trials at once (1)")
    parser.add_argument("--seed", type=int, help="the sampler's seed")
    parser.add_argument(
        "--search-timeout", type=float, help="seconds after which no new trial starts"
    )
    return parser


def tune_request(args: argparse.Namespace, config: MLOpsConfig) -> dict:
    """The search body (a job spec with `search`) of the options `tune` declared."""
    import yaml

    try:
        space = yaml.safe_load(args.space)
    except yaml.YAMLError:
        raise InvalidInput("--space is neither JSON nor YAML", field="search.space") from None
    search = {
        "metric": args.metric,
        "direction": args.direction,
        "sampler": args.sampler,
        "pruner": args.pruner,
        "space": space,
        "trials": args.trials,
        "parallel": args.parallel,
    }
    if args.seed is not None:
        search["seed"] = args.seed
    if args.search_timeout is not None:
        search["timeout"] = args.search_timeout
    return {**job_request(args, config), "search": search}
