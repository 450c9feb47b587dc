"""Rich display of service answers in notebook outputs."""

from __future__ import annotations

from html import escape
from typing import Any


class KeyValues:
    """A nested dict shown as a table in Lab and as aligned text elsewhere."""

    def __init__(self, title: str, data: dict[str, Any]):
        self.title = title
        self.data = data

    def _rows(self) -> list[tuple[str, str]]:
        rows = []
        for key, value in self.data.items():
            if isinstance(value, dict):
                rows += [(f"{key}.{k}", _text(v)) for k, v in value.items()]
            else:
                rows.append((key, _text(value)))
        return rows

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
