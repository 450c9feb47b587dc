"""Answers of the routes no other REST test calls, so that every response schema meets a
real answer (the test server checks each one: `validate_responses` in conftest): job
definitions and sweeps, one execution, a run's artifacts, and a deployment rolling a
candidate out (its traffic, metrics, promote and rollback)."""

import json
import time

from jobs_helpers import notebook

from jupyter_mlops.serving import records, spec


async def call(jp_fetch, *path, method="GET", body=None, **params):
    answer = await jp_fetch(
        "mlops",
        "api",
        *path,
        method=method,
        body=None if method == "GET" else json.dumps(body or {}),
        params=params,
    )
    return answer.code, json.loads(answer.body) if answer.body else None


async def test_job_definitions_sweeps_and_one_execution(jp_fetch, jp_root_dir):
    notebook(jp_root_dir / "train.ipynb", "epochs = 1  # passes over the data", "epochs * 2")

    code, scheduled = await call(
        jp_fetch,
        "jobs",
        method="POST",
        body={"notebook": "train.ipynb", "schedule": {"cron": "0 3 * * *", "timezone": "UTC"}},
    )
    assert code == 201 and scheduled["definition"]["spec"]["schedule"]["catchup"] == "latest"
    code, listed = await call(jp_fetch, "jobs", "definitions")
    assert [d["id"] for d in listed["definitions"]] == [scheduled["definition"]["id"]]

    code, swept = await call(
        jp_fetch,
        "jobs",
        method="POST",
        body={"notebook": "train.ipynb", "sweep": {"grid": {"epochs": [1, 2]}}},
    )
    executions = swept["sweep"]["executions"]
    assert code == 201 and len(executions) == 2
    assert all(e["spec"]["parent_run_id"] == swept["sweep"]["parent_run_id"] for e in executions)

    code, one = await call(jp_fetch, "jobs", "executions", executions[0]["id"])
    assert (code, one["status"], one["inputs"]) == (200, "queued", None)
    code, cancelled = await call(jp_fetch, "jobs", "executions", one["id"], "cancel", method="POST")
    assert cancelled["status"] == "cancelled" and cancelled["error"]["kind"] == "cancelled"


async def test_a_runs_artifacts(jp_fetch, jp_serverapp):
    tracking = jp_serverapp.web_app.settings["jupyter_mlops"].services.tracking
    client = tracking.client
    # Made as the project makes experiments, with artifacts under the home: MLflow's own
    # default would put them in ./mlruns, in the checkout.
    run = client.create_run(tracking.experiment_id("answers"))
    client.log_text(run.info.run_id, "hello", "notes/readme.txt")
    client.log_text(run.info.run_id, "{}", "top.json")

    code, top = await call(jp_fetch, "runs", run.info.run_id, "artifacts")
    assert code == 200
    assert {(f["path"], f["is_dir"]) for f in top["files"]} == {
        ("notes", True),
        ("top.json", False),
    }
    code, inside = await call(jp_fetch, "runs", run.info.run_id, "artifacts", path="notes")
    assert [f["path"] for f in inside["files"]] == ["notes/readme.txt"]


def rolling_out(name: str, strategy: dict) -> dict:
    """A ready deployment with a ready candidate, as the supervisor leaves them (no
    process behind either: no agent runs in these tests)."""
    resolved = spec.validate({"name": name, "model_uri": "models:/clf/2", "strategy": strategy})
    resolved["trigger"] = None
    now = time.time()
    return {
        "name": name,
        "spec": resolved,
        "model_name": "clf",
        "model_version": "1",
        "status": records.DeploymentStatus.READY,
        "pid": 4242,
        "port": 50001,
        "host": "127.0.0.1",
        "started_at": now,
        "ready_at": now,
        "router": {"host": "127.0.0.1", "port": 50000},
        "candidate": {
            "spec": resolved,
            "model_name": "clf",
            "model_version": "2",
            "port": 50002,
            "node": None,
            "pid": 4343,
            "pid_started": None,
            "host": "127.0.0.1",
            "started_at": now,
            "ready_at": now,
        },
    }


async def test_a_deployment_rolling_out_a_candidate(jp_fetch, jp_serverapp):
    state = jp_serverapp.web_app.settings["jupyter_mlops"].services.store
    with state.begin() as conn:
        records.insert(conn, **rolling_out("canary", {"type": "canary", "percent": 25}))
        records.insert(conn, **rolling_out("shadow", {"type": "shadow"}))

    code, shown = await call(jp_fetch, "deployments", "canary")
    assert shown["candidate"]["status"] == "ready" and shown["candidate"]["action"] is None
    assert shown["traffic"]["candidate"]["weight"] == 25.0
    assert shown["traffic"]["stable"]["weight"] == 75.0

    code, metrics = await call(jp_fetch, "deployments", "canary", "metrics")
    assert metrics["available"] is False  # no router answers
    assert [v["role"] for v in metrics["versions"]] == ["stable", "candidate"]

    code, promoted = await call(jp_fetch, "deployments", "canary", "promote", method="POST")
    assert (code, promoted["candidate"]["action"]) == (200, "promote")
    code, dropped = await call(jp_fetch, "deployments", "shadow", "rollback", method="POST")
    assert (code, dropped["candidate"]["action"]) == (200, "rollback")
    code, listed = await call(jp_fetch, "deployments")
    assert [d["name"] for d in listed["deployments"]] == ["canary", "shadow"]
