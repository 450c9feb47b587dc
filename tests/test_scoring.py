"""Batch scoring jobs: a registered model's predictions for a whole dataset, streamed in
batches and published as a versioned parquet folder, or nothing. Real MLflow sqlite
store, a real scikit-learn model, real job kernels through the jobs area."""

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest
from cli_helpers import mlops
from feature_helpers import KEY, customer_service
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell
from jobs_helpers import drive, finished, job_scheduler
from sklearn.linear_model import LinearRegression
from tornado.httpclient import HTTPClientError

from jupyter_mlops.config import GPUS_ENV, HOME_ENV, ROOT_DIR_ENV, resolve
from jupyter_mlops.errors import InvalidInput, NotFound
from jupyter_mlops.kernel.progress import JobProgress
from jupyter_mlops.scoring.batch import BadBatch, score
from jupyter_mlops.scoring.outputs import Outputs
from jupyter_mlops.services import Services

FEATURES = [f"f{i}" for i in range(5)]


def frame(rows: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    data = pd.DataFrame(rng.normal(size=(rows, len(FEATURES))), columns=FEATURES)
    data.insert(0, "customer", np.arange(rows, dtype="int64"))
    return data


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """A project with `churn` v1 (alias champion), a regression on FEATURES."""
    root = tmp_path_factory.mktemp("scoring")
    services = Services(resolve(root_dir=root, environ={}))
    services.tracking.client  # noqa: B018 - our store first
    mlflow.set_tracking_uri(services.config.tracking_uri)
    train = frame(2_000, seed=1)
    model = LinearRegression().fit(train[FEATURES], train[FEATURES].sum(axis=1))
    with mlflow.start_run(experiment_id=services.tracking.experiment_id("train")) as run:
        mlflow.sklearn.log_model(
            model,
            name="model",
            input_example=train[FEATURES].head(3),
            pip_requirements=["scikit-learn"],
        )
    services.registry.register(f"runs:/{run.info.run_id}/model", "churn", alias="champion")
    data = root / "data"
    data.mkdir()
    frame(100_000).to_parquet(data / "customers.parquet")
    yield services
    services.close()


def test_a_scoring_job_equals_pyfunc_row_for_row_and_records_its_run(project):
    root = project.config.root_dir
    body = {
        "model": "models:/churn@champion",
        "input": "data/customers.parquet",
        "output": "nightly",
        "batch_rows": 30_000,
    }
    execution = project.scoring.run_here(body)
    assert execution["status"] == "succeeded", execution["error"]

    versions = project.scoring.output_versions("nightly")
    assert [v["version"] for v in versions] == [1]
    folder = Path(versions[0]["path"])
    assert sorted(p.name for p in folder.glob("*.parquet")) == [
        f"part-0000{i}.parquet" for i in range(4)
    ]
    scored = pd.read_parquet(folder)
    source = pd.read_parquet(root / "data" / "customers.parquet")
    expected = load(project, "models:/churn/1").predict(source[FEATURES])
    assert list(scored.columns) == ["customer", "prediction"]
    assert scored["customer"].tolist() == source["customer"].tolist()
    np.testing.assert_array_equal(scored["prediction"].to_numpy(), np.asarray(expected))

    record = versions[0]
    assert record["model"] == "models:/churn/1"  # the alias pinned when submitted
    assert record["rows"] == 100_000 and record["input"] == "data/customers.parquet"
    run = project.tracking.client.get_run(execution["mlflow_run_id"])
    assert run.data.metrics["rows"] == 100_000
    assert run.data.tags["mlops.scoring.output"] == "nightly/1"
    assert run.data.tags["mlops.scoring.input_sha256"] == record["input_sha256"]
    assert run.data.params["model_uri"] == "models:/churn/1"
    contexts = {
        next(t.value for t in d.tags if t.key == "mlflow.data.context"): d.dataset.name
        for d in run.inputs.dataset_inputs
    }
    assert contexts == {"scoring": "customers.parquet", "predictions": "nightly/1"}

    again = project.scoring.run_here({**body, "input": "data"})  # a folder of parts
    assert again["status"] == "succeeded", again["error"]
    assert [v["version"] for v in project.scoring.output_versions("nightly")] == [2, 1]


def test_memory_stays_bounded_by_the_batch_not_the_input(project, tmp_path):
    """Peak memory of scoring 1,000,000 rows in 50,000-row batches, measured in a process
    of its own, against the same process reading the whole input first."""
    data = tmp_path / "big.parquet"
    frame(1_000_000, seed=3).to_parquet(data, row_group_size=50_000)
    code = (
        "import resource, sys, mlflow, pandas as pd\n"
        "from pathlib import Path\n"
        "from jupyter_mlops.scoring.batch import score\n"
        "model = mlflow.pyfunc.load_model(sys.argv[1])\n"
        "model.predict(pd.read_parquet(sys.argv[2]).head(10)[sys.argv[4].split(',')])\n"
        "base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "if sys.argv[3] == 'whole':\n"
        "    whole = pd.read_parquet(sys.argv[2])\n"
        "    model.predict(whole[sys.argv[4].split(',')])\n"
        "else:\n"
        "    score(model, Path(sys.argv[2]), Path(sys.argv[3]), 50_000)\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base)\n"
    )
    env = {**os.environ, "MLFLOW_TRACKING_URI": project.config.tracking_uri}
    grown = {}
    for how in ("whole", str(tmp_path / "out")):
        ran = subprocess.run(
            [sys.executable, "-c", code, "models:/churn/1", str(data), how, ",".join(FEATURES)],
            capture_output=True,
            text=True,
            env=env,
            timeout=300,
            check=True,
        )
        grown[how == "whole"] = int(ran.stdout.split()[-1])
    assert grown[False] * 4 <= grown[True], grown


@pytest.mark.parametrize(
    ("text", "column", "row"),
    [("abc", "f2", 70_123), ("n/a", "f3", 45_678)],
)
def test_bad_input_fails_naming_the_column_and_row_with_nothing_visible(
    project, tmp_path, text, column, row
):
    root = project.config.root_dir
    data = frame(80_000)
    data[column] = data[column].astype(object)
    data.loc[row, column] = text
    name = f"bad_{column}"
    data.to_csv(root / f"{name}.csv", index=False)
    execution = project.scoring.run_here(
        {"model": "models:/churn/1", "input": f"{name}.csv", "output": name, "batch_rows": 20_000}
    )
    assert execution["status"] == "failed"
    said = execution["error"]["evalue"]
    assert f"{column!r}" in said
    # pyarrow refuses "abc" for a double; "n/a" reads as empty, which the model refuses
    assert f"row {row} " in said or f"row {row}:" in said
    assert ("'abc'" if text == "abc" else "empty") in said
    assert project.scoring.output_versions(name) == []
    # Nothing half-written under the output's name: no staging folder left either.
    assert not any(Outputs(project.config.home).folder(name).glob("*"))


def load(project, uri: str):
    """The model through the project's store (a job run in this process may have pointed
    MLflow's globals elsewhere)."""
    mlflow.set_tracking_uri(project.config.tracking_uri)
    mlflow.set_registry_uri(project.config.tracking_uri)
    return mlflow.pyfunc.load_model(uri)


def test_text_in_a_parquet_number_column_names_the_first_bad_row(project, tmp_path):
    model = load(project, "models:/churn/1")
    data = frame(1_000)
    data["f1"] = data["f1"].astype(str)
    data.loc[617, "f1"] = "oops"
    data.to_parquet(tmp_path / "typed.parquet")
    with pytest.raises(BadBatch) as refused:
        score(model, tmp_path / "typed.parquet", tmp_path / "out", 300)
    assert (refused.value.column, refused.value.row) == ("f1", 617)
    # A column the model takes, gone (a job whose input changed after it was queued).
    data.drop(columns=["f3"]).to_parquet(tmp_path / "short.parquet")
    with pytest.raises(BadBatch, match="the input has no column 'f3'"):
        score(model, tmp_path / "short.parquet", tmp_path / "out2", 300)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"model": "models:/nope/1", "input": "data/customers.parquet", "output": "o"}, "model"),
        ({"model": "models:/churn/7", "input": "data/customers.parquet", "output": "o"}, "model"),
        ({"model": "models:/churn/1", "input": "../outside.parquet", "output": "o"}, "input"),
        ({"model": "models:/churn/1", "input": "data/none.parquet", "output": "o"}, "input"),
        (
            {"model": "models:/churn/1", "input": "data/customers.parquet", "output": "../x"},
            "output",
        ),
        (
            {
                "model": "models:/churn/1",
                "input": "data/customers.parquet",
                "output": "o",
                "batch_rows": 0,
            },
            "batch_rows",
        ),
        ({"model": "models:/churn/1", "input": "data/customers.parquet"}, None),
        ({"model": "models:/churn/1", "input": "bad/no_f4.csv", "output": "o"}, "input"),
        (
            {
                "model": "models:/churn/1",
                "input": "data/customers.parquet",
                "output": "o",
                "keys": ["nobody"],
            },
            "keys",
        ),
        ({"model": "models:/churn/1", "input": "bad/garbage.parquet", "output": "o"}, "input"),
        (
            {
                "model": "models:/churn/1",
                "input": "data/customers.parquet",
                "output": "o",
                "shell": "rm -rf /",
            },
            None,
        ),
    ],
)
def test_bad_requests_are_refused_before_anything_is_queued(project, body, field):
    (project.config.root_dir.parent / "outside.parquet").write_bytes(b"PAR1")
    data = project.config.root_dir / "bad"
    data.mkdir(exist_ok=True)
    frame(10).drop(columns=["f4"]).to_csv(data / "no_f4.csv", index=False)
    (data / "garbage.parquet").write_bytes(b"PAR1 not parquet at all")
    before = len(project.jobs.executions())
    with pytest.raises((InvalidInput, NotFound)) as refused:
        project.scoring.submit(body)
    if field:
        assert refused.value.field == field
    assert len(project.jobs.executions()) == before


