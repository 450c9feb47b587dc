"""`jupyter mlops run | jobs ...`: notebook jobs, run here for CI or queued for the agent."""

from __future__ import annotations

import argparse
import json
import sys

from ..config import redact_url
from ..services import Services
from . import options


def add_parsers(verbs) -> None:
    run = verbs.add_parser("run", help="run a notebook as a job here and now (for CI)")
    options.jobs.job(run, queued=False)

    jobs = verbs.add_parser("jobs", help="notebook jobs run by the agent")
    actions = jobs.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="recent executions")
    options.jobs.execution_filter(listing)
    listing.add_argument("--json", action="store_true", help="print JSON")
    options.jobs.submit(actions)
    options.jobs.executions(
        actions,
        ("logs", "print an execution's log"),
        ("reproduce", "run a succeeded execution again here; exit 1 unless metrics match"),
    )


def run(services: Services, args: argparse.Namespace) -> int:
    """Execute synchronously; exit 1 when the notebook fails, so CI fails with it."""
    execution = services.jobs.run_here(options.jobs.job_request(args, services.config))
    root = services.config.root_dir
    print(f"status: {execution['status']}")
    print(f"output notebook: {root / execution['output_path']}")
    # CI logs are read by many: the URI without its credentials.
    where = redact_url(services.config.tracking_uri)
    print(f"mlflow run: {execution['mlflow_run_id']} ({where})")
    if execution["error"]:
        error = execution["error"]
        where = f" in cell {error['cell']}" if error.get("cell") is not None else ""
        print(f"error{where}: {error['ename']}: {error['evalue']}", file=sys.stderr)
    return 0 if execution["status"] == "succeeded" else 1


def jobs(services: Services, args: argparse.Namespace) -> int:
    return ACTIONS[args.action](services, args)


def submit(services: Services, args: argparse.Namespace) -> int:
    submitted = services.jobs.submit(options.jobs.job_request(args, services.config))
    if "definition" in submitted:
        print(f"scheduled {submitted['definition']['id']}: {args.cron} ({args.timezone})")
    else:
        print(f"queued {submitted['execution']['id']}")
    return 0


def listing(services: Services, args: argparse.Namespace) -> int:
    found = services.jobs.executions(status=args.status)
    if args.json:
        print(json.dumps(found, indent=2, default=str))
        return 0
    for execution in found:
        progress = execution["progress"]
        print(
            f"{execution['id']}  {execution['status']:<9}  "
            f"{progress['done']}/{progress['total']}  {execution['spec']['notebook']}"
        )
    return 0


def cancel(services: Services, args: argparse.Namespace) -> int:
    print(f"{args.execution_id}: {services.jobs.cancel(args.execution_id)['status']}")
    return 0


def logs(services: Services, args: argparse.Namespace) -> int:
    sys.stdout.write(services.jobs.logs(args.execution_id)["text"])
    return 0


def reproduce(services: Services, args: argparse.Namespace) -> int:
    """Exit 1 unless the new execution's metrics match the old one's, for CI."""
    report = services.jobs.reproduce(args.execution_id)
    print(f"new execution {report['execution']['id']}: {report['execution']['status']}")
    print("metrics match" if report["reproduced"] else "NOT reproduced")
    for key, values in report["metric_differences"].items():
        print(f"  metric {key}: {values['before']} -> {values['after']}")
    for key, values in report["input_differences"].items():
        print(f"  input {key}: {values['before']} -> {values['after']}")
    return 0 if report["reproduced"] else 1


ACTIONS = {
    "list": listing,
    "submit": submit,
    "cancel": cancel,
    "logs": logs,
    "reproduce": reproduce,
}
VERBS = {"run": run, "jobs": jobs}
READS = {"jobs list", "jobs logs"}
