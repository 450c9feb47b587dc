"""`jupyter mlops gate | alias`: a registered model's gate and its aliases from a terminal
or CI, where `gate NAME --evaluate VERSION` exits 2 when the version fails the gate."""

from __future__ import annotations

import argparse
import json

from ..services import Services
from . import options

FAILED = 2  # exit status of `gate --evaluate` for a version that fails


def add_parsers(verbs) -> None:
    gate = options.gates.gate(verbs)
    gate.add_argument("--json", action="store_true", help="print the gate or verdict as JSON")

    alias = verbs.add_parser("alias", help="point a registered model's alias at a version")
    alias.add_argument("name", help="registered model name")
    alias.add_argument("version", help="version number")
    alias.add_argument("alias", help="alias name (champion, ...)")
    options.gates.forced_move(alias)


def gate(services: Services, args: argparse.Namespace) -> int:
    gates = services.gates
    spec = options.gates.gate_request(args, services.config)
    if spec is not None:
        found = gates.set(args.name, spec)
        if not args.json and args.evaluate is None:
            print(f"gate of {args.name} set: {_said(found['gate'])}")
    if args.evaluate is None:
        if spec is None or args.json:
            found = gates.get(args.name)
            print(json.dumps(found, indent=2) if args.json else _shown(found))
        return 0
    verdict = gates.evaluate(args.name, args.evaluate)
    print(
        json.dumps(verdict, indent=2) if args.json else "\n".join(options.gates.gate_lines(verdict))
    )
    return 0 if verdict["verdict"] == "pass" else FAILED


def alias(services: Services, args: argparse.Namespace) -> int:
    done = services.registry.set_alias(
        args.name, args.alias, args.version, force=args.force, reason=args.reason
    )
    forced = f" (forced: {done['reason']})" if done.get("forced") else ""
    print(f"{done['name']}@{done['alias']} -> version {done['version']}{forced}")
    return 0


def _shown(found: dict) -> str:
    if found["gate"] is None:
        return f"{found['name']} has no gate (set one with --dataset, --label and --metric)"
    return f"gate of {found['name']}: {_said(found['gate'])}"


def _said(gate: dict) -> str:
    metrics = "; ".join(
        f"{name} " + ", ".join(f"{k}={v:g}" for k, v in bounds.items())
        for name, bounds in gate["metrics"].items()
    )
    return (
        f"alias {gate['alias']}, holdout {json.dumps(gate['dataset'])}, label "
        f"{gate['label']}: {metrics}"
    )


VERBS = {"gate": gate, "alias": alias}
READS: set[str] = set()
