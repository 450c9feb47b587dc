"""The `%mlops runs` widget: a sortable, selectable table of runs with Compare."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from html import escape

import ipywidgets as widgets

PLOTLY_MIME = "application/vnd.plotly.v1+json"
MAX_METRICS, MAX_PARAMS = 4, 3


class RunsTable(widgets.VBox):
    def __init__(self, runs: list[dict], compare: Callable[[list[str]], dict]):
        self.runs = runs
        self._compare = compare
        self.metric_keys = _common_keys(runs, "metrics", MAX_METRICS)
        self.param_keys = _common_keys(runs, "params", MAX_PARAMS)
        self.columns = ["name", "status", "start", *self.metric_keys, *self.param_keys]
        self.checks = {run["run_id"]: widgets.Checkbox(indent=False) for run in runs}
        for check in self.checks.values():
            check.observe(self._on_select, names="value")
        self.sort_by = widgets.Dropdown(options=self.columns, value="start", description="Sort")
        self.descending = widgets.Checkbox(value=True, description="descending", indent=False)
        self.sort_by.observe(lambda _: self.sort(), names="value")
        self.descending.observe(lambda _: self.sort(), names="value")
        self.compare_button = widgets.Button(
            description="Compare", disabled=True, icon="chart-line"
        )
        self.compare_button.on_click(lambda _: self.show_comparison())
        self.grid = widgets.GridBox(
            layout=widgets.Layout(
                grid_template_columns=f"2em repeat({len(self.columns)}, minmax(6em, auto))",
                grid_gap="2px 12px",
            )
        )
        self.output = widgets.Output()
        controls = widgets.HBox([self.sort_by, self.descending, self.compare_button])
        super().__init__([controls, self.grid, self.output])
        self.sort()

    @property
    def selected(self) -> list[str]:
        return [run_id for run_id, check in self.checks.items() if check.value]

    def sort(self) -> None:
        column = self.sort_by.value
        present = [run for run in self.runs if self._value(run, column) is not None]
        missing = [run for run in self.runs if self._value(run, column) is None]
        ordered = sorted(
            present, key=lambda run: self._value(run, column), reverse=self.descending.value
        )
        ordered += missing  # runs without the value go last, whichever the direction
        header = [widgets.HTML("")] + [widgets.HTML(f"<b>{escape(c)}</b>") for c in self.columns]
        cells = []
        for run in ordered:
            cells.append(self.checks[run["run_id"]])
            cells += [widgets.HTML(escape(_shown(self._value(run, c)))) for c in self.columns]
        self.grid.children = header + cells

    def show_comparison(self) -> None:
        result = self._compare(self.selected)
        # Outputs set as data rather than captured with `with output:`, which needs a
        # live kernel's display hook and loses them in a plain IPython shell.
        figures = [
            {PLOTLY_MIME: f, "text/plain": "Plotly figure"} for f in result["figures"].values()
        ]
        self.output.outputs = tuple(
            {"output_type": "display_data", "data": data, "metadata": {}}
            for data in [*figures, {"text/html": _diff_html(result), "text/plain": "run diff"}]
        )

    def _on_select(self, _change) -> None:
        self.compare_button.disabled = len(self.selected) < 2

    def _value(self, run: dict, column: str):
        if column == "name":
            return run["run_name"] or run["run_id"][:8]
        if column == "status":
            return run["status"]
        if column == "start":
            return run["start_time"]
        if column in self.metric_keys:
            return run["metrics"].get(column)
        return run["params"].get(column)


def _common_keys(runs: list[dict], part: str, limit: int) -> list[str]:
    counts: dict[str, int] = {}
    for run in runs:
        for key in run[part]:
            counts[key] = counts.get(key, 0) + 1
    return sorted(counts, key=lambda k: (-counts[k], k))[:limit]


def _shown(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, int) and value > 10**12:  # epoch milliseconds
        return datetime.fromtimestamp(value / 1000).strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def _diff_html(result: dict) -> str:
    names = {r["run_id"]: r["run_name"] or r["run_id"][:8] for r in result["runs"]}
    head = "".join(f"<th>{escape(n)}</th>" for n in names.values())
    rows = []
    for part in ("params", "metrics"):
        for row in result["diff"][part]:
            style = " style='background:var(--jp-warn-color3)'" if row["differs"] else ""
            values = "".join(f"<td>{escape(_shown(row['values'][r]))}</td>" for r in names)
            rows.append(f"<tr{style}><th>{part[:-1]} {escape(row['key'])}</th>{values}</tr>")
    return f"<table class='jp-mlops-diff'><tr><th></th>{head}</tr>{''.join(rows)}</table>"
