"""The domain core that every door (server, kernel, CLI) calls.

A door builds one `Services` from a resolved configuration and calls its verbs;
it never reaches into the stores itself. Stores open lazily, so a magic or a CLI
call that needs only the configuration touches no database.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timezone
from functools import cache
from typing import TYPE_CHECKING

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from . import __version__
from .config import MLOpsConfig, resolve
from .lazy import locked_cached_property
from .store import StateStore
from .store import lease as leases

if TYPE_CHECKING:  # imported lazily: MLflow costs a second to import
    from .features.service import FeatureStore
    from .jobs.service import Jobs
    from .monitoring.service import Monitoring
    from .registry.service import Registry
    from .serving.service import Deployments
    from .tracking.service import Tracking


class Services:
    def __init__(self, config: MLOpsConfig):
        self.config = config
        self._lock = threading.Lock()
        self._store: StateStore | None = None

    @classmethod
    def from_env(cls, **overrides) -> Services:
        return cls(resolve(**overrides))

    @property
    def store(self) -> StateStore:
        with self._lock:
            if self._store is None:
                store = StateStore(self.config.state_url)
                store.migrate()
                self._store = store
            return self._store

    def status(self, *, now: float | None = None) -> dict:
        """What the project runs on and whether an agent is acting on it."""
        config = self.config
        with self.store.begin() as conn:
            lease = leases.read(conn)
        now = time.time() if now is None else now
        return {
            "version": __version__,
            "home": str(config.home),
            "tracking_uri": redact_url(config.tracking_uri),
            "artifact_root": str(config.artifact_root),
            "state_url": redact_url(config.state_url),
            "executor": config.executor,
            "agent": {
                "state": "active" if lease.active(now) else "inactive",
                "holder": lease.holder if lease.active(now) else None,
                "acquired_at": _iso(lease.acquired_at),
                "renewed_at": _iso(lease.renewed_at),
                "expires_at": _iso(lease.expires_at or None),
            },
        }

    @locked_cached_property
    def tracking(self) -> Tracking:
        from .tracking.service import Tracking

        return Tracking(self.config)

    @locked_cached_property
    def registry(self) -> Registry:
        from .registry.service import Registry

        return Registry(self.tracking)

    @locked_cached_property
    def features(self) -> FeatureStore:
        from .features.service import FeatureStore

        return FeatureStore(self)

    @locked_cached_property
    def jobs(self) -> Jobs:
        from .jobs.service import Jobs

        return Jobs(self)

    @locked_cached_property
    def deployments(self) -> Deployments:
        from .serving.service import Deployments

        return Deployments(self)

    @locked_cached_property
    def monitoring(self) -> Monitoring:
        from .monitoring.service import Monitoring

        return Monitoring(self)

    def close(self) -> None:
        features = self.__dict__.get("features")
        if features is not None:
            features.close()
        if self._store is not None:
            self._store.dispose()


@cache
def default() -> Services:
    """The process's services, from the environment: what the Python API uses."""
    return Services.from_env()


def redact_url(url: str) -> str:
    """A database or tracking URL with its password masked, safe to show anywhere."""
    try:
        # SQLAlchemy parses any scheme://user:password@host URL, http(s) included.
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url  # no userinfo to hide ("databricks", a plain path)


def _iso(epoch: float | None) -> str | None:
    if epoch is None:
        return None
    return datetime.fromtimestamp(epoch, timezone.utc).isoformat()