def test_racing_publishers_take_distinct_versions(tmp_path):
    outputs = Outputs(tmp_path)
    stagings = []
    for index in range(20):
        staging = outputs.staging("race")
        staging.mkdir(parents=True)
        (staging / "part-00000.parquet").write_text(str(index))
        stagings.append(staging)
    published, barrier = [], threading.Barrier(20)

    def publish(staging):
        barrier.wait()
        published.append(outputs.publish(staging, {"index": staging.name}))

    threads = [threading.Thread(target=publish, args=(s,)) for s in stagings]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(published) == list(range(1, 21))
    assert len({v["index"] for v in outputs.versions("race")}) == 20


def test_the_cli_and_the_magic_queue_the_same_scoring_job(project, monkeypatch):
    root = project.config.root_dir
    monkeypatch.setenv(HOME_ENV, str(project.config.home))
    monkeypatch.setenv(ROOT_DIR_ENV, str(root))
    monkeypatch.setenv(GPUS_ENV, "none")
    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "jupyter_mlops")
    try:
        progress = shell.run_line_magic(
            "mlops",
            "score models:/churn@champion data/customers.parquet --output from_cli "
            "--batch-rows 50000",
        )
        assert isinstance(progress, JobProgress)
        from_magic = project.jobs.execution(progress.execution_id)["spec"]
        with pytest.raises(UsageError, match="%mlops score: 'x/' is not an output name"):
            shell.run_line_magic("mlops", "score models:/churn/1 data --output x/")
    finally:
        shell.run_line_magic("unload_ext", "jupyter_mlops")
        InteractiveShell.clear_instance()
    project.jobs.cancel(progress.execution_id)

    queued = mlops(
        "score",
        "models:/churn@champion",
        "data/customers.parquet",
        "--output",
        "from_cli",
        "--batch-rows",
        "50000",
        cwd=root,
    )
    assert queued.returncode == 0, queued.stderr
    execution_id = queued.stdout.split()[-1]
    execution = project.jobs.execution(execution_id)
    assert execution["spec"]["parameters"]["model_uri"] == "models:/churn/1"
    assert execution["spec"] == from_magic
    scheduler = job_scheduler(project)
    done = drive(scheduler, lambda: finished(project.jobs, execution_id))
    scheduler.close()
    assert done["status"] == "succeeded", done["error"]
    assert project.scoring.output_versions("from_cli")[0]["rows"] == 100_000

    listed = mlops("scores", "--json", cwd=root, timeout=60)
    names = {o["name"] for o in json.loads(listed.stdout)}
    assert "from_cli" in names

    refused = mlops("score", "models:/churn/1", "../x.csv", "--output", "o", cwd=root, timeout=60)
    assert refused.returncode == 1
    assert refused.stderr.strip() == "jupyter mlops score: '../x.csv' is outside the server root"


