"""The notebook a run was made by, as it ran: the cells this kernel executed, in order,
from IPython's own history, each with its result.

The file on disk is not that: it carries the outputs of an earlier execution (an error
shown under a cell that has since succeeded), misses edits not yet saved, and holds
cells that never ran. IPython keeps every executed cell's text as typed and each cell's
result (`Out`); it keeps neither printed text nor displays, so those are not here, and
the notebook says so in its metadata.
"""

from __future__ import annotations

from typing import Any

MAX_CELLS = 500  # the most recent ones: a kernel that ran for weeks is not all logged
MAX_RESULT_CHARS = 100_000  # a result's text/plain and text/html, each
MAX_IMAGE_CHARS = 4_000_000  # a larger figure is left out, not cut (it would not decode)
KEPT = ("text/plain", "text/html", "text/markdown", "image/png", "image/svg+xml")
SOURCE = "kernel history"  # mlops.source.snapshot_from of a snapshot built here


def executed_notebook(shell: Any, kernel: str | None) -> dict | None:
    """nbformat 4 JSON of what `shell` (an IPython InteractiveShell) executed; None when
    it has no history (not IPython, or nothing ran yet)."""
    import nbformat

    history = getattr(shell, "history_manager", None)
    raw = list(getattr(history, "input_hist_raw", None) or [])
    if len(raw) < 2:  # entry 0 is IPython's empty placeholder
        return None
    results = getattr(history, "output_hist", {}) or {}
    first = max(1, len(raw) - MAX_CELLS)
    cells = []
    for count in range(first, len(raw)):
        source = raw[count]
        if not source.strip():
            continue
        cell = nbformat.v4.new_code_cell(source, execution_count=count)
        if count in results:
            cell.outputs = [_result(shell, results[count], count)]
        cells.append(cell)
    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata["mlops"] = {
        "snapshot": SOURCE,
        "note": "the cells this kernel executed, in order, with their results; printed "
        "output and displays are not kept by IPython and are not here",
        **({"first_execution": first} if first > 1 else {}),
    }
    if kernel:
        notebook.metadata["kernelspec"] = {"name": kernel, "display_name": kernel}
    return notebook


def _result(shell: Any, value: Any, count: int) -> dict:
    import nbformat

    try:
        data, metadata = shell.display_formatter.format(value)
    except Exception:  # a user's object whose repr raises: its type stands in
        data, metadata = {"text/plain": f"<{type(value).__name__}>"}, {}
    kept = {
        mime: text[:MAX_RESULT_CHARS] if mime.startswith("text/") else text
        for mime, text in data.items()
        if mime in KEPT and isinstance(text, str) and len(text) <= MAX_IMAGE_CHARS
    }
    return nbformat.v4.new_output(
        "execute_result", data=kept, metadata=metadata, execution_count=count
    )
