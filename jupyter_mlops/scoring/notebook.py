"""The scoring notebook: a scoring job is a notebook job running it, so it gets what
every job has (the lifecycle, retries, schedules, executors, Ray included, the log and
the output notebook, an MLflow run with its parameters) from the one place that has it.

It is written into the home, inside the server root as a job's notebook must be, and
rewritten whenever it differs from the one this version of the package makes.
"""

from __future__ import annotations

import uuid

import nbformat

from ..config import MLOpsConfig
from ..errors import InvalidInput

FOLDER = "scoring"
NAME = "score.ipynb"

PARAMETERS = """\
model_uri = ""  # models:/<name>/<version>
input_path = ""  # parquet or CSV, inside the server root
feature_service = ""  # given: input_path holds entity rows, joined to its features
timestamp_field = ""  # the entity rows' time column (with feature_service)
output = ""  # batch/<output>/<version>/ under the MLOps home
batch_rows = 100000
keys = []  # input columns kept beside the predictions; [] for those the model does not take
"""

SCORE = """\
from jupyter_mlops.scoring.job import run

scored = run(
    model_uri,
    input_path,
    output,
    batch_rows,
    keys,
    feature_service=feature_service,
    timestamp_field=timestamp_field,
)
"""


def ensure(config: MLOpsConfig) -> str:
    """The scoring notebook's path relative to the root, written if missing or stale."""
    path = config.home / FOLDER / NAME
    if not path.resolve().is_relative_to(config.root_dir):
        raise InvalidInput(
            "scoring jobs run a notebook in the MLOps home, which must then lie inside the "
            f"server root; {config.home} does not",
            field="output",
        )
    text = nbformat.writes(_notebook())
    if not path.is_file() or path.read_text() != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        staged = path.with_name(f".{NAME}.{uuid.uuid4().hex}")
        staged.write_text(text)
        staged.replace(path)  # whole or not at all: a job may be reading it
    return str(path.resolve().relative_to(config.root_dir))


def _notebook() -> nbformat.NotebookNode:
    # Fixed ids: the same text each time, so `ensure` rewrites it only when it changed.
    parameters = nbformat.v4.new_code_cell(
        PARAMETERS, metadata={"tags": ["parameters"]}, id="parameters"
    )
    score = nbformat.v4.new_code_cell(SCORE, id="score")
    notebook = nbformat.v4.new_notebook(cells=[parameters, score])
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    return notebook
