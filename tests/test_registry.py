"""Registering models, versions and aliases on MLflow's registry (sqlite store)."""

import mlflow
import numpy as np
import pytest
from mlflow import MlflowClient
from sklearn.linear_model import LogisticRegression

from jupyter_mlops import registry as registry_api
from jupyter_mlops.config import HOME_ENV, resolve
from jupyter_mlops.errors import InvalidInput, NotFound
from jupyter_mlops.services import Services
from jupyter_mlops.tracking import lineage


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    return tmp_path_factory.mktemp("registry") / ".mlops"


@pytest.fixture
def services(home):
    services = Services(resolve(home=home, environ={}))
    services.tracking.client  # noqa: B018 - our store first, as the server does
    mlflow.set_tracking_uri(services.config.tracking_uri)
    yield services
    services.close()


def log_model(*, example=True, names=("model",), tags=None) -> str:
    X = np.random.default_rng(0).random((30, 4))
    model = LogisticRegression().fit(X, X[:, 0] > 0.5)
    with mlflow.start_run(tags=tags) as run:
        for name in names:
            mlflow.sklearn.log_model(model, name=name, input_example=X[:3] if example else None)
    return run.info.run_id


def test_register_a_run_with_an_alias_and_lineage(services):
    run_id = log_model(tags={lineage.SOURCE_NOTEBOOK: "work/train.ipynb"})
    created = services.registry.register(run_id, "churn", alias="champion")
    assert created == {"name": "churn", "version": "1", "aliases": ["champion"]}
    client = MlflowClient(services.config.tracking_uri, registry_uri=services.config.tracking_uri)
    version = client.get_model_version_by_alias("churn", "champion")
    assert version.run_id == run_id
    assert version.tags[lineage.SOURCE_NOTEBOOK] == "work/train.ipynb"
    assert version.tags[lineage.RUN_ID] == run_id

    again = services.registry.register(f"runs:/{run_id}/model", "churn")
    assert again["version"] == "2"
    versions = services.registry.versions("churn")
    assert [v["version"] for v in versions] == ["2", "1"]
    assert versions[1]["aliases"] == ["champion"]
    assert "Tensor('float64', (-1, 4))" in versions[0]["signature"]["inputs"]
    # The scoring payload of the input example (3 rows of the training array).
    assert len(versions[0]["input_example"]["inputs"]) == 3
    assert versions[0]["metrics"] == {}  # its run logged none


def test_a_version_lists_its_source_run_s_key_metrics(services):
    run_id = log_model()
    client = services.tracking.client
    for index, name in enumerate(["loss", "acc", *(f"m{i}" for i in range(9))]):
        client.log_metric(run_id, name, 0.5 + index)
    client.log_metric(run_id, "acc", 0.93, step=1)  # the latest value is shown
    services.registry.register(run_id, "metered")
    (version,) = services.registry.versions("metered")
    assert version["metrics"]["acc"] == 0.93
    # At most eight, by name.
    assert list(version["metrics"]) == sorted(version["metrics"]) and len(version["metrics"]) == 8
    listed = {m["name"]: m for m in services.registry.models()}
    assert listed["churn"]["aliases"] == {"champion": "1"}
    assert listed["churn"]["latest_version"] == "2"


def test_a_model_without_signature_is_refused_with_how_to_fix(services):
    run_id = log_model(example=False)
    with pytest.raises(InvalidInput) as caught:
        services.registry.register(run_id, "unsigned")
    assert "has no signature and no input example" in caught.value.message
    assert "input_example=" in caught.value.message
    assert caught.value.field == "source"
    uri = services.config.tracking_uri
    assert not MlflowClient(uri, registry_uri=uri).search_registered_models("name = 'unsigned'")


def test_several_models_in_a_run_need_a_choice(services):
    run_id = log_model(names=("a", "b"))
    with pytest.raises(InvalidInput, match=r"several models \['a', 'b'\]"):
        services.registry.register(run_id, "pick")
    assert services.registry.register(f"runs:/{run_id}/b", "pick")["version"] == "1"


@pytest.mark.parametrize(
    "source, name, alias, field",
    [
        ("not a run", "m", None, "source"),
        ("runs:/" + "0" * 32 + "/model", "m", None, None),
        ("0" * 32, "bad/name", None, "name"),
        ("0" * 32, "m", "latest", "alias"),
        ("0" * 32, "m", "v3", "alias"),
    ],
)
def test_bad_registrations_name_what_is_wrong(services, source, name, alias, field):
    with pytest.raises((InvalidInput, NotFound)) as caught:
        services.registry.register(source, name, alias)
    assert caught.value.field == field


def test_aliases_move_and_go(services):
    run_id = log_model()
    services.registry.register(run_id, "aliased")
    services.registry.register(run_id, "aliased")
    assert services.registry.set_alias("aliased", "challenger", "2")["version"] == "2"
    services.registry.set_alias("aliased", "challenger", "1")
    assert services.registry.versions("aliased")[1]["aliases"] == ["challenger"]
    services.registry.delete_alias("aliased", "challenger")
    assert all(v["aliases"] == [] for v in services.registry.versions("aliased"))
    with pytest.raises(NotFound):
        services.registry.delete_alias("aliased", "challenger")
    with pytest.raises(NotFound):
        services.registry.set_alias("aliased", "x", "9")
    with pytest.raises(NotFound):
        services.registry.versions("no-such-model")


def test_python_api_uses_the_project_home(services, monkeypatch):
    monkeypatch.setenv(HOME_ENV, str(services.config.home))
    run_id = log_model()
    assert registry_api.register(run_id, "from-python", alias="champion")["version"] == "1"
    assert registry_api.versions("from-python")[0]["aliases"] == ["champion"]