async def test_rest_submits_lists_and_refuses_garbage(jp_fetch, jp_serverapp, jp_root_dir):
    served = jp_serverapp.web_app.settings["jupyter_mlops"].services
    mlflow.set_tracking_uri(served.config.tracking_uri)
    mlflow.set_registry_uri(served.config.tracking_uri)
    train = frame(200)
    model = LinearRegression().fit(train[FEATURES], train["f0"])
    with mlflow.start_run(experiment_id=served.tracking.experiment_id("train")) as run:
        mlflow.sklearn.log_model(model, name="model", input_example=train[FEATURES].head(2))
    served.registry.register(f"runs:/{run.info.run_id}/model", "churn", alias="champion")
    train.to_csv(jp_root_dir / "rows.csv", index=False)

    async def call(method="GET", body=None, *path):
        answer = await jp_fetch(
            "mlops",
            "api",
            "scoring",
            *path,
            method=method,
            body=None if body is None else body if isinstance(body, str) else json.dumps(body),
        )
        return answer.code, json.loads(answer.body)

    good = {"model": "models:/churn@champion", "input": "rows.csv", "output": "rest"}
    for bad, field in (
        ({**good, "batch_rows": "many"}, "batch_rows"),
        ({**good, "input": "/etc/passwd"}, "input"),
        ({**good, "output": "a/b"}, "output"),
        ({**good, "model": "models:/churn@nobody"}, "model"),
        ({**good, "extra": 1}, None),
        ("not json", None),
    ):
        with pytest.raises(HTTPClientError) as caught:
            await call("POST", bad)
        answer = json.loads(caught.value.response.body)
        assert caught.value.code in (400, 404), bad
        assert "Traceback" not in answer["message"]
        if field:
            assert answer["field"] == field, answer
    assert served.jobs.executions() == []  # nothing queued by the garbage

    code, submitted = await call("POST", good)
    assert code == 201
    assert submitted["execution"]["spec"]["parameters"]["model_uri"] == "models:/churn/1"
    code, listed = await call()
    assert code == 200 and listed == {"outputs": []}  # nothing published until it runs
    with pytest.raises(HTTPClientError) as caught:
        await call("GET", None, "..%2Fx")
    assert caught.value.code in (400, 404)


