"""Runs, listings and the batched metric logger against a real MLflow sqlite store."""

import math
import sqlite3
import subprocess
import sys
import uuid

import mlflow
import pytest
from mlflow import MlflowClient

from jupyter_mlops.config import resolve
from jupyter_mlops.errors import InvalidInput, NotFound
from jupyter_mlops.services import Services
from jupyter_mlops.tracking import sqlstore
from jupyter_mlops.tracking.compare import compare
from jupyter_mlops.tracking.logger import MetricLogger
from jupyter_mlops.tracking.service import Tracking


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    return tmp_path_factory.mktemp("tracking") / ".mlops"


@pytest.fixture
def tracking(home):
    services = Services(resolve(home=home, environ={}))
    yield services.tracking
    services.close()


@pytest.fixture
def mlflow_client(tracking):
    """A plain MLflow client on the same store: what MLflow itself reads back. The store
    is created by us first, as the server does at start."""
    tracking.client  # noqa: B018
    return MlflowClient(tracking_uri=tracking.config.tracking_uri)


def new_experiment(tracking) -> str:
    return tracking.experiment_id(f"exp-{uuid.uuid4().hex[:8]}")


def test_new_experiments_keep_artifacts_under_the_home(tracking, home, mlflow_client):
    experiment = mlflow_client.get_experiment(new_experiment(tracking))
    assert experiment.artifact_location.startswith((home / "artifacts").as_uri())
    default = mlflow_client.get_experiment("0")
    assert default.artifact_location.startswith((home / "artifacts").as_uri())


def test_logger_writes_every_point_as_mlflow_reads_them(tracking, mlflow_client):
    run = mlflow_client.create_run(new_experiment(tracking))
    run_id = run.info.run_id
    logger = tracking.metric_logger(run_id)
    for step in range(3_000):
        logger.log_metrics({"loss": 1 / (step + 1), "acc": step / 3_000}, step=step)
    logger.log("odd", math.nan, step=1)
    logger.log("odd", math.inf, step=2)
    tracking.flush(run_id)

    loss = mlflow_client.get_metric_history(run_id, "loss")
    assert len(loss) == 3_000
    assert sorted((m.step, m.value) for m in loss)[:2] == [(0, 1.0), (1, 0.5)]
    latest = mlflow_client.get_run(run_id).data.metrics
    assert latest["loss"] == pytest.approx(1 / 3_000)
    assert latest["acc"] == pytest.approx(2_999 / 3_000)
    odd = sorted(mlflow_client.get_metric_history(run_id, "odd"), key=lambda m: m.step)
    assert math.isnan(odd[0].value) and odd[1].value == pytest.approx(1.7976931348623157e308)


def test_latest_metric_only_moves_forward(tracking, mlflow_client):
    run_id = mlflow_client.create_run(new_experiment(tracking)).info.run_id
    logger = tracking.metric_logger(run_id)
    logger.log("loss", 0.2, step=10)
    tracking.flush(run_id)
    logger.log("loss", 0.9, step=3)  # a late point from an earlier step
    tracking.flush(run_id)
    assert mlflow_client.get_run(run_id).data.metrics["loss"] == 0.2
    assert len(mlflow_client.get_metric_history(run_id, "loss")) == 2


def test_rewriting_the_same_points_adds_nothing(tracking, mlflow_client):
    run_id = mlflow_client.create_run(new_experiment(tracking)).info.run_id
    points = [("m", float(i), i, 1_000 + i) for i in range(10)]
    sqlstore.write_metrics(tracking.engine, run_id, points)
    sqlstore.write_metrics(tracking.engine, run_id, points)  # a retried batch
    assert len(mlflow_client.get_metric_history(run_id, "m")) == 10


def test_bad_metric_names_and_values_fail_at_the_call(tracking, mlflow_client):
    run_id = mlflow_client.create_run(new_experiment(tracking)).info.run_id
    logger = tracking.metric_logger(run_id)
    with pytest.raises(InvalidInput, match="invalid metric name"):
        logger.log("loss?!", 1.0)
    with pytest.raises(ValueError):
        logger.log_metrics({"loss": "high"})


