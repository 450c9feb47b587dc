"""The lineage graph drawn as Plotly JSON: one column per kind, left to right as the loop
runs, edges as lines with their label at the middle, each node's id in `customdata` so a
click on it can open its page. Built here once; the lineage view in Lab (through the
Plotly mime renderer) and `%mlops lineage` show it alike."""

from __future__ import annotations

import json
from html import escape

from .graph import KINDS

# plotly.js's default colours, one per kind (and one of D3's lighter ones).
COLORS = dict(
    zip(
        KINDS,
        (
            "#2ca02c",
            "#8c564b",
            "#aec7e8",
            "#9467bd",
            "#1f77b4",
            "#ff7f0e",
            "#e377c2",
            "#bcbd22",
            "#17becf",
            "#d62728",
            "#7f7f7f",
        ),
        strict=True,
    )
)
TITLES = {
    "feature_view": "feature views",
    "training_set": "training sets",
    "search": "searches",
    "execution": "job executions",
    "run": "runs",
    "model_version": "model versions",
    "alias": "aliases",
    "scoring": "scoring runs",
    "output": "batch outputs",
    "deployment": "deployments",
    "firing": "retraining",
}


def edge_lines(graph: dict) -> list[str]:
    """The graph as text, one edge a line: `run train --registered as--> model_version m v1`;
    the start node alone where nothing leads to or from it."""
    labels = {node["id"]: f"{node['kind']} {node['label']}" for node in graph["nodes"]}
    lines = [
        f"{labels[edge['source']]} --{edge['label']}--> {labels[edge['target']]}"
        for edge in graph["edges"]
    ]
    return lines or [f"{labels[graph['start']]}: no lineage recorded"]


def positions(graph: dict) -> dict[str, tuple[float, float]]:
    """(x, y) of each node: x its kind's column among the kinds present (left to right as
    the loop runs), y spread evenly within the column, in the order nodes were found
    (the walk keeps related nodes near each other)."""
    columns: dict[str, list[str]] = {}
    for node in graph["nodes"]:
        columns.setdefault(node["kind"], []).append(node["id"])
    present = [kind for kind in KINDS if kind in columns]
    placed = {}
    for kind, ids in columns.items():
        for row, node_id in enumerate(ids):
            placed[node_id] = (float(present.index(kind)), -(row - (len(ids) - 1) / 2))
    return placed


def lineage_figure(graph: dict) -> dict:
    import plotly.graph_objects as go

    placed = positions(graph)
    edge_x, edge_y, label_x, label_y, labels = [], [], [], [], []
    for edge in graph["edges"]:
        (x0, y0), (x1, y1) = placed[edge["source"]], placed[edge["target"]]
        edge_x += [x0, x1, None]
        edge_y += [y0, y1, None]
        label_x.append((x0 + x1) / 2)
        label_y.append((y0 + y1) / 2)
        labels.append(edge["label"])
    traces = [
        go.Scatter(
            x=edge_x,
            y=edge_y,
            mode="lines",
            line={"color": "#b0b0b0", "width": 1.5},
            hoverinfo="skip",
            showlegend=False,
        ),
        go.Scatter(
            x=label_x,
            y=label_y,
            mode="text",
            text=labels,
            textfont={"size": 9, "color": "#808080"},
            hoverinfo="skip",
            showlegend=False,
        ),
    ]
    for kind in KINDS:
        nodes = [n for n in graph["nodes"] if n["kind"] == kind]
        if not nodes:
            continue
        traces.append(
            go.Scatter(
                x=[placed[n["id"]][0] for n in nodes],
                y=[placed[n["id"]][1] for n in nodes],
                mode="markers+text",
                name=TITLES[kind],
                # Labels are the user's names: text for Plotly, not markup.
                text=[escape(n["label"], quote=False) for n in nodes],
                textposition="bottom center",
                customdata=[n["id"] for n in nodes],
                hovertemplate="%{text}<extra>" + TITLES[kind] + "</extra>",
                marker={
                    "size": [18 if n["id"] == graph["start"] else 12 for n in nodes],
                    "color": COLORS[kind],
                    "line": {"width": 2, "color": "#333"},
                },
            )
        )
    rows = max([sum(n["kind"] == k for n in graph["nodes"]) for k in KINDS] + [1])
    kinds = {node["kind"] for node in graph["nodes"]}
    figure = go.Figure(
        traces,
        layout={
            "template": "none",
            "height": max(260, 70 * rows + 120),
            "margin": {"l": 20, "r": 36, "t": 40, "b": 20},
            "legend": {"orientation": "h", "x": 0, "y": 1, "yanchor": "bottom"},
            "xaxis": {"visible": False, "range": [-0.5, len(kinds) - 0.5]},
            "yaxis": {"visible": False},
            "hovermode": "closest",
            "modebar": {"orientation": "v"},
        },
    )
    return json.loads(figure.to_json())