@pytest.fixture(scope="module")
def entities(project):
    """`churn_service` (every feature the model takes) and `partial` (f0 and f1 only) over
    1,000 customers, and their entity rows in entities.parquet."""
    root = project.config.root_dir
    keys = customer_service(
        project,
        frame(1_000, seed=4)[FEATURES],
        service="churn_service",
        partial=["customer_stats:f0", "customer_stats:f1"],
    )
    keys.to_parquet(root / "entities.parquet")
    keys.drop(columns=[KEY]).to_parquet(root / "no_key.parquet")
    keys.rename(columns={"event_timestamp": "at"}).to_csv(root / "at.csv", index=False)
    return keys


def feature_scoring(model="models:/churn@champion", output="joined", **given) -> dict:
    joined = {"feature_service": "churn_service", "entities": "entities.parquet"}
    return {"model": model, "input": {**joined, **given}, "output": output, "batch_rows": 300}


def test_a_feature_service_scoring_job_equals_pyfunc_on_the_join_row_for_row(project, entities):
    execution = project.scoring.run_here(feature_scoring())
    assert execution["status"] == "succeeded", execution["error"]

    record = project.scoring.output_versions("joined")[0]
    folder = Path(record["path"])
    assert len(list(folder.glob("*.parquet"))) == 4  # 1,000 entity rows, 300 at a time
    scored = pd.read_parquet(folder)
    joined = project.features.get_historical_features(entities, "churn_service")
    expected = load(project, "models:/churn/1").predict(joined[FEATURES])
    assert list(scored.columns) == [KEY, "event_timestamp", "prediction"]
    assert scored[KEY].tolist() == joined[KEY].tolist()
    np.testing.assert_array_equal(scored["prediction"].to_numpy(), np.asarray(expected))

    assert record["feature_service"] == "churn_service" and record["rows"] == 1_000
    assert record["feature_views"] == {"customer_stats": 1}
    run = project.tracking.client.get_run(execution["mlflow_run_id"])
    tags = run.data.tags
    assert tags["mlops.scoring.feature_service"] == "churn_service"
    assert tags["mlops.scoring.feature_service_version"] == str(record["feature_service_version"])
    assert tags["mlops.scoring.entities_sha256"] == record["input_sha256"]
    assert tags["mlops.features"] == "customer_stats@1"
    contexts = {
        next(t.value for t in d.tags if t.key == "mlflow.data.context"): d.dataset.name
        for d in run.inputs.dataset_inputs
    }
    assert contexts == {"scoring": "entities.parquet", "predictions": "joined/1"}