def test_a_failed_write_is_reported_and_retried_not_lost():
    written, fail = [], [True]

    def flaky(run_id, points):
        if fail[0]:
            raise OSError("database is locked")
        written.extend(points)

    logger = MetricLogger("r" * 32, flaky, retries=2, interval=0.01)
    logger.log_metrics({"a": 1.0, "b": 2.0}, step=0)
    with pytest.raises(RuntimeError, match="database is locked"):
        logger.flush()
    fail[0] = False
    logger.log("a", 3.0, step=1)
    logger.close()
    assert [(key, value, step) for key, value, step, _ in written] == [
        ("a", 1.0, 0),
        ("b", 2.0, 0),
        ("a", 3.0, 1),
    ]


def test_metric_logger_needs_an_existing_run(tracking):
    with pytest.raises(NotFound):
        tracking.metric_logger("0" * 32)


def _log_runs(mlflow_client, experiment_id, count):
    ids = []
    for i in range(count):
        run = mlflow_client.create_run(experiment_id, run_name=f"run-{i}", start_time=1_000 + i)
        mlflow_client.log_param(run.info.run_id, "lr", str(i / 10))
        mlflow_client.log_metric(run.info.run_id, "acc", i / count, step=0)
        mlflow_client.set_tag(run.info.run_id, "team", "a" if i % 2 else "b")
        ids.append(run.info.run_id)
    return ids


def test_listing_matches_mlflow_search_runs(tracking, mlflow_client):
    experiment_id = new_experiment(tracking)
    _log_runs(mlflow_client, experiment_id, 7)
    fast = tracking.all_runs(experiment_id)
    reference = mlflow_client.search_runs([experiment_id])  # MLflow's own order and data
    assert [r["run_id"] for r in fast] == [r.info.run_id for r in reference]
    for ours, theirs in zip(fast, reference, strict=True):
        assert ours["metrics"] == theirs.data.metrics
        assert ours["params"] == theirs.data.params
        assert ours["tags"]["team"] == theirs.data.tags["team"]
        assert ours["status"] == theirs.info.status


def test_runs_are_paged_with_a_token(tracking, mlflow_client):
    experiment_id = new_experiment(tracking)
    ids = _log_runs(mlflow_client, experiment_id, 5)
    first = tracking.runs(experiment_id, max_results=2)
    second = tracking.runs(experiment_id, max_results=2, page_token=first["next_page_token"])
    third = tracking.runs(experiment_id, max_results=2, page_token=second["next_page_token"])
    listed = [r["run_id"] for page in (first, second, third) for r in page["runs"]]
    assert listed == list(reversed(ids))  # newest first
    assert third["next_page_token"] is None


def test_filter_and_order_use_mlflow_syntax(tracking, mlflow_client):
    experiment_id = new_experiment(tracking)
    _log_runs(mlflow_client, experiment_id, 6)
    page = tracking.runs(experiment_id, filter="metrics.acc >= 0.5", order_by="metrics.acc ASC")
    assert [r["run_name"] for r in page["runs"]] == ["run-3", "run-4", "run-5"]


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"filter": "metrics.acc >>> 1"}, "filter"),
        ({"order_by": "nonsense.key DESC"}, "order_by"),
        ({"page_token": "not-a-token"}, "page_token"),
        ({"max_results": 0}, "max_results"),
    ],
)
def test_bad_listing_arguments_name_the_field(tracking, kwargs, field):
    experiment_id = new_experiment(tracking)
    with pytest.raises(InvalidInput) as caught:
        tracking.runs(experiment_id, **kwargs)
    assert caught.value.field == field


def test_unknown_ids_are_not_found(tracking):
    with pytest.raises(NotFound):
        tracking.runs("987654")
    with pytest.raises(NotFound):
        tracking.run("f" * 32)
    with pytest.raises(NotFound):
        tracking.run("../../etc")


def test_run_detail_lists_artifacts_and_models(tracking, mlflow_client):
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    mlflow.set_tracking_uri(tracking.config.tracking_uri)
    with mlflow.start_run(experiment_id=new_experiment(tracking)) as run:
        mlflow.log_text("hello", "notes/readme.txt")
        X = np.random.default_rng(0).random((20, 3))
        model = LogisticRegression().fit(X, X[:, 0] > 0.5)
        mlflow.sklearn.log_model(model, name="clf", input_example=X[:2])
    detail = tracking.run(run.info.run_id)
    assert detail["artifacts"] == [{"path": "notes", "is_dir": True, "file_size": None}]
    assert [m["name"] for m in detail["models"]] == ["clf"]
    assert tracking.artifacts(run.info.run_id, "notes")[0]["path"] == "notes/readme.txt"
    with pytest.raises(InvalidInput):
        tracking.artifacts(run.info.run_id, "../outside")


