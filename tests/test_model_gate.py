"""A registered model's gate, with real parts: a sqlite MLflow store, sklearn models
evaluated by MLflow's default evaluator on a holdout parquet file, and for the retraining
loop a real notebook job and serving processes ticked by hand, as the agent would."""

import json

import mlflow
import numpy as np
import pytest
from feature_helpers import customer_service
from IPython.core.error import UsageError
from jobs_helpers import notebook
from magic_helpers import mlops_shell
from mlflow import MlflowClient
from sklearn.linear_model import LogisticRegression
from test_deployments import frame, kinds, mlops, register, status_is, stop_everything
from test_triggers import PARAMETERS, drive, firing_is, log_predictions
from tornado.httpclient import HTTPClientError

from jupyter_mlops.config import resolve
from jupyter_mlops.errors import InvalidInput, NotFound
from jupyter_mlops.registry import gate
from jupyter_mlops.registry.gate import GateRefused
from jupyter_mlops.services import Services

GATE = {
    "dataset": "holdout.parquet",
    "label": "churned",
    "metrics": {
        "roc_auc": {"min": 0.8, "not_worse_than_champion_by": 0.01},
        "latency_p99_ms": {"max": 500},
    },
    "latency_rows": 20,
}
# A challenger as a retraining job would train it, on labels shuffled out of meaning.
RETRAIN_SHUFFLED = """\
import mlflow
import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

mlflow.start_run()
X = pd.DataFrame(np.random.default_rng(0).random((60, 4)), columns=["a", "b", "c", "d"])
y = (X["a"] + X["b"] > 1.0).astype(int).sample(frac=1.0, random_state=7).to_numpy()
model = LogisticRegression().fit(X, y)
mlflow.sklearn.log_model(
    model, name="model", input_example=X.iloc[:3], pip_requirements=["scikit-learn"]
)
"""


def holdout(rows: int = 300, seed: int = 21):
    data = frame(rows, seed=seed)
    return data.assign(churned=(data["a"] + data["b"] > 1.0).astype(int))


@pytest.fixture(scope="module")
def services(tmp_path_factory):
    root = tmp_path_factory.mktemp("gate")
    holdout().to_parquet(root / "holdout.parquet")
    holdout(20).to_csv(root / "small.csv", index=False)
    notebook(root / "retrain.ipynb", PARAMETERS, RETRAIN_SHUFFLED)
    frame(500, seed=11).to_parquet(root / "reference.parquet")
    services = Services(resolve(root_dir=root, job_pool_size=1, environ={}))
    services.tracking.client  # noqa: B018 - our store first, as the server does
    yield services
    stop_everything(services)
    services.close()


def log_shuffled(services, name: str) -> dict:
    """A version trained on shuffled labels: no better than chance on the holdout."""
    X = frame(60, seed=0)
    y = (X["a"] + X["b"] > 1.0).astype(int).sample(frac=1.0, random_state=7).to_numpy()
    model = LogisticRegression().fit(X, y)
    mlflow.set_tracking_uri(services.config.tracking_uri)
    experiment_id = services.tracking.experiment_id("deployments")
    with mlflow.start_run(experiment_id=experiment_id) as run:
        mlflow.sklearn.log_model(
            model, name="model", input_example=X.iloc[:3], pip_requirements=["scikit-learn"]
        )
    return services.registry.register(run.info.run_id, name)


def aliases(services, name):
    return services.registry.aliases(name)


def version_tags(services, name, version):
    return services.registry.version_tags(name, version)


