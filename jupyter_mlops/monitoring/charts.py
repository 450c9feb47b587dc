"""The drift report's figures: reference against current shares of one column (an input
or the prediction), per bin or per category, as Plotly JSON. Built here once; the
deployment page (through the Plotly mime renderer) and `%mlops drift` show them alike.
"""

from __future__ import annotations

import json
from html import escape

# Sized for the deployment page's cards (`.jp-mlops-drift-chart` keeps this height).
HEIGHT = 260
# plotly.js's own first two colours: what the page drew before the server built charts.
REFERENCE_COLOR, CURRENT_COLOR = "#1f77b4", "#ff7f0e"
VERDICTS = {True: "drifted", False: "stable", None: "not enough data"}


def with_figures(report: dict) -> dict:
    """`report` with a `figure` on each column and on the prediction: None where the
    column has no histogram (a type neither test fits, no reference values)."""
    thresholds = report["thresholds"]
    features = [{**f, "figure": drift_figure(f, thresholds)} for f in report["features"]]
    prediction = report["prediction"]
    if prediction is not None:
        prediction = {**prediction, "figure": drift_figure(prediction, thresholds)}
    return {**report, "features": features, "prediction": prediction}


def drift_figure(column: dict, thresholds: dict) -> dict | None:
    """Grouped bars of the reference's and the window's shares; the title says the
    verdict, its subtitle each result against its threshold."""
    histogram = column.get("histogram")
    if not histogram:
        return None
    import plotly.graph_objects as go

    labels = bin_labels(histogram)
    figure = go.Figure(
        [
            go.Bar(
                name=side,
                x=labels,
                y=histogram[side],
                marker_color=color,
                hovertemplate=f"%{{x}}<br>{side}: %{{y:.1%}}<extra></extra>",
            )
            for side, color in (("reference", REFERENCE_COLOR), ("current", CURRENT_COLOR))
        ],
        layout={
            # plotly.js's defaults, as the page had them, not plotly.py's default template.
            "template": "none",
            "title": {
                "text": title(column),
                "subtitle": {"text": results(column, thresholds), "font": {"size": 11}},
                "font": {"size": 13},
                "x": 0,
                "xanchor": "left",
                "xref": "paper",
                "y": 1,
                "yanchor": "top",
                "yref": "container",
                "pad": {"t": 8},
            },
            "height": HEIGHT,
            "margin": {"l": 48, "r": 36, "t": 72, "b": 8},
            "barmode": "group",
            "bargap": 0.1,
            # Under the title, at the left; the mode bar stands upright in the right
            # margin, where it covers neither the legend nor the title (a narrow card
            # put a flat one over both).
            "legend": {"orientation": "h", "x": 0, "xanchor": "left", "y": 1, "yanchor": "bottom"},
            # The column is named in the title; the bins' labels get the room below, at a
            # slant when they do not fit flat (upright ones take half a card's height).
            "xaxis": {"type": "category", "automargin": True, "autotickangles": [0, -45]},
            "yaxis": {"title": {"text": "share"}, "tickformat": ".0%"},
            # Selecting bars means nothing here.
            "modebar": {"remove": ["select2d", "lasso2d"], "orientation": "v"},
        },
    )
    # Plotly's own encoder turns numpy values into plain JSON.
    return json.loads(figure.to_json())


def title(column: dict) -> str:
    """`<name> · <verdict>`, the name bold."""
    # Plotly reads titles as a little HTML: a column named `a<b` must stay text.
    name = escape(column["name"], quote=False)
    return f"<b>{name}</b> · {VERDICTS[column.get('drifted')]}"


def results(column: dict, thresholds: dict) -> str:
    """The result against the threshold that decides the verdict, and the test's as
    information, as the page's card gives them: `PSI 0.31 ≥ 0.2 · ks 0.21 (p 1e-05)`;
    empty when none."""
    said = []
    psi = column.get("psi")
    if psi is not None:
        above = psi >= thresholds["psi"]
        said.append(f"PSI {psi:.3g} {'≥' if above else '&lt;'} {thresholds['psi']:g}")
    if column.get("test") and column.get("statistic") is not None:
        test = f"{column['test']} {column['statistic']:.3g}"
        if column.get("p_value") is not None:
            test += f" (p {column['p_value']:.2g})"
        said.append(test)
    return " · ".join(said)


def bin_labels(histogram: dict) -> list[str]:
    """One label per bar: the category, or the bin's range."""
    if histogram.get("categories") is not None:
        return [str(c) for c in histogram["categories"]]
    edges = histogram.get("edges") or []
    if len(edges) != len(histogram["reference"]) + 1:
        return [str(i) for i in range(len(histogram["reference"]))]
    # Close deciles print alike at 3 digits; a category axis would merge equal labels.
    for digits in range(3, 10):
        labels = [f"{a:.{digits}g}–{b:.{digits}g}" for a, b in zip(edges, edges[1:], strict=False)]
        if len(set(labels)) == len(labels):
            break
    return labels
