"""Comparing runs: metric curves, params against metrics, and what differs.

The figures are Plotly JSON, built here once and shown by the panel (through the
Plotly mime renderer) and by the magic's widget alike.
"""

from __future__ import annotations

import json

from ..errors import InvalidInput
from .service import Tracking, summary

MIN_RUNS, MAX_RUNS = 2, 20
MAX_CURVES = 6  # metric panels in the curves figure; the diff table lists every metric


def compare(tracking: Tracking, run_ids: list[str]) -> dict:
    if not isinstance(run_ids, list) or not MIN_RUNS <= len(set(run_ids)) <= MAX_RUNS:
        raise InvalidInput(
            f"compare takes {MIN_RUNS} to {MAX_RUNS} distinct run ids", field="run_ids"
        )
    run_ids = list(dict.fromkeys(run_ids))
    runs = [summary(tracking.get_run(run_id)) for run_id in run_ids]
    metric_keys = sorted({key for run in runs for key in run["metrics"]})
    histories = {
        (run["run_id"], key): tracking.metric_history(run["run_id"], key)["points"]
        for run in runs
        for key in metric_keys[:MAX_CURVES]
        if key in run["metrics"]
    }
    return {
        "runs": [{"run_id": r["run_id"], "run_name": r["run_name"]} for r in runs],
        "figures": {
            "curves": _curves(runs, metric_keys[:MAX_CURVES], histories),
            "parallel": _parallel(runs, metric_keys),
        },
        "diff": {
            "params": _diff(runs, "params"),
            "metrics": _diff(runs, "metrics"),
        },
    }


def _label(run: dict) -> str:
    return run["run_name"] or run["run_id"][:8]


def _curves(runs: list[dict], keys: list[str], histories: dict) -> dict:
    from plotly.subplots import make_subplots

    figure = make_subplots(rows=max(len(keys), 1), cols=1, subplot_titles=keys or ["no metrics"])
    for row, key in enumerate(keys, start=1):
        for index, run in enumerate(runs):
            points = histories.get((run["run_id"], key))
            if not points:
                continue
            figure.add_scatter(
                x=[p["step"] for p in points],
                y=[p["value"] for p in points],
                mode="lines+markers" if len(points) < 50 else "lines",
                name=_label(run),
                legendgroup=run["run_id"],
                showlegend=row == 1,
                line={"color": _color(index)},
                row=row,
                col=1,
            )
        figure.update_xaxes(title_text="step", row=row, col=1)
    figure.update_layout(height=max(300, 260 * len(keys)), margin={"t": 40, "b": 40})
    return _to_json(figure)


def _parallel(runs: list[dict], metric_keys: list[str]) -> dict:
    import plotly.graph_objects as go

    # Parcoords draws no label per line: the first axis names the runs, one tick each,
    # and each run's line has its colour in the curves figure (whose legend names it).
    index = list(range(len(runs)))
    names = [_label(run) for run in runs]
    dimensions = [{"label": "run", "values": index, "tickvals": index, "ticktext": names}]
    param_keys = sorted({key for run in runs for key in run["params"]})
    for key in param_keys:
        values = [run["params"].get(key) for run in runs]
        numbers = [_as_number(v) for v in values]
        if all(n is not None for n in numbers):
            dimensions.append({"label": key, "values": numbers})
        else:
            # Categorical params, or a param some runs lack: one tick per distinct
            # value, a missing one an empty tick at the bottom (not "None").
            dimensions.append(_levels(key, values))
    for key in metric_keys:
        values = [run["metrics"].get(key) for run in runs]
        if all(v is not None for v in values):
            dimensions.append({"label": key, "values": values})
    last = len(runs) - 1
    figure = go.Figure(
        go.Parcoords(
            dimensions=dimensions,
            line={
                "color": index,
                "cmin": 0,
                "cmax": last,
                "colorscale": [[i / last, _color(i)] for i in index],
                "showscale": False,
            },
        )
    )
    figure.update_layout(height=400, margin={"t": 60, "l": 80, "r": 60})
    return _to_json(figure)


def _levels(key: str, values: list[str | None]) -> dict:
    present = {v for v in values if v is not None}
    numeric = all(_as_number(v) is not None for v in present)
    levels = sorted(present, key=_as_number if numeric else str)
    if None in values and "" not in present:
        levels = ["", *levels]
    return {
        "label": key,
        "values": [levels.index("" if v is None else v) for v in values],
        "tickvals": list(range(len(levels))),
        "ticktext": levels,
    }


def _diff(runs: list[dict], part: str) -> list[dict]:
    keys = sorted({key for run in runs for key in run[part]})
    rows = []
    for key in keys:
        values = {run["run_id"]: run[part].get(key) for run in runs}
        rows.append({"key": key, "values": values, "differs": len(set(values.values())) > 1})
    return rows


def _as_number(value) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _color(index: int) -> str:
    from plotly.colors import qualitative

    palette = qualitative.Plotly
    return palette[index % len(palette)]


def _to_json(figure) -> dict:
    # Plotly's own encoder turns numpy arrays and dates into plain JSON.
    return json.loads(figure.to_json())