def test_a_worse_challenger_is_refused_and_a_better_one_passes(services):
    register(services, "churn", alias="champion")  # version 1, the champion
    assert services.gates.set("churn", GATE)["gate"]["alias"] == "champion"
    assert services.gates.get("churn")["gate"]["metrics"]["roc_auc"]["min"] == 0.8

    # A worse challenger: evaluated against the champion, it fails, both values kept.
    worse = log_shuffled(services, "churn")["version"]
    verdict = services.gates.evaluate("churn", worse)
    assert verdict["verdict"] == "fail" and verdict["champion"] == "1"
    roc = next(m for m in verdict["metrics"] if m["metric"] == "roc_auc")
    assert not roc["passed"] and roc["candidate"] < 0.8 <= roc["champion"]
    assert "min 0.8" in roc["reason"]
    latency = next(m for m in verdict["metrics"] if m["metric"] == "latency_p99_ms")
    assert latency["passed"] and 0 < latency["candidate"] < 500
    tags = version_tags(services, "churn", worse)
    assert tags[gate.TAG_VERDICT] == "fail"
    assert json.loads(tags[gate.TAG_RESULT])["metrics"] == verdict["metrics"]

    # One evaluation run, linked to both versions, a child run per version.
    client = MlflowClient(services.config.tracking_uri)
    run = client.get_run(verdict["run_id"])
    assert run.data.tags["mlops.gate.candidate"] == worse
    assert run.data.tags["mlops.gate.champion"] == "1"
    assert run.data.metrics["candidate.roc_auc"] == pytest.approx(roc["candidate"])
    assert run.data.metrics["champion.roc_auc"] == pytest.approx(roc["champion"])
    children = client.search_runs(
        [run.info.experiment_id], f"tags.mlflow.parentRunId = '{verdict['run_id']}'"
    )
    assert sorted(c.data.tags["mlops.gate.role"] for c in children) == ["candidate", "champion"]

    # The versions listing shows the verdict.
    listed = {v["version"]: v for v in services.registry.versions("churn")}
    assert listed[worse]["gate"]["verdict"] == "fail"
    assert listed["1"]["gate"] is None

    # Moving the champion to it is refused, naming the failing metric; the alias stays.
    with pytest.raises(GateRefused) as refused:
        services.registry.set_alias("churn", "champion", worse)
    assert "roc_auc" in refused.value.message
    assert [f["metric"] for f in refused.value.failing] == ["roc_auc"]
    assert aliases(services, "churn")["champion"] == "1"
    # Other aliases are not gated.
    services.registry.set_alias("churn", "challenger", worse)

    # A better one (the same good model) passes, and the champion moves.
    better = register(services, "churn")["version"]
    verdict = services.gates.evaluate("churn", better)
    assert verdict["verdict"] == "pass", verdict
    moved = services.registry.set_alias("churn", "champion", better)
    assert moved == {"name": "churn", "alias": "champion", "version": better}
    assert aliases(services, "churn")["champion"] == better


def test_an_unevaluated_version_is_refused_and_forcing_records_who_and_why(services):
    register(services, "force", alias="champion")
    services.gates.set("force", {**GATE, "metrics": {"roc_auc": {"min": 0.8}}})
    fresh = log_shuffled(services, "force")["version"]
    with pytest.raises(GateRefused) as refused:
        services.registry.set_alias("force", "champion", fresh)
    assert "not been evaluated" in refused.value.message
    assert refused.value.to_dict()["code"] == "gate_refused"
    # Registering straight onto the gated alias is refused too.
    with pytest.raises(GateRefused):
        register(services, "force", alias="champion")
    assert aliases(services, "force")["champion"] == "1"

    # Forcing needs a reason.
    for reason in (None, "", "   "):
        with pytest.raises(InvalidInput) as caught:
            services.registry.set_alias("force", "champion", fresh, force=True, reason=reason)
        assert caught.value.field == "reason"
    assert aliases(services, "force")["champion"] == "1"

    done = services.registry.set_alias(
        "force", "champion", fresh, force=True, reason="hotfix for INC-42", who="alice"
    )
    assert done["forced"] is True and done["reason"] == "hotfix for INC-42"
    assert aliases(services, "force")["champion"] == fresh
    tags = version_tags(services, "force", fresh)
    assert tags[gate.TAG_FORCED_BY] == "alice"
    assert tags[gate.TAG_FORCED_REASON] == "hotfix for INC-42"
    assert tags[gate.TAG_FORCED_AT].endswith("Z")

    # Without a named user, the OS user is recorded.
    other = log_shuffled(services, "force")["version"]
    services.registry.set_alias("force", "champion", other, force=True, reason="rollback")
    import getpass

    assert version_tags(services, "force", other)[gate.TAG_FORCED_BY] == getpass.getuser()


