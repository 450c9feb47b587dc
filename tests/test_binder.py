"""The Binder demo notebook runs top to bottom on a real kernel."""

from pathlib import Path

import nbformat
from nbclient import NotebookClient

DEMO = Path(__file__).parents[1] / "binder" / "getting-started.ipynb"


def test_getting_started_notebook_runs(tmp_path, monkeypatch):
    monkeypatch.setenv("JUPYTER_MLOPS_HOME", str(tmp_path / "home"))
    notebook = nbformat.read(DEMO, as_version=4)
    NotebookClient(
        notebook,
        timeout=120,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    ).execute()
    last = notebook.cells[-1].outputs[0]["data"]["text/plain"]
    assert str((tmp_path / "home").resolve()) in last
    table = notebook.cells[2].outputs[0]["data"]["text/html"]
    assert "agent.state" in table
