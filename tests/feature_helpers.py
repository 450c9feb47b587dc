"""A feature service over one view of per-customer features, with its rows ingested: what
a gate's holdout and a scoring job join entity rows to."""

from __future__ import annotations

import pandas as pd

AT = pd.Timestamp("2026-01-01")  # the entity rows' time; features are an hour older
KEY = "customer_id"
VIEW = "customer_stats"


def customer_service(
    services, values: pd.DataFrame, service: str = "churn_features", **more: list[str]
) -> pd.DataFrame:
    """Apply the `customer` entity, the `customer_stats` view of `values`' columns (one row
    per customer 0..n-1, ingested an hour before AT) and `service` of the whole view; each
    of `more` (name: ["customer_stats:col", ...]) is another service. The entity rows:
    customer_id and event_timestamp (AT)."""
    from jupyter_mlops.features import Entity, FeatureService, FeatureView, Field, Float64

    customer = Entity("customer", join_keys=[KEY])
    view = FeatureView(
        name=VIEW,
        entities=[customer],
        schema=[Field(column, Float64) for column in values.columns],
    )
    defined = [FeatureService(service, [VIEW])]
    defined += [FeatureService(name, refs) for name, refs in more.items()]
    services.features.apply([customer, view, *defined])
    keys = pd.DataFrame({KEY: range(len(values)), "event_timestamp": AT})
    rows = pd.concat([keys, values.reset_index(drop=True)], axis=1)
    services.features.ingest(VIEW, rows.assign(event_timestamp=AT - pd.Timedelta(hours=1)))
    return keys
