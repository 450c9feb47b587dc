"""Hyperparameter searches (issue 15): Optuna samples and prunes, each trial one job
execution of the notebook (real kernels, papermill, an MLflow sqlite store), driven by
the agent's search driver. A search surviving its agent is in test_tuning_resume.py."""

import json
import os

import pytest
from cli_helpers import mlops
from IPython.core.interactiveshell import InteractiveShell
from jobs_helpers import QUADRATIC, drive_search, notebook, services_for
from tornado.httpclient import HTTPClientError

from jupyter_mlops.config import GPUS_ENV, HOME_ENV, ROOT_DIR_ENV
from jupyter_mlops.errors import InvalidInput
from jupyter_mlops.services import default

# Epochs whose loss is the distance from 2 (bad trials stay bad), one value per step.
EPOCHS = (
    "import time\nimport mlflow\n"
    "for epoch in range(5):\n"
    "    mlflow.log_metric('loss', abs(x - 2.0) + 1.0 / (epoch + 1), step=epoch)\n"
    "    time.sleep(0.4)"
)


@pytest.fixture
def project(tmp_path):
    notebook(tmp_path / "quad.ipynb", "x = 0.0", QUADRATIC)
    notebook(tmp_path / "epochs.ipynb", "x = 0.0", EPOCHS)
    notebook(tmp_path / "typed.ipynb", "x = 0.0\ndepth = 2\nname = 'a'\nflag = True", "pass")
    services = services_for(tmp_path)
    yield services
    services.close()


def test_tpe_finds_the_optimum_of_a_noisy_quadratic(project):
    submitted = project.tuning.submit(
        {
            "notebook": "quad.ipynb",
            "search": {
                "metric": "loss",
                "space": {"x": {"low": -5.0, "high": 5.0}},
                "trials": 30,
                "parallel": 2,
                "sampler": "tpe",
                "seed": 7,
            },
        }
    )["search"]
    assert submitted["status"] == "running" and submitted["trials"] == []
    search = drive_search(project, submitted["id"])
    assert search["counts"] == {"complete": 30, "running": 0, "pruned": 0, "fail": 0}
    best = search["best"]
    assert abs(best["params"]["x"] - 2.0) < 0.3 and best["value"] < 0.1, best

    # Each trial one child run under the search's run, its sampled value as a param.
    client = project.tracking.client
    run = client.get_run(best["run_id"])
    assert run.data.tags["mlflow.parentRunId"] == search["parent_run_id"]
    assert run.data.tags["mlops.search.id"] == search["id"]
    assert float(run.data.params["x"]) == pytest.approx(best["params"]["x"])
    parent = client.get_run(search["parent_run_id"])
    assert parent.data.metrics["best_loss"] == pytest.approx(best["value"])
    assert json.loads(parent.data.tags["mlops.search.best_params"]) == best["params"]
    assert {t["number"] for t in search["trials"]} == set(range(30))

    figures = project.tuning.search(search["id"], figures=True)["figures"]
    assert {"history", "parallel"} <= set(figures)
    assert figures["history"]["data"]


def test_pruned_trials_are_stopped_and_leave_no_process(project):
    submitted = project.tuning.submit(
        {
            "notebook": "epochs.ipynb",
            "search": {
                "metric": "loss",
                # Two good values first (the median to beat), then far ones to prune.
                "space": {"x": {"choices": [2.0, 2.1, 9.0, 8.0, 7.0, 2.05]}},
                "sampler": "grid",
                "pruner": "median",
                "trials": 6,
                "parallel": 1,
                "seed": 1,
            },
        }
    )["search"]
    search = drive_search(project, submitted["id"])
    pruned = [t for t in search["trials"] if t["state"] == "pruned"]
    assert pruned, search["trials"]
    for trial in pruned:
        assert abs(trial["params"]["x"] - 2.0) > 1
        execution = project.jobs.execution(trial["execution_id"])
        assert execution["status"] == "cancelled"
        # Its worker (and the kernel in its process group) is gone.
        record = project.jobs.records.get(trial["execution_id"])
        if record.pid:
            with pytest.raises(ProcessLookupError):
                os.killpg(record.pid, 0)
    assert search["best"]["params"]["x"] in (2.0, 2.05, 2.1)


