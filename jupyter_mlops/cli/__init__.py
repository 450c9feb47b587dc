"""`jupyter mlops ...`: the CLI door, for terminals and CI.

One module per area (`project`, `jobs`, `features`, `deployments`, `monitoring`), each
with `add_parsers(verbs)` and its `VERBS` table; the option sets it shares with `%mlops`
are declared once in `options`, a module per area. Here: the parser, the verb table, and
the one place a domain error becomes a line on stderr and exit status 1.
"""

from __future__ import annotations

import argparse
import sys

from ..errors import MLOpsError
from ..services import Services
from ..version import __version__
from . import (
    deployments,
    features,
    jobs,
    lineage,
    models,
    monitoring,
    parameters,
    project,
    scoring,
    team,
    tuning,
)

DESCRIPTION = (
    "`jupyter mlops ...`: the CLI door, for terminals and CI. Same services as the others."
)

# In the order `jupyter mlops --help` lists their verbs.
AREAS = (project, jobs, tuning, scoring, features, models, deployments, monitoring, lineage, team)
VERBS = {verb: act for area in AREAS for verb, act in area.VERBS.items()}
# "verb" or "verb action": what only reads, and so never creates a home.
READS = set().union(*(area.READS for area in AREAS))
# Verbs that need no project's stores (`team` starts the servers they would live on).
STANDALONE = set().union(*(getattr(area, "STANDALONE", ()) for area in AREAS))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="jupyter mlops", description=DESCRIPTION)
    parser.add_argument("--version", action="version", version=__version__)
    parser.add_argument(
        "--home", help="MLOps home folder (default: $JUPYTER_MLOPS_HOME, else .mlops/ upward)"
    )
    parser.add_argument("--state-url", help="SQLAlchemy URL of the state DB")
    verbs = parser.add_subparsers(dest="verb", metavar="VERB", required=True)
    for area in AREAS:
        area.add_parsers(verbs)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser().parse_args(parameters.protect(argv))
    try:
        if args.verb in STANDALONE:
            return VERBS[args.verb](None, args)
        services = Services.from_env(home=args.home, state_url=args.state_url)
        if _reads_only(args) and services.config.home_missing():
            # Opening the stores would create the home: nothing is recorded, say so.
            print(no_home(services.config.home), file=sys.stderr)
            return 0
        return VERBS[args.verb](services, args)
    except MLOpsError as err:
        # A mistake the user can fix: one line, no traceback, and a failing CI step.
        print(f"jupyter mlops {args.verb}: {err.message}", file=sys.stderr)
        return 1


def _reads_only(args: argparse.Namespace) -> bool:
    return args.verb in READS or f"{args.verb} {getattr(args, 'action', '')}" in READS


def no_home(home) -> str:
    """What a reading verb of either door (this one, `%mlops`) answers without a home."""
    return (
        f"no MLOps home at {home}: nothing recorded here yet "
        "(submitting or running a job, tracking a run or deploying creates it)"
    )
