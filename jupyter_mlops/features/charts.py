"""A feature's histogram as Plotly JSON, from the bins `stats.py` keeps with a view's
version: built here once, shown by the feature view's page through the Plotly mime
renderer."""

from __future__ import annotations

import json

# Sized for the feature view's cards (`.jp-mlops-feature-histogram` keeps this height).
HEIGHT = 220


def with_figures(stats: dict | None) -> dict | None:
    """A view's stats with a `figure` beside each feature's `histogram` (numbers only)."""
    if stats is None:
        return None
    features = {
        name: (
            {**stat, "figure": histogram_figure(name, stat["histogram"])}
            if "histogram" in stat
            else stat
        )
        for name, stat in stats["features"].items()
    }
    return {**stats, "features": features}


def histogram_figure(feature: str, histogram: dict | None) -> dict | None:
    """One bar per bin, as wide as the bin, so uneven edges (a single value, one bin)
    still read right; None without a histogram (no values)."""
    if not histogram:
        return None
    import plotly.graph_objects as go

    edges, counts = histogram["edges"], histogram["counts"]
    x, width, text = [], [], []
    for index in range(len(counts)):
        low = edges[index]
        high = edges[index + 1] if index + 1 < len(edges) else low
        x.append((low + high) / 2)
        width.append(high - low)
        text.append(f"[{low:.4g}, {high:.4g}]")
    bar = {
        "name": feature,
        "x": x,
        "y": counts,
        "text": text,
        "textposition": "none",
        "hovertemplate": "%{text}<br>rows: %{y}<extra></extra>",
        "marker": {"line": {"width": 0}},
    }
    # A single value makes one bin of zero width: Plotly picks a width then.
    if any(w > 0 for w in width):
        bar["width"] = width
    figure = go.Figure(
        go.Bar(bar),
        layout={
            # plotly.js's defaults, as the page had them, not plotly.py's default template.
            "template": "none",
            "height": HEIGHT,
            "margin": {"l": 48, "r": 12, "t": 8, "b": 36},
            "bargap": 0.02,
            "showlegend": False,
            "xaxis": {"title": {"text": feature}},
            "yaxis": {"title": {"text": "rows"}},
        },
    )
    return json.loads(figure.to_json())
