"""The lease that makes exactly one agent act on a state DB at a time.

Each operation is one conditional statement, so two agents racing for the lease
(two Lab servers on one home, a server and `jupyter mlops agent`) cannot both win.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import Connection, and_, case, or_, select, update

from .tables import agent_lease

if TYPE_CHECKING:
    from .db import StateStore

AGENT = "agent"


@dataclass(frozen=True)
class Lease:
    holder: str | None
    host: str | None
    pid: int | None
    acquired_at: float | None
    renewed_at: float | None
    expires_at: float

    def active(self, now: float) -> bool:
        return self.holder is not None and self.expires_at > now


def acquire(
    conn: Connection, holder: str, *, host: str, pid: int, now: float, ttl: float, name: str = AGENT
) -> bool:
    """Take the lease if it is free or expired, or renew it if `holder` has it."""
    table = agent_lease
    result = conn.execute(
        update(table)
        .where(table.c.name == name)
        .where(or_(table.c.holder == holder, table.c.holder.is_(None), table.c.expires_at <= now))
        .values(
            holder=holder,
            host=host,
            pid=pid,
            acquired_at=case((table.c.holder == holder, table.c.acquired_at), else_=now),
            renewed_at=now,
            expires_at=now + ttl,
        )
    )
    return result.rowcount == 1


def release(conn: Connection, holder: str, *, name: str = AGENT) -> None:
    table = agent_lease
    conn.execute(
        update(table)
        .where(and_(table.c.name == name, table.c.holder == holder))
        .values(holder=None, host=None, pid=None, expires_at=0.0)
    )


def read(conn: Connection, *, name: str = AGENT) -> Lease:
    table = agent_lease
    row = conn.execute(select(table).where(table.c.name == name)).one()
    return Lease(
        holder=row.holder,
        host=row.host,
        pid=row.pid,
        acquired_at=row.acquired_at,
        renewed_at=row.renewed_at,
        expires_at=row.expires_at,
    )


def active(state: StateStore, now: float | None = None) -> bool:
    """Whether an agent holds the lease: only then do jobs and deployments start."""
    with state.begin() as conn:
        return read(conn).active(time.time() if now is None else now)
