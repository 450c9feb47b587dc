"""`jupyter mlops tune NOTEBOOK --space ... --metric M`: start an Optuna search the agent
runs (each trial one job), and `jupyter mlops searches [ID] [--json] [--cancel]`."""

from __future__ import annotations

import argparse
import json

from ..services import Services
from . import options


def add_parsers(verbs) -> None:
    options.tuning.tune(verbs)
    listing = verbs.add_parser("searches", help="hyperparameter searches, or one of them")
    listing.add_argument("id", nargs="?", help="one search: its trials")
    listing.add_argument("--json", action="store_true", help="print as JSON")
    listing.add_argument("--cancel", action="store_true", help="cancel the search ID")


def tune(services: Services, args: argparse.Namespace) -> int:
    search = services.tuning.submit(options.tuning.tune_request(args, services.config))["search"]
    print(f"search {search['id']}: {search['search']['trials']} trials of {search['notebook']}")
    return 0


def searches(services: Services, args: argparse.Namespace) -> int:
    if args.cancel:
        if not args.id:
            print("jupyter mlops searches: --cancel needs a search ID")
            return 1
        found = [services.tuning.cancel(args.id)]
    elif args.id:
        found = [services.tuning.search(args.id)]
    else:
        found = services.tuning.searches()
    if args.json:
        print(json.dumps(found, indent=2))
        return 0
    for search in found:
        best = search["best"]
        counts = search["counts"]
        said = f"best {search['search']['metric']}={best['value']:.6g}" if best else "no result"
        print(
            f"{search['id']}  {search['status']}  {search['notebook']}  "
            f"{counts['complete']} done, {counts['running']} running, {counts['pruned']} pruned, "
            f"{counts['fail']} failed  {said}"
        )
        if args.id:
            for trial in search["trials"]:
                print(f"  #{trial['number']} {trial['state']} {trial['params']} {trial['value']}")
    return 0


VERBS = {"tune": tune, "searches": searches}
READS = {"searches"}
