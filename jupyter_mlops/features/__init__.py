"""Features from Python: `from jupyter_mlops import features`.

    driver = features.Entity(name="driver", join_keys=["driver_id"])
    stats = features.FeatureView(
        name="driver_stats",
        entities=[driver],
        schema=[features.Field("conv_rate", features.Float64)],
        source="data/driver_stats.parquet",
        ttl=timedelta(days=2),
    )
    features.apply([driver, stats])
    features.ingest("driver_stats")
    training_df = features.get_historical_features(entity_df, ["driver_stats:conv_rate"])

Names and semantics follow Feast's. The same verbs as `%mlops features`, the REST API,
`jupyter mlops features` and the Features panel, bound to the project's stores.
"""

from __future__ import annotations

from functools import lru_cache

from .definitions import (
    Bool,
    Entity,
    FeatureService,
    FeatureView,
    Field,
    Float32,
    Float64,
    Int32,
    Int64,
    String,
    UnixTimestamp,
)
from .rule_checks import RulesBroken
from .rules import Rules

__all__ = [
    "Bool",
    "Entity",
    "FeatureService",
    "FeatureView",
    "Field",
    "Float32",
    "Float64",
    "Int32",
    "Int64",
    "Rules",
    "RulesBroken",
    "String",
    "UnixTimestamp",
    "apply",
    "get_historical_features",
    "get_online_features",
    "ingest",
    "materialize",
]


def _store():
    from .. import tracking

    return _store_on(tracking.default())


@lru_cache(maxsize=1)
def _store_on(shared):
    """This process's feature store, on the stores its environment names (those of
    `jupyter_mlops.tracking.default`, the one process-wide default)."""
    from ..store import StateStore
    from ..tracking.training_sets import TrainingSetRuns
    from .service import FeatureStore

    state = StateStore(shared.config.state_url)
    state.migrate()
    return FeatureStore(shared.config, state, TrainingSetRuns(shared))


def apply(objects):
    return _store().apply(objects)


def ingest(view, data=None):
    return _store().ingest(view, data)


def get_historical_features(entity_df, features, **options):
    return _store().get_historical_features(entity_df, features, **options)


def materialize(start, end, views=None):
    return _store().materialize(start, end, views)


def get_online_features(entity_rows, features):
    return _store().get_online_features(entity_rows, features)
