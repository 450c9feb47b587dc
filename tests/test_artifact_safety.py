"""What the artifact content route gives Lab, against a real MLflow sqlite store and real
files: a notebook with no cell trusted, and nothing from outside the run's artifacts."""

import json
import os

import mlflow
import pytest

from jupyter_mlops.config import resolve
from jupyter_mlops.errors import InvalidInput
from jupyter_mlops.services import Services
from jupyter_mlops.tracking import artifact_files

SCRIPT = "<script>window.pwned = 1</script><img src=x onerror=\"document.title='pwned'\">"


@pytest.fixture(scope="module")
def tracking(tmp_path_factory):
    services = Services(resolve(home=tmp_path_factory.mktemp("safety") / ".mlops", environ={}))
    yield services.tracking
    services.close()


@pytest.fixture
def run(tracking):
    """A finished run; (its id, its artifact folder)."""
    mlflow.set_tracking_uri(tracking.config.tracking_uri)
    with mlflow.start_run(experiment_id=tracking.experiment_id("safety")) as started:
        mlflow.log_text("hello", "notes/readme.txt")
    folder = started.info.artifact_uri.removeprefix("file://")
    return started.info.run_id, folder


def planted(trusted=True) -> dict:
    """A notebook whose cells say they are trusted and whose outputs carry script."""
    output = {"output_type": "display_data", "data": {"text/html": SCRIPT}, "metadata": {}}
    cell = {
        "cell_type": "code",
        "execution_count": 1,
        "id": "c1",
        "metadata": {"trusted": trusted, "tags": ["kept"]},
        "outputs": [output],
        "source": "show()",
    }
    markdown = {"cell_type": "markdown", "id": "m1", "metadata": {"trusted": True}, "source": "#"}
    return {
        "cells": [cell, markdown],
        "metadata": {"signature": "sha256:forged", "kernelspec": {"name": "python3"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def test_a_notebook_artifact_comes_back_with_no_cell_trusted(tracking, run):
    run_id, _ = run
    with mlflow.start_run(run_id=run_id):
        # As a run's notebook snapshot, and as a job's output notebook is logged.
        mlflow.log_dict(planted(), "notebook/train.ipynb")
        mlflow.log_dict(planted(), "output/train.ipynb")
    for path in ("notebook/train.ipynb", "output/train.ipynb"):
        answer = tracking.artifact_content(run_id, path)
        notebook = answer["content"]
        assert answer["format"] == "json"
        assert [cell["metadata"] for cell in notebook["cells"]] == [{"tags": ["kept"]}, {}]
        assert "signature" not in notebook["metadata"]
        # Only the trust goes: the outputs are shown (sanitized, by Lab) as they were.
        assert notebook["cells"][0]["outputs"][0]["data"]["text/html"] == SCRIPT
        assert notebook["metadata"]["kernelspec"] == {"name": "python3"}


def test_multi_line_texts_come_back_as_one_string_each(tracking, run):
    """As nbformat writes a notebook: sources and outputs split into lists of lines. Lab's
    output model shows a list as its items joined by commas."""
    run_id, _ = run
    stored = planted(trusted=False)
    stored["cells"][0]["source"] = ["import pandas\n", "frame.head()"]
    stored["cells"][0]["outputs"] = [
        {"output_type": "stream", "name": "stdout", "text": ["epoch 1\n", "epoch 2\n"]},
        {
            "output_type": "execute_result",
            "execution_count": 1,
            "metadata": {},
            "data": {
                "text/plain": ["   a  b\n", "0  1  2"],
                "text/html": ["<table>\n", "</table>"],
            },
        },
    ]
    with mlflow.start_run(run_id=run_id):
        mlflow.log_dict(stored, "output/lines.ipynb")
    cell = tracking.artifact_content(run_id, "output/lines.ipynb")["content"]["cells"][0]
    assert cell["source"] == "import pandas\nframe.head()"
    stream, result = cell["outputs"]
    assert stream["text"] == "epoch 1\nepoch 2\n"
    assert result["data"] == {"text/plain": "   a  b\n0  1  2", "text/html": "<table>\n</table>"}
    # Plain JSON for the answer, as it was read.
    json.dumps(cell)


def test_untrusted_leaves_odd_shapes_alone():
    nbformat3 = {"metadata": {}, "worksheets": [{"cells": [{"metadata": {"trusted": True}}]}]}
    assert artifact_files.untrusted(nbformat3)["worksheets"][0]["cells"] == [{"metadata": {}}]
    for odd in ([1, 2], "text", {"cells": "none"}, {"cells": [1, {"metadata": None}]}):
        assert artifact_files.untrusted(odd) == odd


def test_a_symlinked_folder_does_not_lead_out_of_the_artifacts(tracking, run, tmp_path):
    run_id, folder = run
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("not yours")
    os.symlink(outside, os.path.join(folder, "linked"))
    os.symlink(outside / "secret.txt", os.path.join(folder, "notes", "secret.txt"))
    for path in ("linked/secret.txt", "notes/secret.txt"):
        with pytest.raises(InvalidInput, match="outside the run's artifacts") as caught:
            tracking.artifact_content(run_id, path)
        assert caught.value.field == "path"
        assert "not yours" not in caught.value.message
    # A symlink that stays inside the run's artifacts is still served.
    os.symlink(os.path.join(folder, "notes"), os.path.join(folder, "also-notes"))
    assert tracking.artifact_content(run_id, "also-notes/readme.txt")["content"] == "hello"
    assert tracking.artifact_content(run_id, "notes/readme.txt")["content"] == "hello"


def test_artifact_content_answers_plain_errors(tracking, run):
    run_id, _ = run
    with pytest.raises(InvalidInput, match="is a folder"):
        tracking.artifact_content(run_id, "notes")
    with pytest.raises(Exception, match="no artifact") as caught:
        tracking.artifact_content(run_id, "notes/missing.txt")
    assert type(caught.value).__name__ == "NotFound"
    stored = planted()
    with mlflow.start_run(run_id=run_id):
        mlflow.log_text(json.dumps(stored), "raw/broken.ipynb.txt")
    # Not an .ipynb name: text, as stored.
    text = tracking.artifact_content(run_id, "raw/broken.ipynb.txt")
    assert text["format"] == "text" and json.loads(text["content"]) == stored