@pytest.mark.parametrize(
    ("given", "field", "said"),
    [
        ({"feature_service": "nobody"}, "input.feature_service", "no feature service 'nobody'"),
        ({"entities": "../outside.parquet"}, "input.entities", "outside the server root"),
        ({"entities": "none.parquet"}, "input.entities", "no file 'none.parquet'"),
        ({"entities": "no_key.parquet"}, "input.entities", "no entity key column 'customer_id'"),
        ({"entities": "at.csv"}, "input.entities", "no timestamp field 'event_timestamp'"),
        ({"feature_service": "partial"}, "input.feature_service", "no column 'f2'"),
        ({"timestamp_field": ""}, "input.timestamp_field", None),
    ],
)
def test_bad_feature_service_requests_are_refused_before_anything_is_queued(
    project, entities, given, field, said
):
    (project.config.root_dir.parent / "outside.parquet").write_bytes(b"PAR1")
    before = len(project.jobs.executions())
    with pytest.raises((InvalidInput, NotFound)) as refused:
        project.scoring.submit(feature_scoring(**given))
    assert refused.value.field == field, refused.value
    if said:
        assert said in refused.value.message
    assert len(project.jobs.executions()) == before
    # A CSV whose time column is named: accepted.
    if given.get("entities") == "at.csv":
        spec = project.scoring.job_spec(feature_scoring(entities="at.csv", timestamp_field="at"))
        assert spec["parameters"]["timestamp_field"] == "at"


def test_the_cli_and_the_magic_give_the_same_feature_service_spec(project, entities, monkeypatch):
    root = project.config.root_dir
    monkeypatch.setenv(HOME_ENV, str(project.config.home))
    monkeypatch.setenv(ROOT_DIR_ENV, str(root))
    monkeypatch.setenv(GPUS_ENV, "none")
    flags = "--feature-service churn_service --entities entities.parquet --output fs_doors"
    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "jupyter_mlops")
    try:
        progress = shell.run_line_magic("mlops", f"score models:/churn@champion {flags}")
        from_magic = project.jobs.execution(progress.execution_id)["spec"]
        with pytest.raises(UsageError, match="not both"):
            shell.run_line_magic("mlops", f"score models:/churn/1 data {flags}")
    finally:
        shell.run_line_magic("unload_ext", "jupyter_mlops")
        InteractiveShell.clear_instance()
    project.jobs.cancel(progress.execution_id)
    assert from_magic["parameters"]["feature_service"] == "churn_service"
    assert from_magic["parameters"]["input_path"] == "entities.parquet"

    queued = mlops("score", "models:/churn@champion", *flags.split(), cwd=root)
    assert queued.returncode == 0, queued.stderr
    execution_id = queued.stdout.split()[-1]
    project.jobs.cancel(execution_id)
    assert project.jobs.execution(execution_id)["spec"] == from_magic


def test_a_scheduled_scoring_job_keeps_the_alias_for_each_run(project):
    submitted = project.scoring.submit(
        {
            "model": "models:/churn@champion",
            "input": "data/customers.parquet",
            "output": "nightly_sched",
            "schedule": {"cron": "0 3 * * *", "timezone": "Europe/Paris"},
            "retry": {"max_attempts": 3, "backoff_seconds": 5},
        }
    )
    definition = submitted["definition"]
    assert definition["spec"]["parameters"]["model_uri"] == "models:/churn@champion"
    assert definition["spec"]["retry"] == {"max_attempts": 3, "backoff_seconds": 5}
    assert definition["spec"]["tags"] == {"mlops.job.kind": "score"}
