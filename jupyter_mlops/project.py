"""What a project runs on and whether an agent acts on it: the status every door shows."""

from __future__ import annotations

import time
from datetime import datetime, timezone

from .config import MLOpsConfig, redact_url
from .jobs.executors import Executor
from .store import StateStore
from .store import lease as leases
from .version import __version__


class Project:
    def __init__(self, config: MLOpsConfig, state: StateStore, executor: type[Executor]):
        self.config = config
        self.state = state
        self.executor = executor

    def status(self, *, now: float | None = None) -> dict:
        config = self.config
        with self.state.begin() as conn:
            lease = leases.read(conn)
        now = time.time() if now is None else now
        return {
            "version": __version__,
            "home": str(config.home),
            "tracking_uri": redact_url(config.tracking_uri),
            "artifact_root": str(config.artifact_root),
            "state_url": redact_url(config.state_url),
            # The UI offers only what the executor can do (GPUs, cancel, a live log).
            "executor": {"name": self.executor.name, "features": self.executor.features.view()},
            "agent": {
                "state": "active" if lease.active(now) else "inactive",
                "holder": lease.holder if lease.active(now) else None,
                "acquired_at": _iso(lease.acquired_at),
                "renewed_at": _iso(lease.renewed_at),
                "expires_at": _iso(lease.expires_at or None),
            },
        }


def dotted(report: dict, prefix: str = "") -> list[tuple[str, object]]:
    """A nested answer as (dotted key, value) pairs: `executor.features.gpus`, as the CLI
    prints the status and the magic shows it."""
    pairs: list[tuple[str, object]] = []
    for key, value in report.items():
        if isinstance(value, dict):
            pairs += dotted(value, f"{prefix}{key}.")
        else:
            pairs.append((f"{prefix}{key}", value))
    return pairs


def _iso(epoch: float | None) -> str | None:
    if epoch is None:
        return None
    return datetime.fromtimestamp(epoch, timezone.utc).isoformat()
