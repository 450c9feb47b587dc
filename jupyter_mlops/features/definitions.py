"""Feature definitions, named and shaped as in Feast: entities with join keys, feature
views (a source, an event timestamp, a typed schema, a TTL) and feature services.

They are plain values: `apply` stores their `spec()` in the state DB, a new version
each time one changes, and `from_spec` reads any version back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from ..errors import InvalidInput
from . import rules as data_rules

# Types a feature (or key) can have; the names are the schema's, the constants Feast's.
Int32, Int64, Float32, Float64 = "int32", "int64", "float32", "float64"
String, Bool, UnixTimestamp = "string", "bool", "timestamp"
TYPES = (Int32, Int64, Float32, Float64, String, Bool, UnixTimestamp)

# Names end up in file paths, SQL identifiers and table names: plain identifiers only.
NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")


def check_name(name: str, what: str, field_path: str = "name") -> str:
    if not isinstance(name, str) or not NAME.match(name):
        raise InvalidInput(
            f"{what} name {name!r} must be a letter or _ followed by letters, digits or _",
            field=field_path,
        )
    return name


@dataclass(frozen=True)
class Field:
    name: str
    dtype: str = Float64
    description: str = ""
    # Data rules a batch must satisfy (`rules.py`): a Rules, or a list of them.
    rules: Any = None

    def spec(self) -> dict:
        check_name(self.name, "field", "schema")
        if self.dtype not in TYPES:
            raise InvalidInput(
                f"field {self.name!r} has type {self.dtype!r}; use one of {', '.join(TYPES)}",
                field=f"schema.{self.name}",
            )
        spec = {"name": self.name, "dtype": self.dtype, "description": self.description}
        # Only when there are rules: a view without any keeps the spec (and version) it had.
        rules = data_rules.field_rules(self.rules, self.name, self.dtype)
        return {**spec, "rules": rules} if rules else spec


@dataclass(frozen=True)
class Entity:
    name: str
    join_keys: list[str] = field(default_factory=list)  # defaults to [name]
    dtype: str = Int64  # of the join keys
    description: str = ""
    tags: dict[str, str] = field(default_factory=dict)

    kind = "entity"

    def spec(self) -> dict:
        check_name(self.name, "entity")
        keys = list(self.join_keys) or [self.name]
        for key in keys:
            check_name(key, "join key", "join_keys")
        if self.dtype not in TYPES:
            raise InvalidInput(f"entity {self.name!r}: unknown key type {self.dtype!r}")
        return {
            "name": self.name,
            "join_keys": keys,
            "dtype": self.dtype,
            "description": self.description,
            "tags": dict(self.tags),
        }


@dataclass(frozen=True)
class FeatureView:
    name: str
    entities: list[Entity | str]
    schema: list[Field]
    source: Any = None  # a parquet/CSV path inside the root, or a pandas DataFrame
    timestamp_field: str = "event_timestamp"
    created_timestamp_column: str | None = None
    ttl: timedelta | None = None  # None: values never expire
    description: str = ""
    owner: str = ""
    tags: dict[str, str] = field(default_factory=dict)
    # View-level data rules: a Rules for the view (unique keys per event time, max_null
    # or max_psi of every feature), or {column: Rules} (join keys included).
    rules: Any = None

    kind = "view"

    def spec(self) -> dict:
        check_name(self.name, "feature view")
        if not self.schema:
            raise InvalidInput(f"feature view {self.name!r} has no features", field="schema")
        fields = [f.spec() for f in self.schema]
        names = [f["name"] for f in fields]
        if len(set(names)) != len(names):
            raise InvalidInput(f"feature view {self.name!r} names a field twice", field="schema")
        check_name(self.timestamp_field, "timestamp field", "timestamp_field")
        if self.created_timestamp_column is not None:
            check_name(self.created_timestamp_column, "created timestamp", "created")
        if not self.entities:
            raise InvalidInput(f"feature view {self.name!r} has no entity", field="entities")
        if self.ttl is not None and self.ttl.total_seconds() <= 0:
            raise InvalidInput(f"feature view {self.name!r}: ttl must be positive", field="ttl")
        columns: dict[str, str | None] = {f["name"]: f["dtype"] for f in fields}
        columns[self.timestamp_field] = UnixTimestamp
        for entity in self.entities:  # join keys; their type is known from an Entity only
            if isinstance(entity, Entity):
                columns.update({k: entity.dtype for k in entity.join_keys or [entity.name]})
        rules = data_rules.view_rules(self.rules, self.name, columns)
        spec = {
            "name": self.name,
            "entities": [e if isinstance(e, str) else e.name for e in self.entities],
            "schema": fields,
            "source": _source_spec(self.source),
            "timestamp_field": self.timestamp_field,
            "created_timestamp_column": self.created_timestamp_column,
            "ttl_seconds": None if self.ttl is None else self.ttl.total_seconds(),
            "description": self.description,
            "owner": self.owner,
            "tags": dict(self.tags),
        }
        return {**spec, "rules": rules} if rules else spec


@dataclass(frozen=True)
class FeatureService:
    name: str
    features: list[str]  # "view:feature" references, or "view" for all of a view's
    description: str = ""
    tags: dict[str, str] = field(default_factory=dict)

    kind = "service"

    def spec(self) -> dict:
        check_name(self.name, "feature service")
        if not self.features:
            raise InvalidInput(f"feature service {self.name!r} has no features", field="features")
        return {
            "name": self.name,
            "features": list(self.features),
            "description": self.description,
            "tags": dict(self.tags),
        }


def _source_spec(source: Any) -> dict | None:
    if source is None:
        return None
    if isinstance(source, str | Path):
        path = str(source)
        if not path.endswith((".parquet", ".csv")) and not Path(path).is_dir():
            raise InvalidInput(f"source {path!r}: give a .parquet or .csv file", field="source")
        return {"kind": "file", "path": path}
    if hasattr(source, "columns") and hasattr(source, "dtypes"):
        return {"kind": "dataframe"}  # ingested at apply; only the fact is recorded
    raise InvalidInput("source must be a parquet/CSV path or a pandas DataFrame", field="source")
