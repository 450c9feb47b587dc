"""Honest drift: a deployment is compared with a reference it really has (the training
frame its run logged, a file, a run's artifact, or its own first hour when chosen), and
where it has none every door says "no reference" and how to set one, never "no drift".
Judged by PSI, an effect size, so a large sample does not cry wolf.

Real parts: a real MLflow sqlite store and registry, a model trained in `%%track` in an
in-process shell, deployment rows in the state DB, and prediction logs in the serving
contract's layout standing in for its traffic (tests/test_monitoring.py's helpers)."""

from __future__ import annotations

import json
import subprocess

import numpy as np
import pandas as pd
import pytest
from IPython.utils.capture import capture_output
from magic_helpers import mlops_shell
from test_monitoring import JUPYTER, add_deployment, log_predictions
from tornado.httpclient import HTTPClientError

from jupyter_mlops.config import resolve
from jupyter_mlops.errors import InvalidInput, NotFound
from jupyter_mlops.monitoring import drift
from jupyter_mlops.services import Services
from jupyter_mlops.serving import records as deployment_records
from jupyter_mlops.tracking import lineage


def ring(rows: int, seed: int, radius: float = 1.0) -> pd.DataFrame:
    """Two inputs on a ring: `radius` 1.8 moves both outwards (the shift a user met)."""
    rng = np.random.default_rng(seed)
    angle = rng.uniform(0, 2 * np.pi, rows)
    spread = rng.normal(1.0, 0.1, rows) * radius
    return pd.DataFrame({"x": spread * np.cos(angle), "y": spread * np.sin(angle)})


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    root = tmp_path_factory.mktemp("drift-reference")
    services = Services(resolve(root_dir=root, environ={}))
    yield services
    services.close()


@pytest.fixture(scope="module")
def runs(project):
    """Two runs of one model: `logged` ran `%%track --log-input X`, `bare` logged no data;
    each registered as a version of `ring`."""
    monkeypatch = pytest.MonkeyPatch()
    made = {}
    try:
        with mlops_shell(monkeypatch, project.config.home, project.config.root_dir) as shell:
            shell.user_ns["X"] = ring(3000, seed=1)
            for name, option in (("logged", "--log-input X"), ("bare", "")):
                with capture_output() as captured:
                    shell.run_cell_magic(
                        "track",
                        f"--experiment drift-ref --name {name} {option}",
                        "import mlflow\n"
                        "from sklearn.linear_model import LogisticRegression\n"
                        "model = LogisticRegression().fit(X, X['x'] > 0)\n"
                        "mlflow.sklearn.log_model(model, name='model', "
                        "input_example=X.head(3), pip_requirements=['scikit-learn'])\n"
                        "run_id = mlflow.active_run().info.run_id\n",
                    )
                made[name] = shell.user_ns["run_id"]
                made[f"{name}_said"] = captured.stdout
    finally:
        monkeypatch.undo()
    for name in ("logged", "bare"):
        made[f"{name}_version"] = project.registry.register(made[name], "ring")["version"]
    return made


def test_track_log_input_logs_the_frame_as_the_run_s_training_input(project, runs):
    assert (
        f"logged X (3,000 rows) as the training input of run {runs['logged']}"
        in (runs["logged_said"])
    )
    run = project.tracking.client.get_run(runs["logged"])
    (dataset,) = run.inputs.dataset_inputs
    assert [(tag.key, tag.value) for tag in dataset.tags] == [("mlflow.data.context", "training")]
    assert dataset.dataset.name == "training"
    assert json.loads(dataset.dataset.schema)["mlflow_colspec"][0]["name"] == "x"
    assert json.loads(dataset.dataset.source)["uri"].endswith(lineage.SAMPLE)
    assert len(project.training_sets.sample(runs["logged"])) == 3000
    assert project.training_sets.sample(runs["bare"]) is None
    assert project.tracking.client.get_run(runs["bare"]).inputs.dataset_inputs == []


def test_a_shifted_stream_is_found_against_the_logged_training_frame(project, runs):
    version = runs["logged_version"]
    add_deployment(project, "ring-logged", model="ring", version=version)
    # Half the requests moved outwards (radius x1.8): what "no drift" was shown for.
    shifted = pd.concat([ring(400, seed=2), ring(400, seed=3, radius=1.8)])
    log_predictions(project, "ring-logged", version, shifted, prediction=np.zeros(800, int))
    report = project.monitoring.drift("ring-logged")
    assert report["reference"] == {
        "source": "training_set",
        "rows": 3000,
        "detail": f"run {runs['logged']}",
    }
    assert report["verdict"] == "drifted"
    assert set(report["drifted"]) >= {"x", "y"}


