"""The feature store, as every door sees it: apply definitions, ingest, build training
sets, materialize, look up online, and browse views with their versions and stats.

Embedded: definitions in the state DB, rows as parquet under `<home>/features/offline`
(joined by duckdb), latest values in `<home>/features/online.sqlite`.
"""

from __future__ import annotations

import atexit
import os
import time
import weakref
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

import duckdb
import pandas as pd

from ..config import MLOpsConfig
from ..errors import InvalidInput, NotFound
from ..lazy import locked_cached_property
from . import catalog, charts, join_index, lineage, registry, rule_checks, stats
from .definitions import Entity, FeatureService, FeatureView
from .historical import ViewRequest
from .historical import get_historical_features as point_in_time_join
from .join_index import JoinIndex
from .offline import (
    SEQ,
    OfflineStore,
    ident,
    latest_rows,
    scan_of,
    timestamp,
    unreadable,
    validate,
)
from .online import OnlineStore

if TYPE_CHECKING:
    from ..store import StateStore
    from ..tracking.training_sets import TrainingSetRuns

SAMPLE_LIMIT = 1000
QUALITY_BATCHES = 50  # checked batches a view's page shows by default; at most QUALITY_LIMIT
QUALITY_LIMIT = 1000
DEFINITIONS_TTL = 5.0  # seconds


# Stores with a database open, closed before the interpreter finalizes: one still open
# then makes duckdb's bindings print a leak report (a kernel's lands in Lab's server log).
# Weakly held, so a store nobody uses any more is still freed.
_OPEN_STORES: weakref.WeakSet[FeatureStore] = weakref.WeakSet()


@atexit.register
def _close_open_stores() -> None:
    for store in list(_OPEN_STORES):
        store.close()