def test_compare_builds_figures_and_a_diff(tracking, mlflow_client):
    experiment_id = new_experiment(tracking)
    a, b = _log_runs(mlflow_client, experiment_id, 2)
    for step in range(3):
        mlflow_client.log_metric(a, "loss", 1.0 / (step + 1), step=step)
        mlflow_client.log_metric(b, "loss", 2.0 / (step + 1), step=step)
    result = compare(tracking, [a, b])
    curves = result["figures"]["curves"]
    assert {trace["name"] for trace in curves["data"]} == {"run-0", "run-1"}
    assert result["figures"]["parallel"]["data"][0]["type"] == "parcoords"
    lr = next(row for row in result["diff"]["params"] if row["key"] == "lr")
    assert lr == {"key": "lr", "values": {a: "0.0", b: "0.1"}, "differs": True}
    with pytest.raises(InvalidInput):
        compare(tracking, [a])


RACE = """
import sys, threading
from pathlib import Path
from jupyter_mlops.config import resolve
from jupyter_mlops.tracking.service import Tracking

tracking = Tracking(resolve(home=Path(sys.argv[1]), environ={}))
errors = []

def call(verb):
    try:
        verb()
    except Exception as err:
        errors.append(repr(err))

# The server's warm-up builds the client while requests list experiments.
threads = [threading.Thread(target=call, args=(lambda: tracking.client,))]
threads += [threading.Thread(target=call, args=(tracking.experiments,)) for _ in range(4)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print(errors)
"""


def test_mlflow_first_used_from_several_threads_at_once_imports_whole(tmp_path):
    """MLflow is imported on first use; a request racing the server's warm-up used to
    meet a partly imported MLflow (a deadlock between its module locks)."""
    home = tmp_path / ".mlops"
    Tracking(resolve(home=home, environ={})).client  # noqa: B018 - the store exists, as after a start
    ran = subprocess.run(
        [sys.executable, "-c", RACE, str(home)], capture_output=True, text=True, timeout=120
    )
    assert ran.returncode == 0, ran.stderr[-2000:]
    assert ran.stdout.strip() == "[]"


FIRST_USE = """
import sys
from pathlib import Path
from jupyter_mlops.config import resolve
from jupyter_mlops.tracking.runs import tracked
from jupyter_mlops.tracking.service import Tracking

tracking = Tracking(resolve(home=Path(sys.argv[1]), environ={}))
# The first call creates the store if this process is first, then writes to it.
with tracked(tracking, experiment="first") as run:
    logger = tracking.metric_logger(run.info.run_id)
    for step in range(1_000):
        logger.log("loss", 1 / (step + 1), step=step)
"""


def test_processes_using_a_new_home_at_once_create_its_store_once(tmp_path):
    """The server, the agent and kernels may all be first on a new home: one creates
    MLflow's tables while the others wait (one that found the file being filled used to
    migrate it again and fail, 19 of 20), and one creates the experiment they all name
    (the others used to fail with MLflow's "already exists"). No point is lost."""
    home = tmp_path / ".mlops"
    processes = 20
    starts = [
        subprocess.Popen(
            [sys.executable, "-c", FIRST_USE, str(home)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(processes)
    ]
    failures = [p.communicate(timeout=300)[1][-1500:] for p in starts]
    assert [p.returncode for p in starts] == [0] * processes, [f for f in failures if f]

    tracking = Tracking(resolve(home=home, environ={}))
    names = [e["name"] for e in tracking.experiments()]
    assert names.count("first") == 1
    runs = tracking.all_runs(tracking.experiment_id("first", create=False))
    assert len(runs) == processes
    points = sum(len(tracking.client.get_metric_history(r["run_id"], "loss")) for r in runs)
    assert points == processes * 1_000
    with sqlite3.connect(home / "mlflow.db") as db:
        leftovers = db.execute(
            "SELECT name FROM sqlite_master WHERE name LIKE '_alembic_tmp_%'"
        ).fetchall()
    assert leftovers == []
