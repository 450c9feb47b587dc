"""A widget that follows one job execution until it ends."""

from __future__ import annotations

import threading
import time

import ipywidgets as widgets

from ..jobs.records import FINISHED

POLL_SECONDS = 1.0


class JobProgress(widgets.VBox):
    def __init__(self, jobs, execution_id: str, *, follow: bool = True):
        self.jobs = jobs
        self.execution_id = execution_id
        self.bar = widgets.IntProgress(min=0, max=1, value=0, description="cells")
        self.label = widgets.HTML()
        super().__init__([self.label, self.bar])
        self.refresh()
        if follow:
            # The kernel stays free for other cells while the widget updates itself.
            threading.Thread(target=self._follow, daemon=True).start()

    @property
    def status(self) -> str:
        return self.execution["status"]

    def refresh(self) -> None:
        self.execution = self.jobs.execution(self.execution_id)
        progress = self.execution["progress"]
        self.bar.max = max(progress["total"], 1)
        self.bar.value = progress["done"]
        self.bar.bar_style = {"succeeded": "success", "failed": "danger"}.get(self.status, "")
        error = self.execution["error"] or {}
        detail = f" - {error['ename']}: {error['evalue']}" if error else ""
        self.label.value = (
            f"job <code>{self.execution_id}</code> "
            f"({self.execution['spec']['notebook']}): <b>{self.status}</b>{detail}"
        )

    def _follow(self) -> None:
        while self.status not in FINISHED:
            time.sleep(POLL_SECONDS)
            try:
                self.refresh()
            except Exception:  # the store may be briefly locked; try again next time
                continue