def test_a_model_without_a_gate_moves_freely(services):
    register(services, "free", alias="champion")
    second = log_shuffled(services, "free")["version"]
    services.registry.set_alias("free", "champion", second)
    assert aliases(services, "free")["champion"] == second
    assert services.gates.get("free")["gate"] is None
    with pytest.raises(NotFound):
        services.gates.evaluate("free", second)


@pytest.mark.parametrize(
    "change, field",
    [
        ({"dataset": "../outside.parquet"}, "dataset"),
        ({"dataset": "/etc/passwd"}, "dataset"),
        ({"dataset": "missing.parquet"}, "dataset"),
        ({"dataset": "retrain.ipynb"}, "dataset"),
        ({"dataset": 3}, "dataset"),
        ({"dataset": {"feature_service": "s"}}, "dataset.entities"),
        ({"label": ""}, "label"),
        ({"alias": "9lives"}, "alias"),
        ({"model_type": "ranker"}, "model_type"),
        ({"metrics": {}}, "metrics"),
        ({"metrics": {"accuracy": {"min": 0.5}}}, "metrics.accuracy"),
        ({"metrics": {"roc_auc": {}}}, "metrics.roc_auc"),
        ({"metrics": {"roc_auc": {"least": 0.5}}}, "metrics.roc_auc.least"),
        ({"metrics": {"roc_auc": {"min": "high"}}}, "metrics.roc_auc.min"),
        (
            {"metrics": {"roc_auc": {"not_worse_than_champion_by": -1}}},
            "metrics.roc_auc.not_worse_than_champion_by",
        ),
        ({"latency_rows": 0}, "latency_rows"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_gate_specs_are_refused_naming_the_field_and_nothing_is_stored(services, change, field):
    if "bad" not in [m["name"] for m in services.registry.models()]:
        register(services, "bad", alias="champion")
    with pytest.raises(InvalidInput) as caught:
        services.gates.set("bad", {**GATE, **change})
    assert caught.value.field == field, caught.value.message
    assert services.gates.get("bad")["gate"] is None


def test_a_csv_holdout_and_a_gate_on_another_alias(services):
    register(services, "csv", alias="champion")
    spec = {
        "dataset": "small.csv",
        "label": "churned",
        "alias": "prod",
        "model_type": "classifier",
        "metrics": {"accuracy_score": {"min": 0.7}},
    }
    assert services.gates.set("csv", spec)["gate"]["alias"] == "prod"
    verdict = services.gates.evaluate("csv", "1")
    assert verdict["verdict"] == "pass" and verdict["champion"] is None and verdict["rows"] == 20
    services.registry.set_alias("csv", "prod", "1")
    # champion is not gated on this model.
    second = log_shuffled(services, "csv")["version"]
    services.registry.set_alias("csv", "champion", second)


# The kernel and CLI doors -------------------------------------------------------------


@pytest.fixture
def shell(services, monkeypatch):
    with mlops_shell(monkeypatch, services.config.home, services.config.root_dir) as shell:
        yield shell


def test_the_magic_and_the_cli_set_show_evaluate_and_force(services, shell):
    register(services, "doors", alias="champion")
    worse = log_shuffled(services, "doors")["version"]
    found = shell.run_line_magic(
        "mlops",
        "gate doors --dataset holdout.parquet --label churned --latency-rows 10 "
        "--metric roc_auc:min=0.8,not_worse_than_champion_by=0.01 --metric latency_p99_ms:max=500",
    )
    assert found["gate"]["metrics"] == {
        "roc_auc": {"min": 0.8, "not_worse_than_champion_by": 0.01},
        "latency_p99_ms": {"max": 500.0},
    }
    with pytest.raises(UsageError, match="%mlops gate: unknown bound .least."):
        shell.run_line_magic(
            "mlops", "gate doors --dataset holdout.parquet --label x --metric roc_auc:least=1"
        )
    with pytest.raises(UsageError, match="%mlops gate: .*outside the server root"):
        shell.run_line_magic(
            "mlops", "gate doors --dataset ../x.parquet --label y --metric r2_score:min=0"
        )
    assert services.gates.get("doors")["gate"] == found["gate"]

    verdict = shell.run_line_magic("mlops", f"gate doors --evaluate {worse}")
    assert verdict["verdict"] == "fail"
    with pytest.raises(UsageError, match="%mlops alias: .*roc_auc"):
        shell.run_line_magic("mlops", f"alias doors {worse} champion")

    # The CLI: show, evaluate (exit 2 on a failure), a refused move, a forced one.
    shown = mlops(services, "gate", "doors")
    assert shown.returncode == 0 and "roc_auc min=0.8" in shown.stdout, shown.stderr
    evaluated = mlops(services, "gate", "doors", "--evaluate", worse)
    assert evaluated.returncode == 2, evaluated.stderr
    assert "FAIL  roc_auc" in evaluated.stdout and "champion" in evaluated.stdout
    refused = mlops(services, "alias", "doors", worse, "champion")
    assert refused.returncode == 1 and "roc_auc" in refused.stderr
    forced = mlops(services, "alias", "doors", worse, "champion", "--force", "--reason", "demo")
    assert forced.returncode == 0 and "forced: demo" in forced.stdout, forced.stderr
    assert aliases(services, "doors")["champion"] == worse
    bad = mlops(services, "gate", "doors", "--metric", "roc_auc=0.8")
    assert bad.returncode == 1 and "jupyter mlops gate: " in bad.stderr


# The retraining loop ------------------------------------------------------------------


@pytest.fixture
def workers(services, monkeypatch):
    for key, value in services.config.env().items():
        monkeypatch.setenv(key, value)
    workers = services.agent_workers()
    for worker in workers:
        worker.reconcile()
    yield workers
    for worker in workers:
        worker.close()


def test_a_retrained_challenger_that_fails_the_gate_starts_no_canary(services, workers):
    register(services, "loopclf", alias="champion")  # version 1
    services.gates.set("loopclf", GATE)
    services.deployments.deploy(
        {
            "name": "gated",
            "model_uri": "models:/loopclf/1",
            "monitor": {"reference": "reference.parquet"},
            "trigger": {"job": "retrain.ipynb", "check_every": 0, "promote_after": 5},
        }
    )
    drive(workers, status_is(services, "gated", "ready"), timeout=90)
    log_predictions(services, "gated", "1", frame(600, seed=6).assign(a=lambda f: f["a"] + 2))
    done = drive(
        workers,
        firing_is(services, "gated", "canary", "promoted", "rolled_back", "failed"),
        timeout=240,
    )
    assert done["status"] == "failed", done
    assert done["model_version"] == "2"
    assert "failed the gate" in done["message"] and "roc_auc" in done["message"]
    history = kinds(services, "gated")
    assert "gate_failed" in history and "challenger_canary" not in history
    events = {e["kind"]: e["message"] for e in services.deployments.events("gated")}
    assert "roc_auc" in events["gate_failed"] and "champion" in events["gate_failed"]
    found = services.deployments.get("gated")
    assert found["candidate"] is None and found["model_version"] == "1"
    assert aliases(services, "loopclf")["champion"] == "1"
    assert version_tags(services, "loopclf", "2")[gate.TAG_VERDICT] == "fail"
    services.deployments.undeploy("gated")
    drive(workers, status_is(services, "gated", "stopped"), timeout=30)


# REST ---------------------------------------------------------------------------------


@pytest.fixture
def jp_server_config(jp_server_config, services):
    # The module's stores behind the server (its root is the test's own: the holdout is
    # written there too).
    jp_server_config["MLOpsApp"]["state_url"] = services.config.state_url
    jp_server_config["MLOpsApp"]["tracking_uri"] = services.config.tracking_uri
    return jp_server_config


async def rest(jp_fetch, *parts, method="GET", body=None):
    kwargs = {"method": method}
    if body is not None:
        kwargs["body"] = json.dumps(body) if not isinstance(body, str) else body
    answer = await jp_fetch("mlops", "api", *parts, **kwargs)
    return json.loads(answer.body) if answer.body else None


async def rest_error(jp_fetch, *parts, method="GET", body=None):
    with pytest.raises(HTTPClientError) as caught:
        await rest(jp_fetch, *parts, method=method, body=body)
    return caught.value.code, json.loads(caught.value.response.body)


async def test_rest_sets_shows_evaluates_and_refuses(jp_fetch, jp_root_dir, services):
    holdout().to_parquet(jp_root_dir / "holdout.parquet")
    register(services, "web", alias="champion")
    worse = log_shuffled(services, "web")["version"]
    assert (await rest(jp_fetch, "models", "web", "gate")) == {"name": "web", "gate": None}
    put = await rest(jp_fetch, "models", "web", "gate", method="PUT", body=GATE)
    assert put["gate"]["label"] == "churned"
    assert (await rest(jp_fetch, "models", "web", "gate"))["gate"] == put["gate"]

    for garbage, field in [
        ("{not json", None),
        ({"label": "churned", "metrics": {"roc_auc": {"min": 1}}}, "dataset"),
        ({**GATE, "dataset": "../x.parquet"}, "dataset"),
        ({**GATE, "metrics": {"roc_auc": {"min": "x"}}}, None),
    ]:
        code, error = await rest_error(
            jp_fetch, "models", "web", "gate", method="PUT", body=garbage
        )
        assert code == 400, error
        if field:
            assert error["field"].startswith(field), error
    assert (await rest(jp_fetch, "models", "web", "gate"))["gate"] == put["gate"]

    code, error = await rest_error(
        jp_fetch, "models", "web", "versions", "abc", "evaluate", method="POST", body={}
    )
    assert code == 400
    verdict = await rest(
        jp_fetch, "models", "web", "versions", worse, "evaluate", method="POST", body={}
    )
    assert verdict["verdict"] == "fail"
    listed = await rest(jp_fetch, "models", "web", "versions")
    assert {v["version"]: v["gate"]["verdict"] for v in listed["versions"] if v["gate"]} == {
        worse: "fail"
    }

    code, error = await rest_error(
        jp_fetch, "models", "web", "aliases", "champion", method="PUT", body={"version": worse}
    )
    assert code == 409 and error["code"] == "gate_refused"
    assert [f["metric"] for f in error["failing"]] == ["roc_auc"]
    code, error = await rest_error(
        jp_fetch,
        "models",
        "web",
        "aliases",
        "champion",
        method="PUT",
        body={"version": worse, "force": True},
    )
    assert code == 400 and error["field"] == "reason"
    forced = await rest(
        jp_fetch,
        "models",
        "web",
        "aliases",
        "champion",
        method="PUT",
        body={"version": worse, "force": True, "reason": "demo"},
    )
    assert forced["forced"] is True
    assert version_tags(services, "web", worse)[gate.TAG_FORCED_REASON] == "demo"
    assert np.isfinite(verdict["metrics"][0]["candidate"])


def test_a_holdout_built_from_a_feature_service(services):
    """The holdout is the feature service's point-in-time join on an entity file that
    carries the labels: the same verdict as the file holdout of the same rows."""
    root = services.config.root_dir
    rows = holdout(200, seed=5)
    keys = customer_service(services, rows[["a", "b", "c", "d"]])
    keys.assign(churned=rows["churned"]).to_parquet(root / "labels.parquet")

    register(services, "fs", alias="champion")
    spec = {
        "dataset": {"feature_service": "churn_features", "entities": "labels.parquet"},
        "label": "churned",
        "model_type": "classifier",
        "metrics": {"roc_auc": {"min": 0.8}},
    }
    assert services.gates.set("fs", spec)["gate"]["dataset"]["feature_service"] == "churn_features"
    better = register(services, "fs")["version"]
    verdict = services.gates.evaluate("fs", better)
    assert verdict["verdict"] == "pass" and verdict["rows"] == 200, verdict
    worse = log_shuffled(services, "fs")["version"]
    assert services.gates.evaluate("fs", worse)["verdict"] == "fail"
    with pytest.raises(GateRefused):
        services.registry.set_alias("fs", "champion", worse)
    services.registry.set_alias("fs", "champion", better)
    assert aliases(services, "fs")["champion"] == better
