"""The `%mlops features` widget: a searchable list of feature views beside the selected
view's schema with its stats, its freshness and its newest rows."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from html import escape
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

from ..errors import MLOpsError

if TYPE_CHECKING:
    from ..features.service import FeatureStore

SAMPLE_ROWS = 5


class FeatureBrowser(widgets.VBox):
    def __init__(
        self,
        store: FeatureStore,
        *,
        view: str | None = None,
        query: str = "",
        insert_snippet: Callable[[str], None] | None = None,
    ):
        self.store = store
        self._insert_snippet = insert_snippet
        if view is not None:
            store.view(view)  # an unknown name is the caller's error, raised before any widget
        self.search = widgets.Text(
            value=query,
            placeholder="name, owner, tag or feature",
            description="Search",
            continuous_update=True,
        )
        self.listing = widgets.Select(options=[], rows=10, layout=widgets.Layout(width="18em"))
        self.detail = widgets.HTML(layout=widgets.Layout(flex="1 1 auto", overflow="auto"))
        self.snippet_button = widgets.Button(
            description="Snippet",
            icon="code",
            tooltip="Code for a training set from this view, in the next cell",
            disabled=True,
        )
        self.snippet_button.on_click(lambda _: self.insert_snippet())
        self.snippet_button.layout.display = None if insert_snippet else "none"
        self._listing = False
        self.listing.observe(self._on_select, names="value")
        self.search.observe(lambda _: self.refresh(), names="value")
        controls = widgets.HBox([self.search, self.snippet_button])
        super().__init__([controls, widgets.HBox([self.listing, self.detail])])
        self.refresh(select=view)

    @property
    def selected(self) -> str | None:
        return self.listing.value

    def refresh(self, select: str | None = None) -> None:
        """List the views matching the search; keep the selection while it matches."""
        found = self._ask(self.store.views, self.search.value)
        if found is None:
            return
        names = [v["name"] for v in found]
        if select is not None and select not in names:
            # Opened on a view the search hides: show it anyway rather than nothing.
            found = [*found, {"name": select, "version": None}]
            names.append(select)
        keep = select if select is not None else self.listing.value
        # The detail is shown once after, not for each intermediate value.
        self._listing = True
        try:
            self.listing.options = [(_label(v), v["name"]) for v in found]
            self.listing.value = keep if keep in names else (names[0] if names else None)
        finally:
            self._listing = False
        self.show()

    def show(self) -> None:
        name = self.selected
        self.snippet_button.disabled = name is None
        if name is None:
            self.detail.value = "<p>No feature view matches.</p>"
            return
        view = self._ask(self.store.view, name)
        sample = self._ask(self.store.sample, name, SAMPLE_ROWS)
        if view is not None and sample is not None:
            self.detail.value = _view_html(view, sample)

    def _on_select(self, _change) -> None:
        if not self._listing:
            self.show()

    def insert_snippet(self) -> None:
        if self.selected is not None and self._insert_snippet is not None:
            self._ask(self._insert_snippet, self.selected)

    def _ask(self, fn: Callable[..., Any], *args: Any) -> Any:
        # A widget callback has no cell to raise into: the message goes where the
        # answer would have been.
        try:
            return fn(*args)
        except MLOpsError as err:
            self.detail.value = f"<p class='jp-mlops-error'>{escape(err.message)}</p>"
            return None


def _label(view: dict) -> str:
    return view["name"] if view["version"] is None else f"{view['name']}  v{view['version']}"


def _view_html(view: dict, sample: dict) -> str:
    keys = ", ".join(view["entities"])
    ttl = "none" if view["ttl_seconds"] is None else f"{view['ttl_seconds'] / 3600:g} h"
    versions = ", ".join(f"v{v['version']}" for v in view["versions"])
    head = (
        f"<h4>{escape(view['name'])} v{view['version']}</h4>"
        + (f"<p>{escape(view['description'])}</p>" if view["description"] else "")
        + _pairs(
            [
                ("entities", keys),
                ("owner", view["owner"] or "-"),
                ("tags", ", ".join(f"{k}={v}" for k, v in view["tags"].items()) or "-"),
                ("ttl", ttl),
                ("versions", versions),
            ]
        )
    )
    fresh = view["freshness"]
    materialized = fresh["materialized"]
    freshness = _pairs(
        [
            ("rows", str(fresh["rows"])),
            ("batches", str(fresh["batches"])),
            ("last event", _when(fresh["last_event"])),
            ("last ingested", _when(fresh["last_ingested"])),
            (
                "materialized",
                "never"
                if materialized is None
                else f"{_when(materialized['start'])} to {_when(materialized['end'])}"
                f" ({materialized['rows']} keys) at {_when(materialized['materialized_at'])}",
            ),
        ]
    )
    feature_stats = (view["stats"] or {}).get("features", {})
    schema = _table(
        ["feature", "type", "nulls", "distinct", "summary", "description"],
        [
            [
                f["name"],
                f["dtype"],
                _shown(feature_stats.get(f["name"], {}).get("nulls")),
                _shown(feature_stats.get(f["name"], {}).get("distinct")),
                _summary(feature_stats.get(f["name"])),
                f["description"],
            ]
            for f in view["schema"]
        ],
    )
    rows = _table(sample["columns"], [[_shown(v) for v in row] for row in sample["rows"]])
    return (
        f"<div class='jp-mlops-feature-view'>{head}<h5>Freshness</h5>{freshness}"
        f"<h5>Schema</h5>{schema}<h5>Newest rows</h5>{rows}</div>"
    )


def _summary(stat: dict | None) -> str:
    if not stat:
        return "-"
    if "top" in stat:
        return ", ".join(f"{t['value']} ({t['count']})" for t in stat["top"][:3]) or "-"
    if "mean" in stat:
        return f"{_shown(stat['min'])} .. {_shown(stat['max'])}, mean {_shown(stat['mean'])}"
    return f"{_shown(stat.get('min'))} .. {_shown(stat.get('max'))}"


def _pairs(pairs: list[tuple[str, str]]) -> str:
    body = "".join(
        f"<tr><th style='text-align:left'>{escape(k)}</th>"
        f"<td style='text-align:left'>{escape(v)}</td></tr>"
        for k, v in pairs
    )
    return f"<table>{body}</table>"


def _table(columns: list[str], rows: list[list[str]]) -> str:
    if not rows:
        return "<p>No rows.</p>"
    head = "".join(f"<th style='text-align:left'>{escape(c)}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td style='text-align:left'>{escape(v)}</td>" for v in row) + "</tr>"
        for row in rows
    )
    return f"<table class='jp-mlops-table'><tr>{head}</tr>{body}</table>"


def _when(epoch: float | None) -> str:
    if epoch is None:
        return "-"
    # UTC, as the store keeps event times: a local time here would disagree with the rows.
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def _shown(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)
