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


# Marker colors of a rule's result: passed, failed as a warning, failed (refused).
RESULT_COLORS = {"passed": "#2ca02c", "warn": "#ff7f0e", "error": "#d62728"}


def rule_results_figure(batches: list[dict]) -> dict | None:
    """Data rules' results over batches (`rules.quality`): one row per rule and column,
    one marker per batch, green where it passed, orange where a warning failed, each
    with what the batch showed; None before any batch was checked."""
    if not batches:
        return None
    import plotly.graph_objects as go

    traces: dict[str, dict] = {}
    for batch in sorted(batches, key=lambda b: b["batch"]):
        for result in batch["results"]:
            label = f"{result['column']}: {result['rule']}"
            trace = traces.setdefault(
                label, {"x": [], "y": [], "text": [], "color": [], "symbol": []}
            )
            status = "passed" if result["passed"] else result["severity"]
            trace["x"].append(batch["batch"])
            trace["y"].append(label)
            trace["color"].append(RESULT_COLORS[status])
            trace["symbol"].append("circle" if result["passed"] else "x")
            trace["text"].append(
                f"batch {batch['batch']} ({batch['rows']} rows)<br>{label}"
                f" {_value(result['bound'])}<br>observed {_value(result['observed'])}"
                f"<br>{'passed' if result['passed'] else 'failed (' + status + ')'}"
            )
    figure = go.Figure(
        [
            go.Scatter(
                name=label,
                x=trace["x"],
                y=trace["y"],
                mode="markers",
                text=trace["text"],
                hovertemplate="%{text}<extra></extra>",
                marker={"color": trace["color"], "symbol": trace["symbol"], "size": 12},
            )
            for label, trace in traces.items()
        ],
        layout={
            "template": "none",
            "height": max(HEIGHT, 60 + 36 * len(traces)),
            "margin": {"l": 160, "r": 12, "t": 8, "b": 36},
            "showlegend": False,
            "xaxis": {"title": {"text": "batch"}, "type": "category"},
            "yaxis": {"automargin": True},
        },
    )
    return json.loads(figure.to_json())


def _value(value) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return "" if value is True else str(value)
