"""`%%track`, `%mlops run|runs|register|models|alias` in an in-process IPython shell."""

import subprocess

import mlflow
import pytest
from IPython.core.error import UsageError
from magic_helpers import git_project, notebook_shell
from mlflow import MlflowClient

from jupyter_mlops.kernel.widgets import PLOTLY_MIME, RunsTable
from jupyter_mlops.tracking import lineage


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


def test_track_records_the_run_and_where_it_came_from(shell, client, project):
    shell.run_cell_magic(
        "track",
        "--experiment tracked --name first",
        "import mlflow\nmlflow.log_param('alpha', 0.5)\n"
        "from jupyter_mlops import tracking\n"
        "for step in range(5):\n    tracking.log_metrics({'loss': 1 / (step + 1)}, step=step)\n",
    )
    run = last_run(client, "tracked")
    assert run.info.run_name == "first" and run.info.status == "FINISHED"
    assert run.data.params == {"alpha": "0.5"}
    assert len(client.get_metric_history(run.info.run_id, "loss")) == 5  # flushed at the end
    tags = run.data.tags
    assert tags[lineage.SOURCE_NOTEBOOK] == "work/train.ipynb"
    assert tags[lineage.HOME] == str((project / ".mlops").resolve())
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=project, capture_output=True, text=True)
    assert tags[lineage.GIT_COMMIT] == head.stdout.strip()
    assert tags[lineage.GIT_DIRTY] == "false"
    assert tags[lineage.PYTHON].count(".") == 2
    artifacts = {a.path for a in client.list_artifacts(run.info.run_id, "notebook")}
    assert artifacts == {"notebook/train.ipynb", "notebook/cell.py"}
    cell = mlflow.artifacts.load_text(f"{run.info.artifact_uri}/notebook/cell.py")
    assert "log_param('alpha', 0.5)" in cell
    requirements = mlflow.artifacts.load_text(
        f"{run.info.artifact_uri}/environment/requirements.txt"
    )
    assert f"mlflow=={mlflow.__version__}" in requirements.splitlines()


def test_a_root_relative_session_path_is_found(project, monkeypatch):
    from jupyter_mlops.tracking.capture import notebook_path

    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    found = notebook_path({"__session__": "work/train.ipynb"}, project)
    assert found == project / "work" / "train.ipynb"
    assert notebook_path({"__session__": "work/missing.ipynb"}, project) is None
    assert notebook_path({}, project) is None


def test_a_failing_cell_marks_the_run_failed(shell, client):
    shell.run_cell_magic("track", "--experiment failing", "raise ValueError('bad data')")
    assert last_run(client, "failing").info.status == "FAILED"
    assert mlflow.active_run() is None


def test_track_autolog_records_what_the_library_logs(shell, client):
    shell.run_cell_magic(
        "track",
        "--experiment autolog --autolog",
        "import numpy as np\nfrom sklearn.linear_model import LogisticRegression\n"
        "X = np.random.default_rng(0).random((30, 3))\n"
        "LogisticRegression(C=0.5).fit(X, X[:, 0] > .5)\n",
    )
    run = last_run(client, "autolog")
    assert run.data.params["C"] == "0.5"  # logged by MLflow's sklearn autologging
    assert "training_accuracy_score" in run.data.metrics
    # Autologging was scoped to that cell.
    shell.run_cell_magic("track", "--experiment autolog --name plain", "x = 1")
    assert last_run(client, "autolog").data.params == {}


def test_track_inside_an_open_run_nests(shell, client):
    shell.run_line_magic("mlops", "run start --experiment nesting --name parent")
    parent = mlflow.active_run().info.run_id
    shell.run_cell_magic("track", "--name child", "x = 2")
    shell.run_line_magic("mlops", "run end")
    runs = {
        r.info.run_name: r
        for r in client.search_runs([client.get_experiment_by_name("nesting").experiment_id])
    }
    assert runs["child"].data.tags["mlflow.parentRunId"] == parent
    assert runs["parent"].info.status == "FINISHED"


