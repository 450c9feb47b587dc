"""`%mlops drift`: the drift report as one Plotly figure of small multiples (reference
against current, per feature and for the prediction) and a summary table."""

from __future__ import annotations

import json
import math

from .display import Table

PLOTLY_MIME = "application/vnd.plotly.v1+json"
COLUMNS = 3
# Beyond this many panels the figure is unreadable; drifted and highest-PSI come first.
MAX_PANELS = 24
REFERENCE_COLOR, CURRENT_COLOR, DRIFTED_COLOR = "#9e9e9e", "#1f77b4", "#d62728"


class DriftReport:
    """Shows the figure and the table as two outputs; `report` is the service's dict."""

    def __init__(self, report: dict):
        self.report = report
        self.figure = figure(report)
        self.table = summary(report)

    def _ipython_display_(self) -> None:
        from IPython.display import display

        # Two outputs: a bundle would show only its richest part (the figure).
        display(
            {PLOTLY_MIME: self.figure, "text/plain": f"<drift figure of {self.title}>"},
            raw=True,
        )
        display(self.table)

    @property
    def title(self) -> str:
        report = self.report
        return f"{report['deployment']} v{report['model_version']}"


def panels(report: dict) -> list[dict]:
    shown = [f for f in report["features"] if f.get("histogram")]
    shown.sort(key=lambda f: (not f.get("drifted"), -(f.get("psi") or 0.0)))
    shown = shown[:MAX_PANELS]
    prediction = report.get("prediction")
    if prediction and prediction.get("histogram"):
        shown.append(prediction)
    return shown


def figure(report: dict) -> dict:
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    shown = panels(report)
    window, reference = report["window"], report["reference"]
    heading = (
        f"Drift of {report['deployment']} v{report['model_version']}: last "
        f"{window['seconds']}s ({window['rows']} rows) against the {reference['source']} "
        f"({reference['rows']} rows)"
    )
    if not shown:
        empty = go.Figure(layout={"title": {"text": heading + ": nothing to compare"}})
        return json.loads(empty.to_json())
    rows = math.ceil(len(shown) / COLUMNS)
    cols = min(COLUMNS, len(shown))
    fig = make_subplots(
        rows=rows,
        cols=cols,
        subplot_titles=[_panel_title(panel) for panel in shown],
        vertical_spacing=min(0.3 / rows + 0.05, 0.25),
    )
    for index, panel in enumerate(shown):
        row, col = index // COLUMNS + 1, index % COLUMNS + 1
        labels = _bin_labels(panel["histogram"])
        current_color = DRIFTED_COLOR if panel.get("drifted") else CURRENT_COLOR
        for side, color in (("reference", REFERENCE_COLOR), ("current", current_color)):
            fig.add_trace(
                go.Bar(
                    x=labels,
                    y=panel["histogram"][side],
                    name=side,
                    legendgroup=side,
                    showlegend=index == 0,
                    marker_color=color,
                    hovertemplate=f"{side}: %{{y:.1%}}<extra>%{{x}}</extra>",
                ),
                row=row,
                col=col,
            )
        fig.update_yaxes(tickformat=".0%", row=row, col=col)
    fig.update_layout(
        title={"text": heading},
        barmode="group",
        height=max(320, 260 * rows),
        margin={"t": 90},
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom"},
    )
    for annotation, panel in zip(fig.layout.annotations, shown, strict=False):
        if panel.get("drifted"):
            annotation.font = {"color": DRIFTED_COLOR}
    # Plotly's own encoder turns numpy values into plain JSON.
    return json.loads(fig.to_json())


def summary(report: dict) -> Table:
    rows = []
    for panel in [*report["features"], *([report["prediction"]] if report["prediction"] else [])]:
        rows.append(
            {
                "feature": panel["name"],
                "kind": panel.get("kind"),
                "psi": _number(panel.get("psi")),
                "test": panel.get("test"),
                "p-value": _number(panel.get("p_value"), 4),
                "drifted": {True: "DRIFTED", False: "no", None: "-"}[panel.get("drifted")],
                "note": panel.get("note"),
            }
        )
    drifted = report["drifted"]
    title = f"drift of {report['deployment']} v{report['model_version']}: " + (
        f"{len(drifted)} drifted ({', '.join(drifted)})" if drifted else "no drift"
    )
    if report.get("note"):
        title += f" ({report['note']})"
    columns = ["feature", "kind", "psi", "test", "p-value", "drifted", "note"]
    return Table(title, rows, columns)


def _panel_title(panel: dict) -> str:
    mark = "DRIFT " if panel.get("drifted") else ""
    parts = [f"{mark}{panel['name']}"]
    if panel.get("psi") is not None:
        parts.append(f"PSI {panel['psi']:.2f}")
    if panel.get("p_value") is not None:
        parts.append(f"p {panel['p_value']:.2g}")
    return " · ".join(parts)


def _bin_labels(histogram: dict) -> list[str]:
    if "categories" in histogram:
        return [str(c) for c in histogram["categories"]]
    edges = histogram["edges"]
    # Close deciles print alike at 3 digits; a category axis would merge equal labels.
    for digits in range(3, 10):
        labels = [f"{a:.{digits}g}..{b:.{digits}g}" for a, b in zip(edges, edges[1:], strict=False)]
        if len(set(labels)) == len(labels):
            break
    return labels


def _number(value, digits: int = 3) -> str | None:
    return None if value is None else f"{value:.{digits}g}"
