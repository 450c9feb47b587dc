"""`jupyter mlops score MODEL INPUT --output NAME`: score a dataset as a job (queued for
the agent, scheduled, or `--here` now, as CI wants), and `jupyter mlops scores [NAME]`:
the outputs and their versions."""

from __future__ import annotations

import argparse
import json
import sys

from ..services import Services
from . import options


def add_parsers(verbs) -> None:
    parser = options.scoring.score(verbs)
    parser.add_argument(
        "--here", action="store_true", help="score now in this process; exit 1 if it fails"
    )
    listing = verbs.add_parser("scores", help="scoring outputs and their versions")
    listing.add_argument("name", nargs="?", help="one output's versions")
    listing.add_argument("--json", action="store_true", help="print them as JSON")


def score(services: Services, args: argparse.Namespace) -> int:
    body = options.scoring.score_request(args)
    if args.here:
        if "schedule" in body:
            print("jupyter mlops score: --here scores now: leave out --cron", file=sys.stderr)
            return 1
        execution = services.scoring.run_here(body)
        print(f"status: {execution['status']}")
        print(f"mlflow run: {execution['mlflow_run_id']}")
        if execution["error"]:
            print(f"error: {execution['error']['evalue']}", file=sys.stderr)
            return 1
        newest = services.scoring.output_versions(args.output)[0]
        print(f"output: {args.output} version {newest['version']} ({newest['path']})")
        return 0
    submitted = services.scoring.submit(body)
    if "definition" in submitted:
        print(f"scheduled {submitted['definition']['id']}: {args.cron} ({args.timezone})")
    else:
        print(f"queued {submitted['execution']['id']}")
    return 0


def scores(services: Services, args: argparse.Namespace) -> int:
    found = (
        [{"name": args.name, "versions": services.scoring.output_versions(args.name)}]
        if args.name
        else services.scoring.output_names()
    )
    if args.json:
        print(json.dumps(found, indent=2))
        return 0
    for output in found:
        for version in output["versions"]:
            print(
                f"{output['name']}/{version['version']}  {version.get('rows', '?')} rows  "
                f"{version.get('model', '?')}  {version.get('input', '?')}  {version['path']}"
            )
    return 0


VERBS = {"score": score, "scores": scores}
READS = {"scores"}
