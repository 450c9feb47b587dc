"""`jupyter mlops drift | labels | performance | triggers`: monitoring of deployments from
a terminal or CI, where `drift --fail-on-drift` turns drift into a failing step."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ..errors import InvalidInput
from ..monitoring.drift import VERDICTS
from ..monitoring.reference import said
from ..services import Services
from . import options


def add_parsers(verbs) -> None:
    drift = options.monitoring.drift(verbs)
    drift.add_argument("--json", action="store_true", help="print the whole report as JSON")
    drift.add_argument(
        "--fail-on-drift",
        action="store_true",
        help="exit 2 when any column has drifted, 3 when there is no reference to judge by",
    )

    options.monitoring.reference(verbs)

    options.monitoring.labels(verbs).add_argument(
        "file", type=Path, help="CSV or parquet with request_id, row (optional), label"
    )

    performance = options.deployments.deployment_verb(
        verbs, "performance", "live metrics from posted labels"
    )
    options.monitoring.window(performance)

    options.monitoring.triggers(verbs, json_help="print them as JSON")


def drift(services: Services, args: argparse.Namespace) -> int:
    report = services.monitoring.drift(args.name, args.window, args.version)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        _print_drift(report)
    if not args.fail_on_drift:
        return 0
    return {"drifted": 2, "no_reference": 3}.get(report["verdict"], 0)


def reference(services: Services, args: argparse.Namespace) -> int:
    change, value = options.monitoring.reference_value(args)
    if change:
        services.monitoring.set_reference(args.name, value)
    found = services.monitoring.reference(args.name)
    print(f"{args.name}: {said(found)}")
    return 0


def labels(services: Services, args: argparse.Namespace) -> int:
    import pandas as pd

    from ..monitoring.labels import items_from_frame

    try:
        if args.file.suffix.lower() == ".parquet":
            frame = pd.read_parquet(args.file)
        else:
            # Ids stay text: "007" must not become 7.
            frame = pd.read_csv(args.file, dtype={"request_id": str})
    except (OSError, ValueError) as err:
        raise InvalidInput(f"cannot read {str(args.file)!r}: {err}") from None
    posted = services.monitoring.post_labels(args.name, items_from_frame(frame))
    print(f"{posted['labels']} labels posted to {args.name}")
    return 0


def performance(services: Services, args: argparse.Namespace) -> int:
    print(json.dumps(services.monitoring.performance(args.name, args.window, args.version)))
    return 0


def triggers(services: Services, args: argparse.Namespace) -> int:
    found = services.firings.view(args.name)
    if args.json:
        print(json.dumps(found, indent=2))
        return 0
    trigger = found["trigger"]
    if trigger is None:
        print(f"{args.name} has no retraining trigger")
    else:
        print(f"{args.name}: retrain with {trigger['job']!r} on {', '.join(trigger['on'])}")
    for firing in found["firings"]:
        version = f" v{firing['model_version']}" if firing["model_version"] else ""
        print(f"{firing['fired_at']}  {firing['status']:<11}{version}  {firing['reason']}")
        if firing["message"]:
            print(f"    {firing['message']}")
    return 0


def _print_drift(report: dict) -> None:
    window, against, thresholds = report["window"], report["reference"], report["thresholds"]
    print(
        f"{report['deployment']} v{report['model_version']}: {window['rows']} rows in the last "
        f"{window['seconds']}s against the {against['source']} ({against['rows']} rows): "
        f"{VERDICTS[report['verdict']]} (drifted at PSI >= {thresholds['psi']:g}, judged from "
        f"{thresholds['min_rows']} rows)"
    )
    if report.get("note"):
        print(f"note: {report['note']}")
    shown = [*report["features"], *([report["prediction"]] if report["prediction"] else [])]
    width = max([len(c["name"]) for c in shown] + [7])
    print(f"{'column'.ljust(width)}  {'kind':<11}  {'psi':>7}  {'test':<4}  {'p-value':>9}  drift")
    for column in shown:
        verdict = {True: "DRIFTED", False: "no", None: "-"}[column["drifted"]]
        note = f"  ({column['note']})" if column.get("note") else ""
        print(
            f"{column['name'].ljust(width)}  {column['kind'] or '-':<11}  "
            f"{_number(column['psi'], '7.3f')}  {column['test'] or '-':<4}  "
            f"{_number(column['p_value'], '9.2g')}  {verdict}{note}"
        )
    if report["performance"]:
        print("performance: " + json.dumps(report["performance"]))


def _number(value, spec: str) -> str:
    width = int(spec.split(".")[0])
    return "-".rjust(width) if value is None else format(value, spec)


VERBS = {
    "drift": drift,
    "reference": reference,
    "labels": labels,
    "performance": performance,
    "triggers": triggers,
}
READS = {"drift", "performance", "triggers"}
