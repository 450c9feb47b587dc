"""`jupyter mlops ...`: the CLI door, for terminals and CI. Same services as the others."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import sys

from . import cli_deployments, cli_features, cli_monitoring
from .agent import Agent
from .config import redact_url
from .errors import MLOpsError
from .services import Services
from .version import __version__


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="jupyter mlops", description=__doc__)
    parser.add_argument("--version", action="version", version=__version__)
    parser.add_argument(
        "--home", help="MLOps home folder (default: $JUPYTER_MLOPS_HOME, else .mlops/ upward)"
    )
    parser.add_argument("--state-url", help="SQLAlchemy URL of the state DB")
    verbs = parser.add_subparsers(dest="verb", metavar="VERB", required=True)

    status = verbs.add_parser("status", help="the stores this project uses and the agent state")
    status.add_argument("--json", action="store_true", help="print JSON")

    agent = verbs.add_parser("agent", help="run the agent headless (scheduler, supervisor)")
    agent.add_argument("--interval", type=float, default=1.0, help="seconds between steps")
    agent.add_argument("--lease-seconds", type=float, default=15.0, help="lease duration")

    run = verbs.add_parser("run", help="run a notebook as a job here and now (for CI)")
    _job_options(run)

    jobs = verbs.add_parser("jobs", help="notebook jobs run by the agent")
    actions = jobs.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="recent executions")
    listing.add_argument("--status", help="e.g. running,queued")
    listing.add_argument("--json", action="store_true", help="print JSON")
    submit = actions.add_parser("submit", help="queue a notebook for the agent")
    _job_options(submit)
    submit.add_argument("--gpus", type=int, default=0, help="GPUs the job needs")
    submit.add_argument("--cron", help="run on this schedule (5-field cron) instead of now")
    submit.add_argument("--timezone", default="UTC", help="time zone of the cron schedule")
    cancel = actions.add_parser("cancel", help="cancel a queued or running execution")
    cancel.add_argument("execution_id")
    logs = actions.add_parser("logs", help="print an execution's log")
    logs.add_argument("execution_id")
    reproduce = actions.add_parser(
        "reproduce", help="run a succeeded execution again here; exit 1 unless metrics match"
    )
    reproduce.add_argument("execution_id")

    cli_features.add_parser(verbs)
    cli_deployments.add_parsers(verbs)
    cli_monitoring.add_parsers(verbs)
    return parser


def _job_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("notebook", help="notebook path, relative to the project root")
    parser.add_argument(
        "-p",
        "--parameter",
        nargs=2,
        action="append",
        default=[],
        metavar=("NAME", "VALUE"),
        help="a parameter value (repeat for more)",
    )
    parser.add_argument("--kernel", help="kernel name (default: the notebook's)")
    parser.add_argument("--experiment", help="MLflow experiment (default: jobs)")
    parser.add_argument("--timeout", type=float, help="seconds the whole job may run")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        services = Services.from_env(home=args.home, state_url=args.state_url)
        return VERBS[args.verb](services, args)
    except MLOpsError as err:
        print(f"jupyter mlops {args.verb}: {err.message}", file=sys.stderr)
        return 1


def status(services: Services, args: argparse.Namespace) -> int:
    report = services.project.status()
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    for key, value in report.items():
        if isinstance(value, dict):
            for sub, subvalue in value.items():
                print(f"{key}.{sub}: {'-' if subvalue is None else subvalue}")
        else:
            print(f"{key}: {value}")
    return 0


def agent(services: Services, args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    # As the Lab server does: this process and what it starts resolve this project, and
    # MLflow's process-wide calls (model info at registration) use its store.
    os.environ.update(services.config.env())
    runner = Agent(
        services.store,
        services.agent_workers(),
        lease_seconds=args.lease_seconds,
        interval=args.interval,
    )

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        # SIGTERM and Ctrl-C end the loop cleanly, so the lease is handed back at
        # once instead of lapsing.
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        logging.info("agent %s on %s", runner.holder, redact_url(services.config.state_url))
        await runner.run(stop)

    asyncio.run(run())
    return 0


def _job_body(args: argparse.Namespace) -> dict:
    from .jobs.spec import request

    return request(
        args.notebook,
        args.parameter,
        kernel=args.kernel,
        experiment=args.experiment,
        timeout=args.timeout,
        gpus=getattr(args, "gpus", 0),
        cron=getattr(args, "cron", None),
        timezone=getattr(args, "timezone", "UTC"),
    )


def run(services: Services, args: argparse.Namespace) -> int:
    """Execute synchronously; exit 1 when the notebook fails, so CI fails with it."""
    execution = services.jobs.run_here(_job_body(args))
    root = services.config.root_dir
    print(f"status: {execution['status']}")
    print(f"output notebook: {root / execution['output_path']}")
    print(f"mlflow run: {execution['mlflow_run_id']} ({services.config.tracking_uri})")
    if execution["error"]:
        error = execution["error"]
        where = f" in cell {error['cell']}" if error.get("cell") is not None else ""
        print(f"error{where}: {error['ename']}: {error['evalue']}", file=sys.stderr)
    return 0 if execution["status"] == "succeeded" else 1


def jobs(services: Services, args: argparse.Namespace) -> int:
    if args.action == "submit":
        submitted = services.jobs.submit(_job_body(args))
        if "definition" in submitted:
            print(f"scheduled {submitted['definition']['id']}: {args.cron} ({args.timezone})")
        else:
            print(f"queued {submitted['execution']['id']}")
    elif args.action == "list":
        found = services.jobs.executions(status=args.status)
        if args.json:
            print(json.dumps(found, indent=2, default=str))
        for execution in [] if args.json else found:
            progress = execution["progress"]
            print(
                f"{execution['id']}  {execution['status']:<9}  "
                f"{progress['done']}/{progress['total']}  {execution['spec']['notebook']}"
            )
    elif args.action == "cancel":
        print(f"{args.execution_id}: {services.jobs.cancel(args.execution_id)['status']}")
    elif args.action == "logs":
        sys.stdout.write(services.jobs.logs(args.execution_id)["text"])
    elif args.action == "reproduce":
        report = services.jobs.reproduce(args.execution_id)
        print(f"new execution {report['execution']['id']}: {report['execution']['status']}")
        print("metrics match" if report["reproduced"] else "NOT reproduced")
        for key, values in report["metric_differences"].items():
            print(f"  metric {key}: {values['before']} -> {values['after']}")
        for key, values in report["input_differences"].items():
            print(f"  input {key}: {values['before']} -> {values['after']}")
        return 0 if report["reproduced"] else 1
    return 0


VERBS = {
    "status": status,
    "agent": agent,
    "run": run,
    "jobs": jobs,
    "features": cli_features.features,
    **cli_deployments.VERBS,
    **cli_monitoring.VERBS,
}


if __name__ == "__main__":
    sys.exit(main())
