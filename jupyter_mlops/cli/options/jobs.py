"""Jobs: a notebook job's options, `submit` under a door's job verb, and the job spec
body they build; what a door does to one execution."""

from __future__ import annotations

import argparse

from ...config import MLOpsConfig
from ...jobs.spec import request as job_spec_request
from .. import parameters


def job(parser: argparse.ArgumentParser, *, queued: bool) -> None:
    """A notebook job's options, named as `job_request` reads them. `queued`: for the
    agent's queue (`jobs submit`, `%mlops job submit`), which adds GPUs and a schedule;
    otherwise run here and now (`jupyter mlops run`), where they have no meaning."""
    parser.add_argument("notebook", help="notebook path, relative to the project root")
    parameters.add(parser)
    parser.add_argument("--kernel", help="kernel name (default: the notebook's)")
    parser.add_argument("--experiment", help="MLflow experiment (default: jobs)")
    parser.add_argument("--timeout", type=float, help="seconds the whole job may run")
    parser.add_argument(
        "--max-attempts", type=int, help="run a failed job again, up to N runs in all"
    )
    parser.add_argument(
        "--backoff", type=float, help="seconds before the first retry, doubled at each (30)"
    )
    if not queued:
        parser.set_defaults(gpus=0, cron=None, timezone="UTC", requirement=[])
        return
    parser.add_argument("--gpus", type=int, default=0, help="GPUs the job needs")
    parser.add_argument(
        "--requirement",
        action="append",
        default=[],
        metavar="REQ",
        help="a pip requirement installed for this job only (executor ray; repeat for more)",
    )
    parser.add_argument("--cron", help="run on this schedule (5-field cron) instead of now")
    parser.add_argument("--timezone", default="UTC", help="time zone of the cron schedule")


def submit(actions) -> argparse.ArgumentParser:
    """`submit NOTEBOOK ...` under a door's job verb (`jobs` in the CLI, `job` in the magic)."""
    parser = actions.add_parser("submit", help="queue a notebook for the agent")
    job(parser, queued=True)
    return parser


def job_request(args: argparse.Namespace, config: MLOpsConfig) -> dict:
    """The job spec body of the options `job` declared, as parsed; a parameters file is
    read from the project root of `config`."""
    return job_spec_request(
        args.notebook,
        parameters.resolve(args, lambda name: config.under_root(name, "parameters_file")),
        kernel=args.kernel,
        experiment=args.experiment,
        timeout=args.timeout,
        gpus=args.gpus,
        cron=args.cron,
        timezone=args.timezone,
        max_attempts=args.max_attempts,
        backoff_seconds=args.backoff,
        requirements=args.requirement,
    )


def executions(actions, *own: tuple[str, str]) -> None:
    """`cancel EXECUTION_ID`, and a door's own actions on one execution ((name, help))."""
    for action, said in (("cancel", "cancel a queued or running execution"), *own):
        actions.add_parser(action, help=said).add_argument("execution_id")


def execution_filter(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--status", help="only these statuses, e.g. running,queued")
