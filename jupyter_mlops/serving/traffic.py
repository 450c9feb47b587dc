"""How a deployment's traffic is split, as the router is told and as the doors show it.

The split follows from the deployment's row: the serving version takes everything
until a candidate is ready; then, by the candidate's strategy, a canary takes its
percentage, a shadow gets a copy of every request (its answers dropped), blue/green
switches everything to it at once while the old version stands by. `replace` never
splits: the supervisor switches as soon as the candidate is ready. Promote makes the
candidate the serving version; rollback drops it. A ready standby of the serving version
(see standby.py) is listed with weight 0: the router sends it only what the routed
processes refuse or drop.
"""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

from . import endpoints
from .records import DeploymentStatus, Strategy
from .router_server import STANDBY, STATS_PATH

# Requests the candidate must have answered in the window before its budget is judged.
DEFAULT_MIN_REQUESTS = 20


def routes_path(home: Path, name: str) -> Path:
    return home / "deployments" / name / "routes.json"


def backends(row: dict) -> list[dict]:
    """The route table for the row: ready serving processes and their weights."""
    table = _split(row)
    standby = (row["router"] or {}).get("standby") or {}
    if (
        table
        and standby.get("ready_at")
        and standby.get("pid") is not None
        and standby.get("model_version") == row["model_version"]
    ):
        table.append(_backend(STANDBY, row["model_version"], standby["port"], 0.0))
    return table


def _split(row: dict) -> list[dict]:
    table = []
    if row["status"] == DeploymentStatus.READY and row["pid"] is not None:
        table.append(_backend("stable", row["model_version"], row["port"], 100.0))
    candidate = row["candidate"]
    if not candidate or not candidate.get("ready_at") or candidate.get("pid") is None:
        return table
    strategy = candidate["spec"]["strategy"]
    version, port = candidate["model_version"], candidate["port"]
    if strategy["type"] == Strategy.CANARY:
        for backend in table:
            backend["weight"] = 100.0 - strategy["percent"]
        table.append(_backend("candidate", version, port, float(strategy["percent"])))
    elif strategy["type"] == Strategy.SHADOW:
        table.append({**_backend("candidate", version, port, 0.0), "shadow": True})
    elif strategy["type"] == Strategy.BLUE_GREEN:
        for backend in table:
            backend["weight"] = 0.0  # standing by, warm, for a rollback
        table.append(_backend("candidate", version, port, 100.0))
    return table


def _backend(role: str, version: str, port: int, weight: float) -> dict:
    return {"role": role, "version": version, "port": port, "weight": weight, "shadow": False}


def traffic(row: dict) -> dict:
    """The split as the doors show it: who serves, with what share of requests."""
    table = {b["role"]: b for b in backends(row)}
    candidate = row["candidate"]
    shown = {"stable": {"version": row["model_version"], "weight": 100.0}, "candidate": None}
    if "stable" in table:
        shown["stable"]["weight"] = table["stable"]["weight"]
    if candidate:
        routed = table.get("candidate")
        shown["candidate"] = {
            "version": candidate["model_version"],
            "mode": candidate["spec"]["strategy"]["type"],
            "weight": routed["weight"] if routed else 0.0,
            "status": DeploymentStatus.READY
            if candidate.get("ready_at")
            else DeploymentStatus.STARTING,
        }
    return shown


def publish(home: Path, name: str, table: list[dict]) -> bool:
    """Write the route table if it changed; whether it did (the router is then told)."""
    path = routes_path(home, name)
    try:
        current = json.loads(path.read_text())
    except (OSError, ValueError):
        current = {}
    if current.get("backends") == table:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    staged = path.with_name(f".{uuid.uuid4().hex}.tmp")
    generation = current.get("generation", 0) + 1
    staged.write_text(json.dumps({"generation": generation, "backends": table}))
    os.replace(staged, path)
    return True


def stats(host: str, port: int, timeout: float = 1.0) -> dict | None:
    """The router's counts per version over its window; None when it does not answer."""
    try:
        status, body = endpoints.call(host, port, "GET", STATS_PATH, timeout=timeout)
    except OSError:
        return None
    return json.loads(body) if status == 200 else None


def over_budget(row: dict, counted: dict | None) -> str | None:
    """Why the ready candidate breaks its deployment's budget, or None."""
    candidate = row["candidate"]
    budget = (candidate or {}).get("spec", {}).get("budget")
    if not budget or not candidate.get("ready_at") or counted is None:
        return None
    seen = counted["versions"].get(candidate["model_version"])
    minimum = budget.get("min_requests", DEFAULT_MIN_REQUESTS)
    if seen is None or seen["requests"] < minimum:
        return None
    window = f"over its last {seen['requests']} requests"
    limit = budget.get("error_rate")
    if limit is not None and seen["error_rate"] > limit:
        return f"error rate {seen['error_rate']:.1%} > budget {limit:.1%} {window}"
    limit = budget.get("p99_ms")
    if limit is not None and seen["p99_ms"] is not None and seen["p99_ms"] > limit:
        return f"p99 latency {seen['p99_ms']:.0f} ms > budget {limit:g} ms {window}"
    return None


def metrics(row: dict, counted: dict | None) -> dict:
    """The live figures the doors show, per version and in total."""
    window = (counted or {}).get("window_seconds", 0.0)
    per_version = (counted or {}).get("versions", {})
    shown = traffic(row)
    versions = []
    for role in ("stable", "candidate"):
        entry = shown[role]
        if entry is None:
            continue
        seen = per_version.get(entry["version"], _EMPTY)
        versions.append({"version": entry["version"], "role": role, "weight": entry["weight"]})
        versions[-1].update(seen)
    total_requests = sum(v["requests"] for v in per_version.values())
    total_errors = sum(v["errors"] for v in per_version.values())
    # Across versions, the busiest one's latency: quantiles do not add up.
    busiest = max(per_version.values(), key=lambda v: v["requests"], default=_EMPTY)
    return {
        "available": counted is not None,
        "window_seconds": window,
        "versions": versions,
        "total": {
            "requests": total_requests,
            "rate": sum(v["rate"] for v in per_version.values()),
            "errors": total_errors,
            "error_rate": total_errors / total_requests if total_requests else 0.0,
            "p50_ms": busiest["p50_ms"],
            "p99_ms": busiest["p99_ms"],
        },
    }


_EMPTY = {
    "requests": 0,
    "rate": 0.0,
    "errors": 0,
    "error_rate": 0.0,
    "p50_ms": None,
    "p99_ms": None,
}
