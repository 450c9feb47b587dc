"""`jupyter mlops features ...`: list views, apply a definitions file, ingest, materialize,
and show a view's data rules with their results (`quality`)."""

from __future__ import annotations

import argparse
import json
import runpy
import sys
import traceback
from pathlib import Path

from ..errors import InvalidInput
from ..services import Services
from . import options

# The order `apply` needs within one file: a view's entities, then a service's views.
KINDS = ("entity", "view", "service")


def add_parsers(verbs) -> None:
    features = verbs.add_parser("features", help="the feature store: views, ingestion, online")
    actions = features.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="feature views, newest versions")
    options.project.feature_query(listing)
    listing.add_argument("--json", action="store_true", help="print JSON")
    apply = actions.add_parser(
        "apply", help="run a Python file and register the entities, views and services it defines"
    )
    apply.add_argument("file", help="a .py file of definitions")
    ingest = actions.add_parser("ingest", help="validate a parquet or CSV file into a view")
    ingest.add_argument("view", help="feature view name")
    ingest.add_argument("path", nargs="?", help="parquet or CSV file (default: the view's source)")
    quality = actions.add_parser(
        "quality", help="a view's data rules and their results over its newest batches"
    )
    quality.add_argument("view", help="feature view name")
    quality.add_argument("--limit", type=int, default=10, help="batches to show (default 10)")
    quality.add_argument("--json", action="store_true", help="print JSON")
    materialize = actions.add_parser(
        "materialize", help="load the latest values with event time in [START, END] online"
    )
    materialize.add_argument("start", help="ISO 8601 date or time")
    materialize.add_argument("end", help="ISO 8601 date or time")
    materialize.add_argument(
        "--view", action="append", dest="views", metavar="VIEW", help="only this view (repeat)"
    )


def features(services: Services, args: argparse.Namespace) -> int:
    store = services.features
    if args.action == "list":
        found = store.views(args.query)
        if args.json:
            print(json.dumps(found, indent=2, default=str))
        for view in [] if args.json else found:
            print(
                f"{view['name']}  v{view['version']}  {view['rows']} rows  "
                f"last event {view['last_event'] or '-'}  {', '.join(view['features'])}"
            )
    elif args.action == "apply":
        for done in store.apply(definitions(Path(args.file))):
            state = "changed" if done["changed"] else "unchanged"
            print(f"{done['kind']} {done['name']}  v{done['version']}  {state}")
    elif args.action == "ingest":
        # A path on the command line is the caller's, so relative to where they stand;
        # the store still refuses one outside the project root.
        path = None if args.path is None else str(Path(args.path).resolve())
        done = store.ingest(args.view, path)
        print(f"ingested {done['rows']} rows into {done['view']} v{done['version']}")
        for warning in done["warnings"]:
            print(f"warning: {warning}")
    elif args.action == "quality":
        show_quality(store.quality(args.view, limit=args.limit), args.json)
    elif args.action == "materialize":
        for done in store.materialize(args.start, args.end, args.views):
            print(f"materialized {done['rows']} keys of {done['view']} v{done['version']}")
    return 0


def show_quality(quality: dict, as_json: bool) -> None:
    if as_json:
        print(json.dumps(quality, indent=2, default=str))
        return
    if not quality["rules"]:
        print("no data rules")
    for rule in quality["rules"]:
        print(f"rule  {rule['column']}: {rule['rule']} {rule['bound']}  ({rule['severity']})")
    for batch in quality["batches"]:
        failed = [r for r in batch["results"] if not r["passed"]]
        state = f"{len(failed)} failed" if failed else "all passed"
        print(f"batch {batch['batch']}  v{batch['version']}  {batch['rows']} rows  {state}")
        for result in batch["results"]:
            mark = "ok  " if result["passed"] else "FAIL"
            print(
                f"  {mark} {result['column']}: {result['rule']} {result['bound']}"
                f"  observed {result['observed']}  ({result['failing_rows']} rows failing)"
            )
    for warning in quality["warnings"]:
        print(f"warning (batch {warning['batch']}): {warning['message']}")


def definitions(path: Path) -> list:
    """The Entity, FeatureView and FeatureService objects a definitions file leaves in its
    globals, entities first, each (kind, name) once."""
    from ..features import Entity, FeatureService, FeatureView

    if path.suffix != ".py" or not path.is_file():
        raise InvalidInput(f"no Python file at {str(path)!r}", field="file")
    found = _run(path.resolve())
    chosen: dict[tuple[str, str], object] = {}
    for value in found.values():
        if not isinstance(value, Entity | FeatureView | FeatureService):
            continue
        key = (value.kind, value.name)
        # Specs, not the objects: a view's DataFrame source has no truth value to compare.
        if key in chosen and chosen[key].spec() != value.spec():
            raise InvalidInput(f"{path} defines {value.kind} {value.name!r} twice, differently")
        chosen[key] = value
    if not chosen:
        raise InvalidInput(f"{path} defines no Entity, FeatureView or FeatureService")
    return sorted(chosen.values(), key=lambda o: KINDS.index(o.kind))


def _run(path: Path) -> dict:
    # As `python FILE` would: the file's folder importable, so it may import its neighbours.
    sys.path.insert(0, str(path.parent))
    try:
        return runpy.run_path(str(path), run_name="__mlops_definitions__")
    except SyntaxError as err:
        raise InvalidInput(f"{path.name} line {err.lineno}: SyntaxError: {err.msg}") from None
    except Exception as err:
        frames = traceback.extract_tb(err.__traceback__)
        lines = [f.lineno for f in frames if f.filename == str(path)]
        where = f" line {lines[-1]}" if lines else ""
        raise InvalidInput(f"{path.name}{where}: {type(err).__name__}: {err}") from None
    finally:
        sys.path.remove(str(path.parent))


VERBS = {"features": features}
READS = {"features list", "features quality"}