class FeatureStore:
    def __init__(self, config: MLOpsConfig, state: StateStore, runs: TrainingSetRuns):
        self.config = config
        self.state = state
        # Where training sets are recorded: the run that used them (lineage, a sample).
        self.runs = runs
        self.offline = OfflineStore(config.home / "features" / "offline")
        self.online = OnlineStore(config.home / "features" / "online.sqlite")
        self._resolved: dict[str, tuple[float, dict]] = {}
        self._indexes: dict[str, tuple[tuple, JoinIndex | None]] = {}

    @locked_cached_property
    def _database(self) -> duckdb.DuckDBPyConnection:
        # One in-memory database for the process: a database opened per call cost a third
        # of a training-set join (its buffers page-faulted in on every query, freed at close).
        database = duckdb.connect(config={"threads": os.cpu_count() or 1})
        _OPEN_STORES.add(self)
        return database

    def _duck(self) -> duckdb.DuckDBPyConnection:
        # A cursor per call: a connection of its own to the one database (registered
        # frames stay in it), as duckdb connections are not shared between threads.
        return self._database.cursor()

    def close(self) -> None:
        database = self.__dict__.pop("_database", None)
        if database is not None:
            database.close()

    # Definitions ---------------------------------------------------------------------

    def apply(self, objects: Iterable[Entity | FeatureView | FeatureService]) -> list[dict]:
        """Register definitions, a new version for each that changed. Everything is
        checked first (entities of views, views of services), so a bad one stores none."""
        objects = list(objects)
        specs = [(o.kind, o.spec(), o) for o in objects]
        entities = {s["name"]: s for k, s, _ in specs if k == "entity"}
        views = {s["name"]: s for k, s, _ in specs if k == "view"}
        for spec in views.values():
            for name in spec["entities"]:
                if name not in entities:
                    self._get("entity", name)  # NotFound names it
        for kind, spec, _ in specs:
            if kind == "service":
                _select(
                    spec["features"],
                    lambda v: views[v] if v in views else self._get("view", v)["spec"],
                )
        applied = []
        self._resolved.clear()
        for kind, spec, obj in specs:
            version, changed = registry.apply(self.state, kind, spec)
            applied.append(
                {"kind": kind, "name": spec["name"], "version": version, "changed": changed}
            )
            if kind != "view" or not changed:
                continue
            if spec["source"] and spec["source"]["kind"] == "dataframe":
                self.ingest(spec["name"], obj.source)  # the frame exists only now
            else:
                self._refresh_stats(self.resolved_view(spec["name"]))
        return applied

    def _get(self, kind: str, name: str, version: int | None = None) -> dict:
        return registry.get(self.state, kind, name, version)

    def resolved_view(self, name: str, version: int | None = None) -> dict:
        """The view's spec with its version, join keys and their types from its entities."""
        row = self._get("view", name, version)
        spec = dict(row["spec"])
        keys: dict[str, str] = {}
        for entity_name in spec["entities"]:
            entity = self._get("entity", entity_name)["spec"]
            keys.update({key: entity["dtype"] for key in entity["join_keys"]})
        spec.update(version=row["version"], join_keys=list(keys), key_dtypes=keys)
        return spec

    def _newest(self, name: str) -> dict:
        """`resolved_view(name)`, reused for a few seconds: an online lookup must not pay
        for reading definitions (Feast caches its registry the same way). Definitions
        applied in this process are seen at once; from another, within the TTL."""
        now = time.monotonic()
        cached = self._resolved.get(name)
        if cached is None or now - cached[0] > DEFINITIONS_TTL:
            cached = (now, self.resolved_view(name))
            self._resolved[name] = cached
        return cached[1]

    # Ingestion ---------------------------------------------------------------------------

    def ingest(self, view_name: str, data: pd.DataFrame | str | None = None) -> dict:
        """Validate a batch against the view's newest schema and its data rules (an
        error-severity rule broken refuses it whole: `rules.RulesBroken`), write it with
        the rules' results, refresh the stats."""
        view = self.resolved_view(view_name)
        frame = self._read(view, data)
        rows = validate(frame, view)  # raises before anything is written
        if rows.empty:
            raise InvalidInput(f"no rows to ingest into {view_name!r}", field="data")
        checked = rule_checks.enforce(view, rows, lambda: self._drift_reference(view))
        batch = registry.next_batch(self.state)
        with self._duck() as con:
            staged = self.offline.stage(con, view, rows, batch)
        # All or nothing: the statistics are computed over the store's files and the
        # staged ones, then the batch row, the statistics and the files' move into the
        # store commit together. A failure anywhere leaves the view as it was, so a retry
        # lands the batch once.
        try:
            computed = self._stats(view, [*self.offline.files(view_name), *staged.files])
            registry.add_batch(
                self.state,
                view=view_name,
                version=view["version"],
                stats=computed,
                publish=staged.publish,
                rule_results=checked,
                **staged.written,
            )
        except BaseException:
            staged.withdraw()
            raise
        finally:
            staged.discard()
        done = {"view": view_name, "version": view["version"], **staged.written}
        return {**done, "warnings": rule_checks.warnings(checked)}

    def _drift_reference(self, view: dict) -> dict | None:
        versions = registry.versions(self.state, "view", view["name"])
        return rule_checks.reference_stats(versions, view["version"])

    def _refresh_stats(self, view: dict) -> None:
        """Statistics of all the view's rows, kept with its version (a new version's own
        stats from the start, its new fields counted as nulls in older rows)."""
        files = self.offline.files(view["name"])
        if files:
            computed = self._stats(view, files)
            registry.set_stats(self.state, view["name"], view["version"], computed)

    def _stats(self, view: dict, files: list) -> dict:
        try:
            with self._duck() as con:
                return stats.compute(con, scan_of(files), view)
        except (duckdb.IOException, duckdb.InvalidInputException) as err:
            raise unreadable(
                view["name"], files, self.offline.view_dir(view["name"]), err
            ) from None

    def _read(self, view: dict, data: pd.DataFrame | str | None) -> pd.DataFrame:
        if data is None:
            source = view.get("source") or {}
            if source.get("kind") != "file":
                raise InvalidInput(
                    f"feature view {view['name']!r} has no file source: pass the data",
                    field="data",
                )
            data = source["path"]
        if isinstance(data, pd.DataFrame):
            return data
        path = self.config.under_root(data, "data")
        if not path.exists():
            raise InvalidInput(f"no file at {str(data)!r}", field="data")
        if path.suffix == ".csv":
            return pd.read_csv(path)
        return pd.read_parquet(path)

    # Training sets ----------------------------------------------------------------------

    def get_historical_features(
        self,
        entity_df: pd.DataFrame,
        features: Sequence[str] | FeatureService | str,
        *,
        timestamp_field: str = "event_timestamp",
        full_feature_names: bool = False,
        record: bool = True,
    ) -> pd.DataFrame:
        """The point-in-time join of `entity_df` with `features`. With `record` (the
        default) the active run (a `mlflow.start_run`, a job's run) logs it as its
        training set; a batch scoring job joins batch after batch and records the views
        once itself."""
        requests = self._requests(features)
        with self._duck() as con:
            indexes = {r.view["name"]: self._join_index(con, r.view) for r in requests}
        result = point_in_time_join(
            entity_df,
            requests,
            indexes,
            timestamp_field=timestamp_field,
            full_feature_names=full_feature_names,
        )
        refs = [f"{r.view['name']}:{f}" for r in requests for f in r.features]
        lineage_record = lineage.record(requests, entity_df[timestamp_field], refs)
        result.attrs[lineage.ATTR] = lineage_record
        run_id = lineage.current_run_id() if record else None
        if run_id is not None:
            self.runs.record(run_id, lineage_record, result)
        return result

    def _join_index(self, con: duckdb.DuckDBPyConnection, view: dict) -> JoinIndex | None:
        """The view's join index as of its newest batch (None: nothing ingested), kept
        between calls: its key lookup table is built once. It is named by the batches
        and by the files it is built from as they are now (sizes, times), so a file
        replaced, truncated or removed behind the store's back rebuilds it, or fails
        naming the file, rather than answering from the old one."""
        name = view["name"]
        files = self.offline.files(name)
        built_from = f"{registry.batch_mark(self.state, name)}-{join_index.fingerprint(files)}"
        mark = (view["version"], built_from)
        cached = self._indexes.get(name)
        if cached is not None and cached[0] == mark:
            return cached[1]
        index = None
        if files:
            folder = self.offline.view_dir(name)
            try:
                index = join_index.load(con, folder, view, scan_of(files), built_from)
            except (duckdb.IOException, duckdb.InvalidInputException) as err:
                raise unreadable(name, files, folder, err) from None
        self._indexes[name] = (mark, index)
        return index

    def _requests(self, features: Sequence[str] | FeatureService | str) -> list[ViewRequest]:
        """The features asked for, grouped by view, each view resolved at its newest."""
        wanted = _select(self._refs(features), self._newest)
        return [ViewRequest(self._newest(v), names) for v, names in wanted.items()]

    def _refs(self, features: Sequence[str] | FeatureService | str) -> Sequence[str]:
        if isinstance(features, FeatureService):
            return features.features
        if isinstance(features, str):
            return self._get("service", features)["spec"]["features"]
        return features

    # Online --------------------------------------------------------------------------------

    def materialize(
        self, start: datetime | str, end: datetime | str, views: Sequence[str] | None = None
    ) -> list[dict]:
        """Load each key's latest values with event time in [start, end] online."""
        low, high = timestamp(start, "start"), timestamp(end, "end")
        if low > high:
            raise InvalidInput("start is after end", field="start")
        names = views or [row["name"] for row in registry.latest_all(self.state, "view")]
        done = []
        for name in names:
            view = self.resolved_view(name)
            scan = self.offline.scan(name, since=low, until=high)
            rows = 0
            if scan is not None:
                with self._duck() as con:
                    latest = con.sql(latest_rows(view, scan, low, high)).df()
                rows = self.online.write(view, latest)
            registry.record_materialization(
                self.state,
                view=name,
                version=view["version"],
                start=low.timestamp(),
                end=high.timestamp(),
                rows=rows,
            )
            done.append({"view": name, "version": view["version"], "rows": rows})
        return done

    def get_online_features(
        self, entity_rows: Sequence[dict], features: Sequence[str] | FeatureService | str
    ) -> dict[str, list]:
        """Columns of values for each entity row (Feast's `to_dict()` shape); keys that
        were never materialized come back as None."""
        requests = self._requests(features)
        result: dict[str, list] = {}
        for request in requests:
            keys = request.view["join_keys"]
            for key in keys:
                if key not in result:
                    try:
                        result[key] = [row[key] for row in entity_rows]
                    except KeyError:
                        raise InvalidInput(
                            f"an entity row has no {key!r}, the join key of "
                            f"{request.view['name']!r}",
                            field="entity_rows",
                        ) from None
            found = self.online.read(
                request.view, request.features, [tuple(row[k] for k in keys) for row in entity_rows]
            )
            for index, feature in enumerate(request.features):
                result[feature] = [None if row is None else row[index] for row in found]
        return result

    # Browsing --------------------------------------------------------------------------------

    def views(self, query: str = "") -> list[dict]:
        """Every view's newest version whose name, description, owner, tags or feature
        names contain `query`."""
        return catalog.views(registry.latest_all(self.state, "view"), query)

    def feature_services(self) -> list[dict]:
        return catalog.listing(registry.latest_all(self.state, "service"))

    def service_columns(self, name: str, *, field: str = "feature_service") -> dict:
        """What a frame joined to service `name` holds: {name, version, join_keys (its
        views' entity keys), features (its feature columns)}; NotFound naming `field`."""
        found = {s["name"]: s for s in self.feature_services()}
        if name not in found:
            raise NotFound(f"no feature service {name!r}", field=field)
        keys: list[str] = []
        columns: list[str] = []
        for ref in found[name]["features"]:
            view_name, _, feature = ref.partition(":")
            view = self.resolved_view(view_name)
            keys += [key for key in view["join_keys"] if key not in keys]
            columns += [feature] if feature else [f["name"] for f in view["schema"]]
        return {
            "name": name,
            "version": found[name]["version"],
            "join_keys": keys,
            "features": columns,
        }

    def entities(self) -> list[dict]:
        return catalog.listing(registry.latest_all(self.state, "entity"))

    def view(self, name: str, version: int | None = None, *, figures: bool = False) -> dict:
        """One view: its spec at a version, every version, stats, freshness. `figures`
        adds each number's histogram as a Plotly figure (`charts.py`), for the page."""
        detail = catalog.detail(
            self._get("view", name, version),
            registry.versions(self.state, "view", name),
            registry.batches(self.state, name),
            registry.materialization(self.state, name),
        )
        detail["quality"] = self.quality(detail["name"], detail["version"], figures=figures)
        return {**detail, "stats": charts.with_figures(detail["stats"])} if figures else detail

    def quality(
        self,
        name: str,
        version: int | None = None,
        *,
        limit: int = QUALITY_BATCHES,
        figures: bool = False,
    ) -> dict:
        """The view's data rules (at a version) and their results over its newest `limit`
        checked batches, newest first, with the warnings among them; `figures` adds
        the results over time as a Plotly figure."""
        if not 1 <= limit <= QUALITY_LIMIT:
            raise InvalidInput(f"limit must be 1 to {QUALITY_LIMIT}", field="limit")
        view = self.resolved_view(name, version)
        found = rule_checks.quality(view, registry.rule_results(self.state, name, limit))
        if figures:
            found["figure"] = charts.rule_results_figure(found["batches"])
        return found

    def sample(self, name: str, limit: int = 20) -> dict:
        """The view's newest rows (by event time)."""
        if not 1 <= limit <= SAMPLE_LIMIT:
            raise InvalidInput(f"limit must be 1 to {SAMPLE_LIMIT}", field="limit")
        view = self.resolved_view(name)
        scan = self.offline.scan(name)
        if scan is None:
            return {"columns": [], "rows": []}
        with self._duck() as con:
            frame = con.sql(
                f"SELECT * EXCLUDE ({SEQ}) FROM {scan}"
                f" ORDER BY {ident(view['timestamp_field'])} DESC LIMIT {int(limit)}"
            ).df()
        return {
            "columns": list(frame.columns),
            "rows": [catalog.jsonable(r) for r in frame.itertuples(False)],
        }

    def usage(self, name: str) -> dict:
        """The runs whose training sets came from this view, and the models from them."""
        self._get("view", name)
        return self.runs.usage(name)

    def snippet(self, name: str) -> str:
        """Code for a training set from a view (or a feature service), ready for a cell."""
        try:
            service = self._get("service", name)["spec"]
        except NotFound:
            view = self.resolved_view(name)
            return catalog.snippet(
                [f"{name}:{f['name']}" for f in view["schema"]], view["join_keys"]
            )
        keys = {k: None for r in self._requests(service["name"]) for k in r.view["join_keys"]}
        return catalog.snippet(service["name"], list(keys))


def _select(refs: Sequence[str], view_spec) -> dict[str, list[str]]:
    """`view:feature` and `view` (all its features) references grouped by view, in
    order; `view_spec(name)` gives a view's spec or raises NotFound."""
    if not refs:
        raise InvalidInput("name at least one feature (view:feature)", field="features")
    wanted: dict[str, list[str]] = {}
    for ref in refs:
        view, _, feature = str(ref).partition(":")
        schema = [f["name"] for f in view_spec(view)["schema"]]
        for name in [feature] if feature else schema:
            if name not in schema:
                raise InvalidInput(
                    f"feature view {view!r} has no feature {name!r}", field="features"
                )
            if name not in wanted.setdefault(view, []):
                wanted[view].append(name)
    return wanted
