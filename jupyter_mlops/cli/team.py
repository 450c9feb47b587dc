"""`jupyter mlops team up | down | status`: the team stack (PostgreSQL, an MLflow tracking
server, a Ray head, JupyterLab) on this machine, for trying the multi-user setup."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from ..team import NAMES, Ports, Team

DEFAULT_DIR = ".mlops-team"


def add_parsers(verbs) -> None:
    team = verbs.add_parser("team", help="start, stop or show the team stack on this machine")
    actions = team.add_subparsers(dest="action", metavar="ACTION", required=True)
    up = actions.add_parser("up", help="start PostgreSQL, MLflow, Ray and JupyterLab")
    down = actions.add_parser("down", help="stop everything `up` started (data is kept)")
    status = actions.add_parser("status", help="what runs where, and what answers")
    for parser in (up, down, status):
        parser.add_argument(
            "--dir", default=DEFAULT_DIR, help=f"the stack's folder (default: ./{DEFAULT_DIR})"
        )
    status.add_argument("--json", action="store_true", help="print team.json with states")
    up.add_argument(
        "--cpus", type=int, default=os.cpu_count() or 1, help="CPUs Ray offers (default: all)"
    )
    up.add_argument(
        "--gpus",
        type=int,
        help="GPUs Ray offers, declared also where none exist (default: those Ray finds)",
    )
    up.add_argument(
        "--lab",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also start JupyterLab configured for the stack (default: yes)",
    )
    up.add_argument(
        "--timeout",
        type=float,
        default=180.0,
        help="seconds the services have to answer (default: 180)",
    )
    for name, said in (
        ("postgres", "PostgreSQL"),
        ("mlflow", "the MLflow server"),
        ("ray", "Ray's GCS"),
        ("dashboard", "Ray's dashboard and Jobs API"),
        ("lab", "JupyterLab"),
    ):
        up.add_argument(
            f"--{name}-port", type=int, default=0, help=f"port of {said} (default: a free one)"
        )


def team(_services, args: argparse.Namespace) -> int:
    stack = Team(Path(args.dir), root_dir=Path.cwd(), timeout=getattr(args, "timeout", 180.0))
    if args.action == "down":
        stopped = stack.down()
        print(f"stopped {', '.join(stopped)}" if stopped else "nothing was running")
        return 0
    if args.action == "status":
        report = stack.status()
        if args.json:
            print(json.dumps(report, indent=2))
        else:
            print_services(report)
        return 0 if all(s["state"] == "up" for s in report["services"].values()) else 1
    ports = Ports(**{name: getattr(args, f"{name}_port") for name in Ports.__dataclass_fields__})
    report = stack.up(cpus=args.cpus, gpus=args.gpus, lab=args.lab, ports=ports)
    print(f"team stack up in {report['dir']}")
    print_services(report)
    print(f"logs: {report['dir']}/logs/; stop it with: jupyter mlops team down --dir {args.dir}")
    print(f"\n# for a shell, a kernel or the CLI (or: source {report['dir']}/secrets/team.env):")
    for key, value in report["env"].items():
        print(f'export {key}="{value}"')
    return 0


def print_services(report: dict) -> None:
    for name, service in report["services"].items():
        where = {
            "postgres": f"127.0.0.1:{service['port']} (databases mlops_state, mlflow)",
            "mlflow": f"{service.get('url')} (artifacts in {service.get('artifacts')})",
            "ray": f"GCS {service.get('gcs')}, Jobs API {service.get('jobs_api')} "
            f"({service.get('cpus')} CPUs, {service.get('gpus')} GPUs)",
            "lab": f"{service.get('url')} (token in {service.get('token_file')})",
        }[name]
        state = f" [{service['state']}]" if "state" in service else ""
        print(f"  {NAMES[name]:<18} {where}  pid {service['pid']}{state}")


VERBS = {"team": team}
READS: set[str] = set()
# Verbs that start what the stores run on: they come before any project's stores.
STANDALONE = {"team"}
