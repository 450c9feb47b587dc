"""Rich display of service answers in notebook outputs."""

from __future__ import annotations

import json
from html import escape
from typing import Any

from ..project import dotted


class KeyValues:
    """A nested dict shown as a table in Lab and as aligned text elsewhere."""

    def __init__(self, title: str, data: dict[str, Any]):
        self.title = title
        self.data = data

    def _rows(self) -> list[tuple[str, str]]:
        return [(key, _text(value)) for key, value in dotted(self.data)]

    def _repr_html_(self) -> str:
        body = "".join(
            f"<tr><th style='text-align:left'>{escape(k)}</th>"
            f"<td style='text-align:left'><code>{escape(v)}</code></td></tr>"
            for k, v in self._rows()
        )
        caption = f"<caption>{escape(self.title)}</caption>"
        return f"<table class='jp-mlops-keyvalues'>{caption}{body}</table>"

    def _repr_pretty_(self, printer, cycle) -> None:
        rows = self._rows()
        width = max((len(k) for k, _ in rows), default=0)
        printer.text("\n".join([self.title, *(f"  {k.ljust(width)}  {v}" for k, v in rows)]))


def _text(value: Any) -> str:
    return "-" if value is None else str(value)


class Table:
    """Rows of dicts as an HTML table in Lab and as aligned text elsewhere."""

    def __init__(self, title: str, rows: list[dict], columns: list[str]):
        self.title = title
        self.rows = rows
        self.columns = columns

    def _cells(self) -> list[list[str]]:
        return [[_text(row.get(column)) for column in self.columns] for row in self.rows]

    def _repr_html_(self) -> str:
        head = "".join(f"<th style='text-align:left'>{escape(c)}</th>" for c in self.columns)
        body = "".join(
            "<tr>"
            + "".join(f"<td style='text-align:left'>{escape(v)}</td>" for v in cells)
            + "</tr>"
            for cells in self._cells()
        )
        caption = f"<caption>{escape(self.title)}</caption>"
        return f"<table class='jp-mlops-table'>{caption}<tr>{head}</tr>{body}</table>"

    def _repr_pretty_(self, printer, cycle) -> None:
        cells = self._cells()
        widths = [
            max([len(c), *(len(row[i]) for row in cells)]) for i, c in enumerate(self.columns)
        ]
        lines = [
            self.title,
            "  ".join(c.ljust(w) for c, w in zip(self.columns, widths, strict=True)),
        ]
        lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)) for row in cells]
        printer.text("\n".join(lines))


class Code:
    """Source code: highlighted in Lab, plain text elsewhere."""

    def __init__(self, code: str, language: str = "python"):
        self.code = code
        self.language = language

    def __str__(self) -> str:
        return self.code

    def _repr_markdown_(self) -> str:
        return f"```{self.language}\n{self.code}\n```"

    def _repr_pretty_(self, printer, cycle) -> None:
        printer.text(self.code)


# The frontend's command that opens a run's page (src/commandIds.ts, `openRun`).
OPEN_RUN_COMMAND = "jupyter-mlops:open-run"


class RunLink:
    """The line a tracked cell starts with, as MLflow and W&B print theirs: the run id and,
    in JupyterLab, a button opening the run's page. JupyterLab's command linker runs the
    command a button names in `data-commandlinker-*` attributes (it asks first in an
    output the notebook does not trust)."""

    def __init__(self, run_id: str, experiment: str, name: str | None = None):
        self.run_id = run_id
        self.experiment = experiment
        self.name = name

    def __str__(self) -> str:
        named = f" ({self.name})" if self.name else ""
        return f"run {self.run_id}{named} in experiment {self.experiment}"

    def _repr_html_(self) -> str:
        named = f" ({escape(self.name)})" if self.name else ""
        args = escape(json.dumps({"runId": self.run_id}), quote=True)
        return (
            f"<div class='jp-mlops-run-link'>run <code>{escape(self.run_id)}</code>{named} "
            f"in experiment <b>{escape(self.experiment)}</b> "
            f"<button class='jp-mlops-open-run' data-commandlinker-command='{OPEN_RUN_COMMAND}' "
            f"data-commandlinker-args=\"{args}\" title='Open the run in JupyterLab'>"
            "Open run</button></div>"
        )

    def _repr_pretty_(self, printer, cycle) -> None:
        printer.text(str(self))
