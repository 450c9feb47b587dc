"""An artifact file as Lab is given it: never from outside the run's artifacts, and a
notebook never trusted.

Whoever can log to a shared MLflow store writes what a colleague later opens from a run
page (a run's notebook snapshot, a job's output notebook, any `.ipynb` artifact).
JupyterLab runs a cell's HTML and JavaScript outputs (`<script>`, an `onerror=` handler)
when the cell's `metadata.trusted` is true; Jupyter's own contents manager sets that
flag from its signature database, but a notebook read from artifacts carries whatever
its logger wrote. So the flag is dropped here, on the server, for every client: Lab then
shows those outputs sanitized, as it shows any notebook it has not signed.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

from ..errors import InvalidInput, NotFound


def untrusted(notebook):
    """The notebook (parsed JSON, changed in place) with no cell marked trusted and no
    notebook-level signature. Anything that is not a notebook's shape is left alone:
    Lab refuses to open it as a notebook."""
    if not isinstance(notebook, dict):
        return notebook
    metadata = notebook.get("metadata")
    if isinstance(metadata, dict):
        metadata.pop("signature", None)  # nbformat 3 kept the signature in the file
    cells = notebook.get("cells")
    cells = list(cells) if isinstance(cells, list) else []
    worksheets = notebook.get("worksheets")  # nbformat 3
    for sheet in worksheets if isinstance(worksheets, list) else []:
        if isinstance(sheet, dict) and isinstance(sheet.get("cells"), list):
            cells += sheet["cells"]
    for cell in cells:
        if isinstance(cell, dict) and isinstance(cell.get("metadata"), dict):
            cell["metadata"].pop("trusted", None)
    return notebook


def rejoined(notebook):
    """The notebook (parsed JSON) with its multi-line texts as one string each. On disk,
    nbformat splits a source or an output into a list of lines; Jupyter's contents
    manager joins them before Lab sees a notebook, and Lab's output model takes a list
    as one value (a stream output then shows as lines joined by commas). Anything that
    is not an nbformat 4 notebook is left alone."""
    if not isinstance(notebook, dict) or notebook.get("nbformat") != 4:
        return notebook
    import nbformat
    from nbformat.v4.rwbase import rejoin_lines

    try:
        return rejoin_lines(nbformat.from_dict(notebook))
    except (AttributeError, TypeError):  # a malformed cell: Lab refuses it as it is
        return notebook


def local_file(artifact_uri: str, path: str) -> Path | None:
    """The artifact's file when the run's artifacts are on this machine (a `file:` URI or
    a plain path), with every symlink followed; None for a remote store, read through
    MLflow. Refused when its real path leaves the run's artifact folder: a symlinked
    folder inside the store must not serve files from elsewhere on the disk."""
    parsed = urlparse(artifact_uri)
    if parsed.scheme not in ("", "file"):
        return None
    from mlflow.utils.file_utils import local_file_uri_to_path

    root = Path(local_file_uri_to_path(artifact_uri)).resolve()
    target = (root / path).resolve()
    if not target.is_relative_to(root):
        raise InvalidInput(f"{path!r} leads outside the run's artifacts", field="path")
    if not target.exists():
        raise NotFound(f"no artifact {path!r} in this run")
    return target
