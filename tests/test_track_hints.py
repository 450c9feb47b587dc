"""What `%%track` tells the user: the run's line with a button opening its page, the git
dirty flag as `git status` has it, and the fix of a tree model MLflow's skops refuses.
A real sqlite MLflow store, a real git repository, an in-process IPython shell."""

import json
import re
import subprocess
from html import unescape

import mlflow
import numpy as np
import pytest
from IPython.utils.capture import capture_output
from magic_helpers import GIT, git_project, notebook_shell
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

from jupyter_mlops import tracking
from jupyter_mlops.kernel.display import OPEN_RUN_COMMAND
from jupyter_mlops.tracking import lineage
from jupyter_mlops.tracking.capture import git_state

TRUSTED = "skops_trusted_types=['sklearn.tree._tree.Tree']"
TREE = (
    "import mlflow\nfrom sklearn.tree import DecisionTreeClassifier\n"
    "model = DecisionTreeClassifier(max_depth=2).fit([[0], [1], [2], [3]], [0, 0, 1, 1])\n"
)


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    return git_project(tmp_path_factory.mktemp("project"))


@pytest.fixture
def shell(project, monkeypatch):
    with notebook_shell(monkeypatch, project) as shell:
        yield shell


@pytest.fixture
def client(shell, project):
    from jupyter_mlops.services import default

    default().tracking.client  # noqa: B018 - our store first
    return MlflowClient(f"sqlite:///{project / '.mlops' / 'mlflow.db'}")


def last_run(client, experiment):
    found = client.search_runs([client.get_experiment_by_name(experiment).experiment_id])
    return found[0]


def track(shell, line, cell):
    with capture_output() as captured:
        shell.run_cell(f"%%track {line}\n{cell}")
    return captured


# The run's line ----------------------------------------------------------------------------


def test_track_shows_the_run_with_a_button_opening_its_page(shell, client):
    captured = track(shell, "--experiment linked --name first", "print('trained')")
    run = last_run(client, "linked")
    link, *rest = captured.outputs
    assert rest == []
    assert link.data["text/plain"] == f"run {run.info.run_id} (first) in experiment linked"
    html = link.data["text/html"]
    # JupyterLab's command linker runs the frontend's open-run command with these args.
    command = re.search(r"data-commandlinker-command='([^']+)'", html).group(1)
    args = re.search(r'data-commandlinker-args="([^"]+)"', html).group(1)
    assert command == OPEN_RUN_COMMAND == "jupyter-mlops:open-run"
    assert json.loads(unescape(args)) == {"runId": run.info.run_id}
    assert html.count("<button") == 1
    # Shown before the cell runs, as MLflow and W&B show theirs: open it while it trains.
    assert captured.stdout == "trained\n"

    unnamed = track(shell, "", "x = 1")
    default_run = last_run(client, "Default")
    shown = unnamed.outputs[0].data["text/plain"]
    assert shown == (
        f"run {default_run.info.run_id} ({default_run.info.run_name}) in experiment Default"
    )


# git dirty ------------------------------------------------------------------------------------


def test_untracked_files_make_the_run_dirty(shell, client, project):
    def dirty():
        return last_run(client, "git").data.tags[lineage.GIT_DIRTY]

    track(shell, "--experiment git", "x = 1")
    assert dirty() == "false"  # the MLOps home under the project, written by the run: ignored
    stray = project / "work" / "prepare.py"
    stray.write_text("print('not committed')\n")
    try:
        track(shell, "--experiment git", "x = 1")
        assert dirty() == "true"
    finally:
        stray.unlink()
    track(shell, "--experiment git", "x = 1")
    assert dirty() == "false"


def test_git_state_counts_untracked_files_as_git_status_does(tmp_path):
    root = git_project(tmp_path / "repo")
    folder = root / "work"
    head = subprocess.run([*GIT, "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True)
    assert git_state(folder) == (head.stdout.strip(), False)
    # Whatever the user's config hides, and wherever in the repository it is.
    subprocess.run([*GIT, "config", "status.showUntrackedFiles", "no"], cwd=root, check=True)
    (root / "notes.txt").write_text("draft\n")
    assert git_state(folder) == (head.stdout.strip(), True)
    (root / "notes.txt").unlink()
    # Under the folder left out (the MLOps home): not dirty; outside the repository: no matter.
    (root / ".mlops" / "artifacts").mkdir(parents=True)
    (root / ".mlops" / "artifacts" / "model.pkl").write_bytes(b"x")
    assert git_state(folder, ignore=root / ".mlops")[1] is False
    assert git_state(folder)[1] is True
    assert git_state(folder, ignore=tmp_path / "elsewhere")[1] is True
    # A modified tracked file.
    (root / ".mlops" / "artifacts" / "model.pkl").unlink()
    (folder / "train.ipynb").write_text("{}")
    assert git_state(folder, ignore=root / ".mlops")[1] is True
    assert git_state(tmp_path) is None  # not a repository


# A tree model under MLflow 3's skops ----------------------------------------------------------


def test_a_refused_tree_model_fails_the_run_with_the_fix_named(shell, client):
    cell = TREE + "mlflow.sklearn.log_model(model, name='m')"
    captured = track(shell, "--experiment trees --name refused", cell)
    run = last_run(client, "trees")
    assert run.info.run_name == "refused" and run.info.status == "FAILED"
    assert mlflow.active_run() is None
    # MLflow's traceback stays whole; the hint is one line after it.
    assert "Untrusted types found in the file" in captured.stdout
    hints = [line for line in captured.stderr.splitlines() if line.startswith("hint:")]
    assert len(hints) == 1 and TRUSTED in hints[0] and "mlflow.sklearn.log_model" in hints[0]


def test_the_documented_fixes_log_the_tree_model(shell, client):
    fixes = {
        "trusted": "skops_trusted_types=['sklearn.tree._tree.Tree']",
        "cloudpickle": "serialization_format='cloudpickle'",
    }
    for name, fix in fixes.items():
        cell = TREE + f"info = mlflow.sklearn.log_model(model, name='m', {fix})"
        captured = track(shell, f"--experiment fixed --name {name}", cell)
        assert "hint:" not in captured.stderr
        run = last_run(client, "fixed")
        assert (run.info.run_name, run.info.status) == (name, "FINISHED")
        loaded = mlflow.pyfunc.load_model(shell.user_ns["info"].model_uri)
        assert loaded.predict(np.array([[0], [3]])).tolist() == [0, 1]


def test_the_python_api_names_the_fix_under_the_traceback(shell, client):
    from sklearn.tree import DecisionTreeClassifier

    model = DecisionTreeClassifier().fit([[0], [1]], [0, 1])
    with pytest.raises(MlflowException, match="Untrusted types") as caught:
        with tracking.run(experiment="api-trees", name="refused"):
            mlflow.sklearn.log_model(model, name="m")
    assert [note for note in caught.value.__notes__ if TRUSTED in note]
    assert last_run(client, "api-trees").info.status == "FAILED"
    # Another error is left as it is.
    with pytest.raises(ValueError) as other:
        with tracking.run(experiment="api-trees"):
            raise ValueError("bad data")
    assert not hasattr(other.value, "__notes__")
