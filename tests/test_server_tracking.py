"""The runs and models REST routes on a real Jupyter server and MLflow sqlite store."""

import json

import mlflow
import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from tornado.httpclient import HTTPClientError


@pytest.fixture
def services(jp_serverapp, tmp_path, monkeypatch):
    # An experiment made by plain `mlflow.set_experiment` keeps MLflow's default artifact
    # location, ./mlruns under the working directory: keep it out of the checkout.
    monkeypatch.chdir(tmp_path)
    services = jp_serverapp.web_app.settings["jupyter_mlops"].services
    services.tracking.client  # noqa: B018 - the store exists before plain mlflow touches it
    mlflow.set_tracking_uri(services.config.tracking_uri)
    return services


@pytest.fixture
def fetch_json(jp_fetch):
    async def fetch(*parts, method="GET", body=None, params=None):
        kwargs = {"method": method, "params": params}
        if body is not None:
            kwargs["body"] = json.dumps(body)
        response = await jp_fetch("mlops", "api", *parts, **kwargs)
        return json.loads(response.body) if response.body else None

    return fetch


async def expect_error(fetch_json, code, *parts, **kwargs):
    with pytest.raises(HTTPClientError) as caught:
        await fetch_json(*parts, **kwargs)
    assert caught.value.code == code
    body = json.loads(caught.value.response.body)
    assert "Traceback" not in body["message"]
    return body


def log_runs(experiment: str, count: int) -> list[str]:
    mlflow.set_experiment(experiment)
    ids = []
    for i in range(count):
        with mlflow.start_run(run_name=f"r{i}") as run:
            mlflow.log_param("lr", i / 10)
            for step in range(3):
                mlflow.log_metric("loss", (i + 1) / (step + 1), step=step)
        ids.append(run.info.run_id)
    return ids


async def test_a_plain_mlflow_run_is_listed_paged_and_shown(services, fetch_json):
    ids = log_runs("rest", 3)
    experiments = (await fetch_json("experiments"))["experiments"]
    experiment_id = next(e["experiment_id"] for e in experiments if e["name"] == "rest")

    first = await fetch_json("experiments", experiment_id, "runs", params={"max_results": 2})
    assert [r["run_id"] for r in first["runs"]] == ids[::-1][:2]
    rest = await fetch_json(
        "experiments",
        experiment_id,
        "runs",
        params={"max_results": 2, "page_token": first["next_page_token"]},
    )
    assert [r["run_id"] for r in rest["runs"]] == [ids[0]] and rest["next_page_token"] is None

    filtered = await fetch_json(
        "experiments", experiment_id, "runs", params={"filter": "params.lr = '0.1'"}
    )
    assert [r["run_name"] for r in filtered["runs"]] == ["r1"]

    detail = await fetch_json("runs", ids[1])
    assert detail["run"]["params"] == {"lr": "0.1"}
    assert detail["run"]["metrics"] == {"loss": pytest.approx(2 / 3)}
    history = await fetch_json("runs", ids[1], "metrics", "loss", "history")
    assert [p["step"] for p in history["points"]] == [0, 1, 2]

    compared = await fetch_json("runs", "compare", method="POST", body={"run_ids": ids[:2]})
    assert compared["figures"]["curves"]["data"]
    assert compared["diff"]["params"][0]["differs"] is True


async def test_bad_requests_are_400_naming_the_field(services, fetch_json):
    log_runs("bad", 1)
    body = await expect_error(
        fetch_json, 400, "experiments", "0", "runs", params={"filter": "metrics.x >>> 1"}
    )
    assert body["field"] == "filter" and body["code"] == "invalid_input"
    body = await expect_error(
        fetch_json, 400, "experiments", "0", "runs", params={"max_results": "many"}
    )
    assert body["field"] == "max_results"
    body = await expect_error(
        fetch_json, 400, "runs", "compare", method="POST", body={"run_ids": ["abc", "f" * 32]}
    )
    assert body["field"] == "run_ids.0"
    body = await expect_error(fetch_json, 400, "models", method="POST", body={"name": "x"})
    assert body["field"] == "source"


async def test_unknown_ids_are_404(services, fetch_json):
    await expect_error(fetch_json, 404, "experiments", "424242", "runs")
    await expect_error(fetch_json, 404, "runs", "f" * 32)
    await expect_error(fetch_json, 404, "models", "nothing-here", "versions")


async def test_register_alias_and_tag_over_rest(services, fetch_json):
    X = np.random.default_rng(0).random((20, 3))
    mlflow.set_experiment("register")
    with mlflow.start_run() as run:
        model = LogisticRegression().fit(X, X[:, 0] > 0.5)
        mlflow.sklearn.log_model(model, name="model", input_example=X[:2])
        mlflow.sklearn.log_model(model, name="unsigned")
    run_id = run.info.run_id

    detail = await fetch_json("runs", run_id)
    signed = {m["name"]: (m["has_signature"], m["has_input_example"]) for m in detail["models"]}
    assert signed == {"model": (True, True), "unsigned": (False, False)}

    refused = await expect_error(
        fetch_json,
        400,
        "models",
        method="POST",
        body={"source": f"runs:/{run_id}/unsigned", "name": "rest-model"},
    )
    assert "has no signature" in refused["message"]

    created = await fetch_json(
        "models",
        method="POST",
        body={"source": f"runs:/{run_id}/model", "name": "rest model", "alias": "champion"},
    )
    assert created == {"name": "rest model", "version": "1", "aliases": ["champion"]}
    name = "rest model"  # jp_fetch URL-encodes each part
    moved = await fetch_json(
        "models", name, "aliases", "challenger", method="PUT", body={"version": 1}
    )
    assert moved == {"name": "rest model", "alias": "challenger", "version": "1"}
    versions = (await fetch_json("models", name, "versions"))["versions"]
    assert versions[0]["aliases"] == ["challenger", "champion"]
    assert versions[0]["run_id"] == run_id

    await fetch_json("models", name, "aliases", "challenger", method="DELETE")
    models = (await fetch_json("models"))["models"]
    assert next(m for m in models if m["name"] == "rest model")["aliases"] == {"champion": "1"}
    await expect_error(fetch_json, 404, "models", name, "aliases", "challenger", method="DELETE")

    tag = await fetch_json(
        "models", name, "versions", "1", "tags", "stage", method="PUT", body={"value": "qa"}
    )
    assert tag == {"key": "stage", "value": "qa"}