@pytest.mark.parametrize(
    ("space", "extra", "field"),
    [
        ({"x": {"low": 3, "high": 1}}, {}, "search.space.x.low"),
        ({"x": {"low": 0, "high": 1, "log": True}}, {}, "search.space.x.low"),
        ({"nope": {"low": 0, "high": 1}}, {}, "search.space.nope"),
        ({"depth": {"choices": [2, "deep"]}}, {}, "search.space.depth.choices.1"),
        ({"depth": {"low": 1.5, "high": 4}}, {}, "search.space.depth.low"),
        ({"name": {"low": 1, "high": 4}}, {}, "search.space.name"),
        ({"x": {"low": 0, "high": 1}}, {"sampler": "grid"}, "search.space.x"),
        ({"x": {"low": 0}}, {}, "search.space.x"),
        ({}, {}, "search.space"),
        ({"x": {"low": 0, "high": 1}}, {"trials": 0}, "search.trials"),
    ],
)
def test_invalid_spaces_are_refused_before_anything_is_stored(project, space, extra, field):
    with pytest.raises(InvalidInput) as refused:
        project.tuning.submit(
            {"notebook": "typed.ipynb", "search": {"metric": "loss", "space": space, **extra}}
        )
    assert refused.value.field == field, refused.value.message
    assert project.tuning.searches() == []  # no study
    experiment = project.tracking.client.get_experiment_by_name("jobs")
    assert experiment is None or not project.tracking.client.search_runs([experiment.experiment_id])


def test_the_cli_and_the_magic_start_the_same_search(project, monkeypatch):
    root = project.config.root_dir
    space = '{"x": {"low": -1, "high": 1}}'
    started = mlops(
        "tune",
        "quad.ipynb",
        "--space",
        space,
        "--metric",
        "loss",
        "--trials",
        "3",
        "--seed",
        "4",
        "-p",
        "x",
        "0.5",
        cwd=root,
        timeout=120,
    )
    assert started.returncode == 0, started.stderr
    assert started.stdout.startswith("search s-") and "3 trials of quad.ipynb" in started.stdout
    refused = mlops(
        "tune",
        "quad.ipynb",
        "--space",
        "x: {low: 3, high: 1}",
        "--metric",
        "loss",
        cwd=root,
        timeout=120,
    )
    assert refused.returncode == 1
    assert refused.stderr.strip() == "jupyter mlops tune: low (3) is above high (1)"

    monkeypatch.setenv(HOME_ENV, str(project.config.home))
    monkeypatch.setenv(ROOT_DIR_ENV, str(root))
    monkeypatch.setenv(GPUS_ENV, "none")
    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "jupyter_mlops")
    try:
        shell.run_line_magic(
            "mlops", f"tune quad.ipynb --space '{space}' --metric loss --trials 3 --seed 4 -p x 0.5"
        )
        searches = default().tuning.searches()
    finally:
        shell.run_line_magic("unload_ext", "jupyter_mlops")
        InteractiveShell.clear_instance()
    assert len(searches) == 2
    assert searches[0]["search"] == searches[1]["search"]

    listed = mlops("searches", "--json", cwd=root, timeout=60)
    assert {s["id"] for s in json.loads(listed.stdout)} == {s["id"] for s in searches}


async def test_rest_submits_a_search_as_a_job_with_search(jp_fetch, jp_root_dir, jp_serverapp):
    notebook(jp_root_dir / "quad.ipynb", "x = 0.0", QUADRATIC)

    async def call(*path, method="GET", body=None):
        answer = await jp_fetch(
            "mlops",
            "api",
            *path,
            method=method,
            body=None if body is None else body if isinstance(body, str) else json.dumps(body),
        )
        return answer.code, json.loads(answer.body)

    good = {
        "notebook": "quad.ipynb",
        "search": {"metric": "loss", "trials": 2, "space": {"x": {"low": 0, "high": 1}}},
    }
    for bad, field in (
        (
            {**good, "search": {**good["search"], "space": {"x": {"low": 2, "high": 1}}}},
            "search.space.x.low",
        ),
        ({**good, "search": {**good["search"], "sampler": "annealing"}}, "search.sampler"),
        ({**good, "schedule": {"cron": "0 3 * * *"}}, "schedule"),
        ({**good, "search": "tpe"}, "search"),
    ):
        with pytest.raises(HTTPClientError) as caught:
            await call("jobs", method="POST", body=bad)
        answer = json.loads(caught.value.response.body)
        assert caught.value.code == 400 and answer["field"] == field, answer
    code, listed = await call("searches")
    assert code == 200 and listed == {"searches": []}

    code, submitted = await call("jobs", method="POST", body=good)
    assert code == 201 and submitted["search"]["status"] == "running"
    search_id = submitted["search"]["id"]
    code, found = await call("searches", search_id, method="GET")
    assert found["id"] == search_id
    code, cancelled = await call("searches", search_id, "cancel", method="POST", body={})
    assert cancelled["status"] == "cancelling"
    with pytest.raises(HTTPClientError) as caught:
        await call("searches", "s-nobody")
    assert caught.value.code == 404
