"""What the browsing doors show of the registry: listings, one view's page and a ready
training-set snippet."""

from __future__ import annotations

import math
from datetime import datetime

import pandas as pd


def views(rows: list[dict], query: str) -> list[dict]:
    needle = query.lower().strip()
    listed = []
    for row in rows:
        spec = row["spec"]
        searchable = [spec["name"], spec["description"], spec["owner"]]
        searchable += [*spec["tags"].keys(), *spec["tags"].values()]
        searchable += [f["name"] for f in spec["schema"]]
        if needle and needle not in " ".join(searchable).lower():
            continue
        stats = row["stats"] or {}
        listed.append(
            {
                "name": spec["name"],
                "version": row["version"],
                "description": spec["description"],
                "owner": spec["owner"],
                "tags": spec["tags"],
                "entities": spec["entities"],
                "features": [f["name"] for f in spec["schema"]],
                "rows": stats.get("rows", 0),
                "last_event": stats.get("last_event"),
            }
        )
    return listed


def listing(rows: list[dict]) -> list[dict]:
    return [{"version": row["version"], **row["spec"]} for row in rows]


def detail(row: dict, versions: list[dict], batches: list[dict], materialized) -> dict:
    return {
        **row["spec"],
        "version": row["version"],
        "created_at": row["created_at"],
        "stats": row["stats"],
        "versions": [
            {"version": v["version"], "created_at": v["created_at"], "schema": v["spec"]["schema"]}
            for v in versions
        ],
        "freshness": {
            "last_event": max((b["max_event"] for b in batches if b["max_event"]), default=None),
            "last_ingested": batches[0]["ingested_at"] if batches else None,
            "batches": len(batches),
            "rows": sum(b["rows"] for b in batches),
            "materialized": materialized,
        },
    }


def snippet(features: list[str] | str, keys: list[str]) -> str:
    """`features`: the references of a view's features, or a feature service's name."""
    if isinstance(features, str):
        chosen = repr(features)
    else:
        chosen = "[\n" + "".join(f"        {ref!r},\n" for ref in features) + "    ]"
    columns = "".join(f"        {k!r}: [...],\n" for k in keys)
    return (
        "import pandas as pd\n"
        "from jupyter_mlops import features\n\n"
        "entity_df = pd.DataFrame(\n    {\n"
        f"{columns}"
        "        'event_timestamp': pd.to_datetime([...]),\n    }\n)\n"
        "training_df = features.get_historical_features(\n"
        f"    entity_df,\n    {chosen},\n)\n"
        "training_df.head()"
    )


def jsonable(row: tuple) -> list:
    out = []
    for value in row:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            out.append(None)
        elif isinstance(value, pd.Timestamp | datetime):
            out.append(value.isoformat())
        elif hasattr(value, "item"):  # numpy scalars
            out.append(value.item())
        else:
            out.append(value)
    return out