def test_run_end_without_a_run_is_a_usage_error(shell):
    with pytest.raises(UsageError, match="no active run"):
        shell.run_line_magic("mlops", "run end")


def test_runs_widget_sorts_selects_and_compares(shell, client):
    for lr in ("0.1", "0.2", "0.3"):
        shell.run_cell_magic(
            "track",
            f"--experiment widget --name lr-{lr}",
            f"import mlflow\nmlflow.log_param('lr', {lr})\n"
            f"for s in range(3):\n    mlflow.log_metric('acc', {lr} * s, step=s)\n",
        )
    table = shell.run_line_magic("mlops", "runs --experiment widget")
    assert isinstance(table, RunsTable)
    width = len(table.columns) + 1  # a checkbox, then one cell per column

    def names():
        return [cell.value for cell in table.grid.children[width + 1 :: width]]

    table.sort_by.value = "acc"
    table.descending.value = False
    assert names() == ["lr-0.1", "lr-0.2", "lr-0.3"]
    table.descending.value = True
    assert names() == ["lr-0.3", "lr-0.2", "lr-0.1"]
    assert table.compare_button.disabled
    for check in list(table.checks.values())[:2]:
        check.value = True
    assert not table.compare_button.disabled
    table.show_comparison()
    mimes = [o.get("data", {}) for o in table.output.outputs]
    assert sum(PLOTLY_MIME in m for m in mimes) == 2
    assert any("param lr" in m.get("text/html", "") for m in mimes)


def test_register_models_alias_from_cells(shell, client, capsys):
    shell.run_cell_magic(
        "track",
        "--experiment models --name fit",
        "import mlflow, numpy as np\nfrom sklearn.linear_model import LogisticRegression\n"
        "X = np.random.default_rng(0).random((20, 3))\n"
        "mlflow.sklearn.log_model(LogisticRegression().fit(X, X[:, 0] > .5), name='model',"
        " input_example=X[:2])\n",
    )
    run_id = last_run(client, "models").info.run_id
    created = shell.run_line_magic(
        "mlops", f"register {run_id} --name magic-model --alias champion"
    )
    assert created["version"] == "1"
    assert "registered magic-model version 1 as champion" in capsys.readouterr().out
    shell.run_line_magic("mlops", "alias magic-model 1 challenger")
    assert str(client.get_model_version_by_alias("magic-model", "challenger").version) == "1"
    versions = shell.run_line_magic("mlops", "models magic-model")
    assert "champion, challenger" in versions._repr_html_() or "challenger, champion" in (
        versions._repr_html_()
    )
    assert "magic-model" in shell.run_line_magic("mlops", "models")._repr_html_()
    shell.run_line_magic("mlops", "alias magic-model challenger --delete")
    assert "challenger" not in client.get_registered_model("magic-model").aliases


def test_register_refuses_an_unsigned_model_in_one_line(shell, client):
    shell.run_cell_magic(
        "track",
        "--experiment unsigned",
        "import mlflow, numpy as np\nfrom sklearn.linear_model import LogisticRegression\n"
        "X = np.random.default_rng(0).random((20, 3))\n"
        "mlflow.sklearn.log_model(LogisticRegression().fit(X, X[:, 0] > .5), name='model')\n",
    )
    run_id = last_run(client, "unsigned").info.run_id
    with pytest.raises(UsageError, match="%mlops register: .* has no signature"):
        shell.run_line_magic("mlops", f"register {run_id} --name nope")


def test_log_metrics_without_a_run_says_how_to_start_one(shell):
    from jupyter_mlops import tracking
    from jupyter_mlops.errors import InvalidInput

    with pytest.raises(InvalidInput, match="no active run: start one with %%track"):
        tracking.log_metrics({"loss": 1.0})