def test_with_nothing_logged_every_door_says_no_reference_never_no_drift(project, runs):
    version = runs["bare_version"]
    add_deployment(project, "ring-bare", model="ring", version=version)
    # No traffic either: 0 requests against 0 reference rows is not green.
    empty = project.monitoring.drift("ring-bare")
    assert (empty["verdict"], empty["reference"]["source"]) == ("no_reference", "none")
    shifted = pd.concat([ring(400, seed=4), ring(400, seed=5, radius=1.8)])
    log_predictions(project, "ring-bare", version, shifted, seq=1, prediction=np.zeros(800, int))
    report = project.monitoring.drift("ring-bare")
    assert report["verdict"] == "no_reference" and report["drifted"] == []
    assert "jupyter mlops reference ring-bare" in report["note"]
    assert "--log-input" in report["note"]

    cli = run_cli(project, "drift", "ring-bare", "--fail-on-drift")
    assert cli.returncode == 3, cli.stderr  # not judged is not a pass
    assert "not judged: no reference" in cli.stdout and "no drift" not in cli.stdout
    with mlops_shell(pytest.MonkeyPatch(), project.config.home, project.config.root_dir) as shell:
        with capture_output() as captured:
            shell.run_cell("%mlops drift ring-bare")
    caption = captured.outputs[0].data["text/html"]
    assert "not judged: no reference" in caption and "no drift" not in caption


def test_the_first_hour_is_the_reference_only_when_chosen_and_reset_goes_back(project, runs):
    version = runs["bare_version"]
    add_deployment(project, "ring-chosen", model="ring", version=version)
    log_predictions(
        project, "ring-chosen", version, ring(300, seed=6), seq=2, prediction=np.zeros(300, int)
    )
    said = run_cli(project, "reference", "ring-chosen")
    assert said.returncode == 0 and "no reference: set one" in said.stdout
    chosen = run_cli(project, "reference", "ring-chosen", "baseline")
    assert chosen.returncode == 0, chosen.stderr
    assert "compared with the baseline_window first 3600s" in chosen.stdout
    assert project.monitoring.drift("ring-chosen")["verdict"] == "stable"
    events = [e["message"] for e in project.deployments.events("ring-chosen")]
    assert "drift reference set to baseline" in events
    reset = run_cli(project, "reference", "ring-chosen", "--reset")
    assert reset.returncode == 0 and "no reference" in reset.stdout
    assert project.monitoring.drift("ring-chosen")["verdict"] == "no_reference"
    both = run_cli(project, "reference", "ring-chosen", "baseline", "--reset")
    assert both.returncode == 1
    assert both.stderr.strip().endswith("give a reference or --reset, not both")


def test_a_run_s_artifact_is_a_reference_and_a_bad_one_changes_nothing(project, runs):
    version = runs["bare_version"]
    add_deployment(project, "ring-artifact", model="ring", version=version)
    client = project.tracking.client
    frame = project.config.root_dir / "holdout.csv"
    ring(500, seed=7).to_csv(frame, index=False)
    client.log_artifact(runs["bare"], str(frame), "data")
    uri = f"runs:/{runs['bare']}/data/holdout.csv"
    found = project.monitoring.set_reference("ring-artifact", uri)
    assert (found["source"], found["rows"], found["detail"]) == ("dataset", 500, uri)

    spec = deployment_records.get(project.store, "ring-artifact")["spec"]
    for bad, said in [
        ("runs:/nothex/data.csv", "is not runs:/<32-hex run id>/<artifact path>"),
        (f"runs:/{runs['bare']}/data/missing.csv", "no artifact"),
        ("../outside.parquet", "outside the server root"),
        ("s3://bucket/ref.parquet", "a reference is a file in the server root"),
        ("missing.parquet", "no file 'missing.parquet'"),
        ("   ", "reference must be a non-empty string or null"),
    ]:
        with pytest.raises(InvalidInput, match="") as caught:
            project.monitoring.set_reference("ring-artifact", bad)
        assert said in caught.value.message, bad
        assert caught.value.field in ("monitor.reference", "reference")
        # Refused before anything is written.
        assert deployment_records.get(project.store, "ring-artifact")["spec"] == spec


