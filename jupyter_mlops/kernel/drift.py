"""`%mlops drift`: the drift report as a summary table, then the figure of each column
the deployment page shows (reference against current, built by `monitoring/charts.py`
in the service's answer), the prediction's last."""

from __future__ import annotations

from ..monitoring.drift import VERDICTS
from .display import Table

PLOTLY_MIME = "application/vnd.plotly.v1+json"
# Beyond this many figures the output is a scroll; drifted and highest-PSI come first.
MAX_FIGURES = 24


class DriftReport:
    """Shows the table and the figures as outputs of their own; `report` is the service's
    dict with its figures (`Monitoring.drift(..., figures=True)`)."""

    def __init__(self, report: dict):
        self.report = report
        self.table = summary(report)
        self.figures = [(column["name"], column["figure"]) for column in shown(report)]

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.table)
        # One output per figure: a bundle would show only its richest part.
        for name, figure in self.figures:
            display({PLOTLY_MIME: figure, "text/plain": f"<drift figure of {name}>"}, raw=True)

    @property
    def title(self) -> str:
        report = self.report
        return f"{report['deployment']} v{report['model_version']}"


def shown(report: dict) -> list[dict]:
    """The columns with a figure, drifted and highest PSI first, then the prediction."""
    columns = [f for f in report["features"] if f.get("figure")]
    columns.sort(key=lambda f: (not f.get("drifted"), -(f.get("psi") or 0.0)))
    columns = columns[:MAX_FIGURES]
    prediction = report.get("prediction")
    if prediction and prediction.get("figure"):
        columns.append(prediction)
    return columns


def summary(report: dict) -> Table:
    rows = []
    for column in [*report["features"], *([report["prediction"]] if report["prediction"] else [])]:
        rows.append(
            {
                "feature": column["name"],
                "kind": column.get("kind"),
                "psi": _number(column.get("psi")),
                "test": column.get("test"),
                "p-value": _number(column.get("p_value"), 4),
                "drifted": {True: "DRIFTED", False: "no", None: "-"}[column.get("drifted")],
                "note": column.get("note"),
            }
        )
    drifted = report["drifted"]
    window, reference = report["window"], report["reference"]
    verdict = VERDICTS[report["verdict"]]
    title = (
        f"drift of {report['deployment']} v{report['model_version']}: "
        + (f"{len(drifted)} drifted ({', '.join(drifted)})" if drifted else verdict)
        + f"; last {window['seconds']}s ({window['rows']} rows) against the "
        f"{reference['source']} ({reference['rows']} rows), drifted at PSI >= "
        f"{report['thresholds']['psi']:g}"
    )
    if report.get("note"):
        title += f" ({report['note']})"
    columns = ["feature", "kind", "psi", "test", "p-value", "drifted", "note"]
    return Table(title, rows, columns)


def _number(value, digits: int = 3) -> str | None:
    return None if value is None else f"{value:.{digits}g}"
