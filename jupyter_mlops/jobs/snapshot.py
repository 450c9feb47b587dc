"""A job's notebook as it runs: the parameters injected as papermill injects them, logged
on the execution's run as its snapshot (what "Open notebook snapshot" opens)."""

from __future__ import annotations

from pathlib import Path


def parameterized(notebook: Path, kernel: str, parameters: dict) -> dict:
    """The notebook with papermill's injected-parameters cell, as nbformat JSON."""
    # Imported here: the agent's process imports the lifecycle, not papermill, at start.
    from papermill.iorw import load_notebook_node
    from papermill.parameterize import parameterize_notebook

    # papermill's own reader: it gives every cell the tags its parameterizer reads.
    nb = load_notebook_node(str(notebook))
    return parameterize_notebook(nb, parameters, kernel_name=kernel)