def test_deploy_takes_a_reference_from_each_door(project, runs):
    (project.config.root_dir / "data").mkdir(exist_ok=True)
    ring(200, seed=8).to_parquet(project.config.root_dir / "data" / "ref.parquet")
    done = run_cli(
        project, "deploy", "models:/ring/1", "--name", "ring-cli", "--reference", "data/ref.parquet"
    )
    assert done.returncode == 0, done.stderr
    assert project.monitoring.reference("ring-cli")["detail"] == "data/ref.parquet"
    refused = run_cli(
        project, "deploy", "models:/ring/1", "--name", "ring-out", "--reference", "/etc/passwd"
    )
    assert refused.returncode == 1 and "outside the server root" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    with pytest.raises(NotFound):
        deployment_records.get(project.store, "ring-out")  # nothing recorded
    with mlops_shell(pytest.MonkeyPatch(), project.config.home, project.config.root_dir) as shell:
        shell.run_line_magic(
            "mlops", "deploy models:/ring/1 --name ring-magic --reference baseline"
        )
        with capture_output() as captured:
            found = shell.run_line_magic("mlops", "reference ring-magic")
    assert found["reference"] == "baseline" and found["source"] == "baseline_window"
    assert captured.stdout.startswith("ring-magic: compared with the baseline_window")


def test_track_log_input_of_something_else_says_so_and_the_run_stays_finished(project):
    monkeypatch = pytest.MonkeyPatch()
    with mlops_shell(monkeypatch, project.config.home, project.config.root_dir) as shell:
        shell.user_ns["numbers"] = [1, 2, 3]
        for expression, said in (
            ("numbers", "must be a pandas DataFrame, not list"),
            ("missing", "NameError"),
        ):
            with capture_output() as captured:
                shell.run_cell_magic(
                    "track",
                    f"--experiment drift-ref --log-input {expression}",
                    "import mlflow\nrun_id = mlflow.active_run().info.run_id\n",
                )
            assert said in captured.stderr and "not logged" in captured.stderr
            assert len(captured.stderr.strip().splitlines()) == 1
            run = project.tracking.client.get_run(shell.user_ns["run_id"])
            assert run.info.status == "FINISHED"
    monkeypatch.undo()


def test_psi_does_not_cry_wolf_on_a_large_sample():
    rng = np.random.default_rng(0)
    reference = pd.Series(rng.normal(0, 1, 200_000))
    # A shift of 3% of a standard deviation: of no consequence, yet "significant".
    current = pd.Series(rng.normal(0.03, 1, 200_000))
    report = drift.column_report("x", reference, current)
    assert report["p_value"] < 1e-6  # what judging by the test would have flagged
    assert report["psi"] < 0.01 and report["drifted"] is False
    moved = drift.column_report("x", reference, pd.Series(rng.normal(1.0, 1, 2_000)))
    assert moved["drifted"] is True


async def test_rest_reference_get_put_and_garbage(jp_fetch, jp_serverapp):
    served = jp_serverapp.web_app.settings["jupyter_mlops"].services
    add_deployment(served, "rest-ref")

    async def call(method="GET", body=None, name="rest-ref"):
        answer = await jp_fetch(
            "mlops",
            "api",
            "deployments",
            name,
            "reference",
            method=method,
            body=None if body is None else body if isinstance(body, str) else json.dumps(body),
        )
        return answer.code, json.loads(answer.body)

    code, found = await call()
    assert code == 200 and (found["reference"], found["source"]) == (None, "none")
    code, found = await call("PUT", {"reference": "baseline"})
    assert code == 200 and found["source"] == "baseline_window"
    for bad in (
        {"reference": 3},
        {"reference": ""},
        {},
        {"reference": "x", "more": 1},
        "not json",
        {"reference": "../../etc/passwd"},
    ):
        with pytest.raises(HTTPClientError) as caught:
            await call("PUT", bad)
        answer = json.loads(caught.value.response.body)
        assert caught.value.code == 400, bad
        assert "Traceback" not in answer["message"]
    code, found = await call()
    assert found["reference"] == "baseline"  # nothing changed by the garbage
    with pytest.raises(HTTPClientError) as caught:
        await call(name="nobody")
    assert caught.value.code == 404


def run_cli(project, *args):
    return subprocess.run(
        [JUPYTER, "mlops", "--home", str(project.config.home), *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=project.config.root_dir,
    )