async def test_request_schemas_are_served(services, fetch_json):
    schema = await fetch_json("schemas", "register-model")
    assert schema["required"] == ["source", "name"]
    await expect_error(fetch_json, 404, "schemas", "nope")


async def test_track_in_a_notebook_session_links_the_snapshot(
    jp_serverapp, jp_fetch, jp_root_dir, services, fetch_json
):
    """A kernel the server starts for a notebook: %%track finds the notebook on disk,
    and the run view links a snapshot Lab can open under the server root: what the
    kernel ran, not the saved file (which holds a stale error and a cell never run)."""
    import nbformat

    notebook = jp_root_dir / "work" / "train.ipynb"
    notebook.parent.mkdir()
    stale = nbformat.v4.new_code_cell("1")
    stale.outputs = [nbformat.v4.new_output("error", ename="OldError", evalue="", traceback=[])]
    nbformat.write(nbformat.v4.new_notebook(cells=[stale]), notebook)
    session = json.loads(
        (
            await jp_fetch(
                "api",
                "sessions",
                method="POST",
                body=json.dumps(
                    {
                        "path": "work/train.ipynb",
                        "name": "train.ipynb",  # as JupyterLab sends it
                        "type": "notebook",
                        "kernel": {"name": "python3"},
                    }
                ),
            )
        ).body
    )
    manager = jp_serverapp.kernel_manager
    client = manager.get_kernel(session["kernel"]["id"]).client()
    client.start_channels()
    try:
        await client.wait_for_ready(timeout=60)
        for source in ("%load_ext jupyter_mlops\n", "40 + 2"):
            reply = await client.execute_interactive(source, timeout=60)
            assert reply["content"]["status"] == "ok"
        reply = await client.execute_interactive(
            "%%track --experiment sessions --name from-kernel\nx = 41 + 1\n", timeout=120
        )
        assert reply["content"]["status"] == "ok", reply["content"]
    finally:
        client.stop_channels()
        await manager.shutdown_kernel(session["kernel"]["id"], now=True)

    experiments = (await fetch_json("experiments"))["experiments"]
    experiment_id = next(e["experiment_id"] for e in experiments if e["name"] == "sessions")
    run = (await fetch_json("experiments", experiment_id, "runs"))["runs"][0]
    assert run["run_name"] == "from-kernel" and run["status"] == "FINISHED"
    assert run["tags"]["mlops.source.notebook"] == "work/train.ipynb"
    assert run["tags"]["mlops.kernel"] == "python3"
    detail = await fetch_json("runs", run["run_id"])
    snapshot = detail["notebook"]["snapshot_path"]
    assert snapshot.startswith(".mlops/artifacts/sessions/") and snapshot.endswith("train.ipynb")
    ran = nbformat.read(jp_root_dir / snapshot, as_version=4)
    # As typed (IPython keeps each cell without its trailing newline).
    assert [cell.source for cell in ran.cells] == [
        "%load_ext jupyter_mlops",
        "40 + 2",
        "%%track --experiment sessions --name from-kernel\nx = 41 + 1",
    ]
    assert ran.cells[1].outputs[0]["data"]["text/plain"] == "42"
    assert not any(o.output_type == "error" for cell in ran.cells for o in cell.outputs)
    assert ran.metadata["mlops"]["snapshot"] == "kernel history"
    assert run["tags"]["mlops.source.snapshot_from"] == "kernel history"
    # The saved file is kept beside it, as it was.
    saved = jp_root_dir / snapshot.replace("notebook/train.ipynb", "notebook/saved/train.ipynb")
    assert nbformat.read(saved, as_version=4).cells[0].outputs[0]["ename"] == "OldError"


async def test_artifact_content_for_lab_viewers(services, fetch_json):
    mlflow.set_experiment("content")
    with mlflow.start_run() as run:
        mlflow.log_text("hello", "notes/readme.txt")
        mlflow.log_dict(
            {"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}, "nb/x.ipynb"
        )
    run_id = run.info.run_id
    text = await fetch_json(
        "runs", run_id, "artifacts", "content", params={"path": "notes/readme.txt"}
    )
    assert text == {"path": "notes/readme.txt", "format": "text", "content": "hello"}
    nb = await fetch_json("runs", run_id, "artifacts", "content", params={"path": "nb/x.ipynb"})
    assert nb["format"] == "json" and nb["content"]["nbformat"] == 4
    for bad in ("../../etc/passwd", "notes", ""):
        body = await expect_error(
            fetch_json, 400, "runs", run_id, "artifacts", "content", params={"path": bad}
        )
        assert body["field"] == "path"
