"""Feature definitions, ingested batches and materializations in the state DB."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from sqlalchemy import func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from ..errors import NotFound
from ..store import StateStore
from ..store.tables import (
    feature_batches,
    feature_definitions,
    feature_materializations,
    feature_rule_results,
)

KIND_NAMES = {"entity": "entity", "view": "feature view", "service": "feature service"}


def apply(state: StateStore, kind: str, spec: dict) -> tuple[int, bool]:
    """Store `spec` as the newest version unless it equals the newest; (version, changed)."""
    with state.begin(immediate=True) as conn:
        latest = _latest(conn, kind, spec["name"])
        if latest is not None and latest["spec"] == spec:
            return latest["version"], False
        version = 1 if latest is None else latest["version"] + 1
        conn.execute(
            insert(feature_definitions).values(
                kind=kind, name=spec["name"], version=version, spec=spec, created_at=time.time()
            )
        )
        return version, True


def get(state: StateStore, kind: str, name: str, version: int | None = None) -> dict:
    with state.begin() as conn:
        if version is None:
            row = _latest(conn, kind, name)
        else:
            row = conn.execute(
                select(feature_definitions).where(
                    feature_definitions.c.kind == kind,
                    feature_definitions.c.name == name,
                    feature_definitions.c.version == version,
                )
            ).first()
            row = None if row is None else dict(row._mapping)
    if row is None:
        which = "" if version is None else f" version {version}"
        raise NotFound(f"no {KIND_NAMES[kind]} {name!r}{which}", field="name")
    return row


def latest_all(state: StateStore, kind: str) -> list[dict]:
    newest = (
        select(feature_definitions.c.name, func.max(feature_definitions.c.version).label("v"))
        .where(feature_definitions.c.kind == kind)
        .group_by(feature_definitions.c.name)
        .subquery()
    )
    query = (
        select(feature_definitions)
        .join(
            newest,
            (feature_definitions.c.name == newest.c.name)
            & (feature_definitions.c.version == newest.c.v),
        )
        .where(feature_definitions.c.kind == kind)
        .order_by(feature_definitions.c.name)
    )
    with state.begin() as conn:
        return [dict(row._mapping) for row in conn.execute(query)]


def versions(state: StateStore, kind: str, name: str) -> list[dict]:
    query = (
        select(feature_definitions)
        .where(feature_definitions.c.kind == kind, feature_definitions.c.name == name)
        .order_by(feature_definitions.c.version.desc())
    )
    with state.begin() as conn:
        return [dict(row._mapping) for row in conn.execute(query)]


def set_stats(state: StateStore, name: str, version: int, stats: dict) -> None:
    with state.begin() as conn:
        conn.execute(_set_stats(name, version, stats))


def _set_stats(name: str, version: int, stats: dict):
    return (
        update(feature_definitions)
        .where(
            feature_definitions.c.kind == "view",
            feature_definitions.c.name == name,
            feature_definitions.c.version == version,
        )
        .values(stats=stats)
    )


def add_batch(
    state: StateStore,
    *,
    stats: dict,
    publish: Callable[[], None],
    rule_results: Sequence[dict] = (),
    **values,
) -> int:
    """Record an ingested batch (its sequence number orders it after every earlier one),
    its data rules' results and the view's statistics that count it, in one transaction.
    `publish` (moving the batch's files into the store) runs last inside it: if it
    raises, nothing is recorded."""
    now = time.time()
    with state.begin(immediate=True) as conn:
        result = conn.execute(insert(feature_batches).values(ingested_at=now, **values))
        seq = result.inserted_primary_key[0]
        if rule_results:
            conn.execute(
                insert(feature_rule_results),
                [
                    {
                        "view": values["view"],
                        "version": values["version"],
                        "batch": seq,
                        "checked_at": now,
                        **{k: r[k] for k in RESULT_COLUMNS},
                    }
                    for r in rule_results
                ],
            )
        conn.execute(_set_stats(values["view"], values["version"], stats))
        publish()
        return seq


RESULT_COLUMNS = (
    "rule",
    "column",
    "severity",
    "bound",
    "observed",
    "passed",
    "failing_rows",
    "examples",
)


def rule_results(state: StateStore, view: str, limit: int) -> list[dict]:
    """The data rules' results of the view's newest `limit` batches that had rules, newest
    batch first: each batch (seq, version, rows, ingested_at) with its results."""
    checked = (
        select(feature_rule_results.c.batch)
        .where(feature_rule_results.c.view == view)
        .group_by(feature_rule_results.c.batch)
        .order_by(feature_rule_results.c.batch.desc())
        .limit(limit)
    )
    with state.begin() as conn:
        seqs = [row[0] for row in conn.execute(checked)]
        if not seqs:
            return []
        found = conn.execute(
            select(feature_rule_results)
            .where(feature_rule_results.c.batch.in_(seqs))
            .order_by(feature_rule_results.c.batch.desc(), feature_rule_results.c.id)
        ).all()
        rows = {
            row.seq: row
            for row in conn.execute(select(feature_batches).where(feature_batches.c.seq.in_(seqs)))
        }
    batches: dict[int, dict] = {}
    for result in found:
        batch = rows.get(result.batch)
        entry = batches.setdefault(
            result.batch,
            {
                "batch": result.batch,
                "version": result._mapping["version"],
                "rows": None if batch is None else batch.rows,
                "ingested_at": result.checked_at,
                "results": [],
            },
        )
        entry["results"].append({k: result._mapping[k] for k in RESULT_COLUMNS})
    return list(batches.values())


def next_batch(state: StateStore) -> int:
    with state.begin() as conn:
        return (conn.execute(select(func.max(feature_batches.c.seq))).scalar() or 0) + 1


def batches(state: StateStore, view: str) -> list[dict]:
    query = (
        select(feature_batches)
        .where(feature_batches.c.view == view)
        .order_by(feature_batches.c.seq.desc())
    )
    with state.begin() as conn:
        return [dict(row._mapping) for row in conn.execute(query)]


def batch_mark(state: StateStore, view: str) -> str:
    """A name for the set of batches ingested into the view (they are only ever added):
    how many, and the newest."""
    query = select(func.count(), func.max(feature_batches.c.seq)).where(
        feature_batches.c.view == view
    )
    with state.begin() as conn:
        count, newest = conn.execute(query).one()
    return f"{count}-{newest or 0}"


def record_materialization(state: StateStore, **values) -> None:
    values["materialized_at"] = time.time()
    with state.begin() as conn:
        dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
        statement = dialect.insert(feature_materializations).values(**values)
        conn.execute(
            statement.on_conflict_do_update(
                index_elements=["view"], set_={k: statement.excluded[k] for k in values}
            )
        )


def materialization(state: StateStore, view: str) -> dict | None:
    with state.begin() as conn:
        row = conn.execute(
            select(feature_materializations).where(feature_materializations.c.view == view)
        ).first()
    return None if row is None else dict(row._mapping)


def _latest(conn, kind: str, name: str) -> dict | None:
    row = conn.execute(
        select(feature_definitions)
        .where(feature_definitions.c.kind == kind, feature_definitions.c.name == name)
        .order_by(feature_definitions.c.version.desc())
        .limit(1)
    ).first()
    return None if row is None else dict(row._mapping)
