"""Data rules of a feature view: what a batch must satisfy to be ingested.

Declared per feature (`Field("rate", rules=Rules(min=0, max_null=0.01))`) or on the
view (`FeatureView(..., rules=Rules(unique=True))`, or `rules={"column": Rules(...)}`),
checked when the view is applied (a bad rule stores nothing) and kept in the view's
spec, so each version carries its own. `ingest` evaluates every rule over the whole
batch before a byte is written: an error-severity failure refuses the batch (`RulesBroken`
names each rule, column, row count and a few example keys); a warning lets it in and
is recorded with the batch. Results of every ingested batch are kept (the state DB's
`feature_rule_results`), as Great Expectations' validation results are.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InvalidInput

# definitions.py's type names (it imports this module, so they are spelled here).
NUMBERS = ("int32", "int64", "float32", "float64")
String, Bool, UnixTimestamp = "string", "bool", "timestamp"
SEVERITIES = ("error", "warn")
EXAMPLES = 3  # example keys named per broken rule
PSI_EPSILON = 1e-4  # an empty bin's share, so a bin seen on one side only stays finite
# The order rules are evaluated and listed in.
KINDS = ("unique", "max_null", "min", "max", "allowed", "max_out_of_range", "max_psi")
# What a view-level `Rules` (not one column's) may say; `max_null` and `max_psi` then
# apply to each feature.
VIEW_WIDE = ("unique", "max_null", "max_psi")


@dataclass(frozen=True)
class Rules:
    """Rules for one feature (or, view-level, for the view's keys and every feature).

    min, max: bounds of the values (numbers, or times for a timestamp feature).
    allowed: the only values a feature may take.
    max_null: the largest share of null values (0.01: 1%).
    unique: (view-level) one row per join key and event time.
    max_out_of_range: tolerate this share of values outside min/max/allowed.
    max_psi: the largest drift (population stability index) of the batch against the
        view's statistics so far (the previous version's, before its first batch).
    severity: "error" refuses the batch; "warn" writes it and records the failure.
    """

    min: Any = None
    max: Any = None
    allowed: Sequence[Any] | None = None
    max_null: float | None = None
    unique: bool = False
    max_out_of_range: float | None = None
    max_psi: float | None = None
    severity: str = "error"


# Declaring -------------------------------------------------------------------------------


def field_rules(rules: Any, name: str, dtype: str) -> list[dict]:
    """The stored form of a Field's `rules` (a Rules, a dict of its options, or a list of
    them); InvalidInput naming `schema.<name>.rules...` for a bad one."""
    where = f"schema.{name}.rules"
    specs = [_spec(one, where, name, dtype) for one in _listed(rules, where)]
    for spec in specs:
        if spec.get("unique"):
            raise InvalidInput(
                f"field {name!r}: unique is a view's rule (one row per join key and event"
                " time): give it as FeatureView(rules=Rules(unique=True))",
                field=f"{where}.unique",
            )
    return specs


def view_rules(rules: Any, view: str, columns: dict[str, str | None]) -> list[dict]:
    """The stored form of a view's `rules=`: a Rules (or list) for the whole view, or a
    dict of column -> Rules. `columns`: name -> dtype of every column (None: not known
    yet, as join keys are until the view's entities resolve)."""
    if rules is None:
        return []
    specs: list[dict] = []
    if isinstance(rules, dict) and not _is_options(rules):
        for column, given in rules.items():
            where = f"rules.{column}"
            if column not in columns:
                raise InvalidInput(
                    f"feature view {view!r} has no column {column!r} to give rules to",
                    field=where,
                )
            for one in _listed(given, where):
                spec = _spec(one, where, column, columns[column])
                if spec.get("unique"):
                    raise InvalidInput(
                        f"feature view {view!r}: unique is a rule of the whole view",
                        field=f"{where}.unique",
                    )
                specs.append({"column": column, **spec})
        return specs
    for one in _listed(rules, "rules"):
        spec = _spec(one, "rules", None, None)
        column_only = [k for k in spec if k not in (*VIEW_WIDE, "severity")]
        if column_only:
            raise InvalidInput(
                f"feature view {view!r}: {column_only[0]} needs a column:"
                f" rules={{'column': Rules({column_only[0]}=...)}} or Field(..., rules=...)",
                field=f"rules.{column_only[0]}",
            )
        specs.append({"column": None, **spec})
    return specs


def _is_options(value: dict) -> bool:
    """A dict of one Rules' options (`{"min": 0}`), rather than column -> rules."""
    names = {f.name for f in fields(Rules)}
    return bool(value) and all(key in names for key in value)


def _listed(rules: Any, where: str) -> list[Any]:
    if rules is None:
        return []
    items = list(rules) if isinstance(rules, list | tuple) else [rules]
    if not items:
        raise InvalidInput("give at least one Rules, or leave rules out", field=where)
    return items


def _spec(rules: Any, where: str, column: str | None, dtype: str | None) -> dict:
    if isinstance(rules, dict):
        try:
            rules = Rules(**rules)
        except TypeError:
            known = {f.name for f in fields(Rules)}
            unknown = next(k for k in rules if k not in known)
            raise InvalidInput(
                f"{where}: no rule {unknown!r}; rules are {', '.join(known)}",
                field=f"{where}.{unknown}",
            ) from None
    if not isinstance(rules, Rules):
        raise InvalidInput(
            f"{where}: give features.Rules(...), not {type(rules).__name__}", field=where
        )
    what = f"column {column!r}" if column else "the view"
    spec: dict[str, Any] = {}
    if rules.severity not in SEVERITIES:
        raise InvalidInput(
            f"{where}: severity {rules.severity!r} must be 'error' or 'warn'",
            field=f"{where}.severity",
        )
    for bound in ("min", "max"):
        value = getattr(rules, bound)
        if value is not None:
            spec[bound] = _bound(value, f"{where}.{bound}", what, dtype)
    if "min" in spec and "max" in spec and _order(spec["min"]) > _order(spec["max"]):
        raise InvalidInput(f"{where}: min is above max", field=f"{where}.min")
    if rules.allowed is not None:
        spec["allowed"] = _allowed(rules.allowed, f"{where}.allowed", what, dtype)
    for share in ("max_null", "max_out_of_range"):
        value = getattr(rules, share)
        if value is not None:
            if not _is_number(value) or not 0 <= value <= 1:
                raise InvalidInput(
                    f"{where}: {share} must be a share from 0 to 1 (0.01 is 1%), not {value!r}",
                    field=f"{where}.{share}",
                )
            spec[share] = float(value)
    if "max_out_of_range" in spec and not {"min", "max", "allowed"} & spec.keys():
        raise InvalidInput(
            f"{where}: max_out_of_range needs a range: min, max or allowed",
            field=f"{where}.max_out_of_range",
        )
    if rules.max_psi is not None:
        if not _is_number(rules.max_psi) or rules.max_psi <= 0:
            raise InvalidInput(
                f"{where}: max_psi must be a positive number (0.2 is a common bound)",
                field=f"{where}.max_psi",
            )
        if dtype == UnixTimestamp:
            raise InvalidInput(
                f"{where}: max_psi is for numbers, strings and booleans, not times",
                field=f"{where}.max_psi",
            )
        spec["max_psi"] = float(rules.max_psi)
    if not isinstance(rules.unique, bool):
        raise InvalidInput(f"{where}: unique is True or False", field=f"{where}.unique")
    if rules.unique:
        spec["unique"] = True
    if not spec:
        raise InvalidInput(f"{where}: this Rules declares no rule", field=where)
    spec["severity"] = rules.severity
    return spec


def _is_number(value: Any) -> bool:
    return (
        isinstance(value, int | float | np.integer | np.floating)
        and not isinstance(value, bool | np.bool_)
        and math.isfinite(value)
    )


def _bound(value: Any, where: str, what: str, dtype: str | None) -> Any:
    if dtype == UnixTimestamp:
        try:
            stamp = pd.Timestamp(value)
        except (TypeError, ValueError):
            stamp = pd.NaT
        if stamp is pd.NaT or isinstance(value, bool | int | float):
            raise InvalidInput(f"{where}: {what} holds times: give a date or time", field=where)
        if stamp.tzinfo is not None:
            stamp = stamp.tz_convert("UTC").tz_localize(None)
        return stamp.isoformat()
    if dtype in (String, Bool):
        raise InvalidInput(
            f"{where}: {what} is {dtype}: min and max are for numbers and times (use allowed)",
            field=where,
        )
    if not _is_number(value):
        raise InvalidInput(f"{where}: {value!r} is not a finite number", field=where)
    return value.item() if hasattr(value, "item") else value


def _order(value: Any) -> Any:
    return pd.Timestamp(value) if isinstance(value, str) else value


def _allowed(values: Any, where: str, what: str, dtype: str | None) -> list:
    if isinstance(values, str | bytes | dict) or not isinstance(values, Sequence | set | frozenset):
        raise InvalidInput(f"{where}: give a list of values", field=where)
    allowed = list(values)
    if not allowed:
        raise InvalidInput(f"{where}: the list of allowed values is empty", field=where)
    if dtype == UnixTimestamp:
        raise InvalidInput(f"{where}: {what} holds times: use min and max", field=where)
    check: Callable[[Any], bool] = {
        String: lambda v: isinstance(v, str),
        Bool: lambda v: isinstance(v, bool),
        None: lambda v: isinstance(v, str | bool) or _is_number(v),
    }.get(dtype, _is_number)
    for value in allowed:
        if not check(value):
            raise InvalidInput(f"{where}: {value!r} cannot be a value of {what}", field=where)
    return [v.item() if hasattr(v, "item") else v for v in allowed]


def declared(view: dict) -> list[dict]:
    """Every rule of a resolved view, one per (kind, column): {rule, column, bound,
    severity} plus the range a `max_out_of_range` checks, in evaluation order."""
    specs = [{"column": f["name"], **spec} for f in view["schema"] for spec in f.get("rules", [])]
    features = [f["name"] for f in view["schema"] if f["dtype"] != UnixTimestamp]
    for spec in view.get("rules", []):
        if spec["column"] is not None:
            specs.append(spec)
            continue
        keys = [*view["join_keys"], view["timestamp_field"]]
        if spec.get("unique"):
            specs.append({"column": ", ".join(keys), "unique": True, "keys": keys, **_sev(spec)})
        for kind in ("max_null", "max_psi"):
            if kind in spec:
                columns = features if kind == "max_psi" else [f["name"] for f in view["schema"]]
                specs += [{"column": c, kind: spec[kind], **_sev(spec)} for c in columns]
    rules = []
    for spec in specs:
        ranged = "max_out_of_range" in spec
        for kind in KINDS:
            if kind not in spec or (ranged and kind in ("min", "max", "allowed")):
                continue
            rule = {"rule": kind, "column": spec["column"], "bound": spec[kind], **_sev(spec)}
            if kind == "unique":
                rule.update(bound=True, keys=spec["keys"])
            if kind == "max_out_of_range":
                rule["range"] = {k: spec[k] for k in ("min", "max", "allowed") if k in spec}
            rules.append(rule)
    rules.sort(key=lambda r: KINDS.index(r["rule"]))
    return rules


def _sev(spec: dict) -> dict:
    return {"severity": spec["severity"]}
