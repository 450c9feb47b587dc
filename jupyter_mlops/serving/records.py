"""Deployments and their events in the state DB.

Doors (deploy, undeploy) and the supervisor both change a deployment's row; each
change reads and writes it inside one locked transaction (`locked`), so a request
from a kernel never interleaves with a supervisor decision about the same row.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, select
from sqlalchemy import update as sql_update

from ..enums import StrEnum
from ..errors import NotFound
from ..store import StateStore
from ..store.tables import deployment_events, deployments


class DeploymentStatus(StrEnum):
    """Where a deployment (its serving version) stands; the supervisor moves it."""

    PENDING = "pending"  # asked for: the supervisor starts its process at its next step
    STARTING = "starting"  # its process runs, not ready yet (loading, test prediction)
    READY = "ready"
    STOPPING = "stopping"  # undeployed: its processes are answering what they hold
    STOPPED = "stopped"
    FAILED = "failed"


class Strategy(StrEnum):
    """How a new version of a deployed name rolls out beside the serving one."""

    REPLACE = "replace"
    CANARY = "canary"
    SHADOW = "shadow"
    BLUE_GREEN = "blue_green"


# A process is (or may be) running for the deployment in these.
ACTIVE = (
    DeploymentStatus.PENDING,
    DeploymentStatus.STARTING,
    DeploymentStatus.READY,
    DeploymentStatus.STOPPING,
)
# Its serving process is up (or on its way up).
SERVING = (DeploymentStatus.STARTING, DeploymentStatus.READY)
# Serving, or on its way to: deploying the same version again changes nothing.
LIVE = (DeploymentStatus.PENDING, *SERVING)
# What waiting for a deployment waits for: it serves, or it was given up on.
SETTLED = (DeploymentStatus.READY, DeploymentStatus.FAILED, DeploymentStatus.STOPPED)


@contextmanager
def locked(state: StateStore, name: str) -> Iterator[tuple[Connection, dict | None]]:
    """The row (None if there is none) with the write lock held until the block ends:
    sqlite's write lock (BEGIN IMMEDIATE), PostgreSQL's row lock (FOR UPDATE)."""
    with state.begin(immediate=True) as conn:
        row = conn.execute(
            select(deployments).where(deployments.c.name == name).with_for_update()
        ).one_or_none()
        yield conn, None if row is None else dict(row._mapping)


def insert(conn: Connection, **row) -> None:
    now = time.time()
    conn.execute(
        deployments.insert().values(
            restarts=0, fast_crashes=0, retiring=[], created_at=now, updated_at=now, **row
        )
    )


def update(conn: Connection, name: str, **fields) -> None:
    conn.execute(
        sql_update(deployments)
        .where(deployments.c.name == name)
        .values(updated_at=time.time(), **fields)
    )


def get(state: StateStore, name: str) -> dict:
    with state.begin() as conn:
        row = conn.execute(select(deployments).where(deployments.c.name == name)).one_or_none()
    if row is None:
        raise NotFound(f"no deployment {name!r}", field="name")
    return dict(row._mapping)


def rows(state: StateStore) -> list[dict]:
    with state.begin() as conn:
        found = conn.execute(select(deployments).order_by(deployments.c.name))
        return [dict(row._mapping) for row in found]


def add_event(conn: Connection, name: str, kind: str, message: str) -> None:
    conn.execute(
        deployment_events.insert().values(
            deployment=name, at=time.time(), kind=kind, message=message[:2000]
        )
    )


def events(state: StateStore, name: str, limit: int = 200) -> list[dict]:
    """Newest first."""
    query = (
        select(deployment_events)
        .where(deployment_events.c.deployment == name)
        .order_by(deployment_events.c.id.desc())
        .limit(limit)
    )
    with state.begin() as conn:
        return [dict(row._mapping) for row in conn.execute(query)]


def claimed_ports(conn: Connection, name: str) -> set[int]:
    """Ports the other active deployments listen on (routers and serving processes), or
    will start on."""
    found = conn.execute(
        select(deployments.c.port, deployments.c.candidate, deployments.c.router).where(
            deployments.c.name != name, deployments.c.status.in_(ACTIVE)
        )
    )
    claimed = set()
    for port, candidate, router in found:
        claimed.add(port)
        claimed.add((candidate or {}).get("port"))
        claimed.add((router or {}).get("port"))
        claimed.add(((router or {}).get("standby") or {}).get("port"))
    return {port for port in claimed if port is not None}
