import pytest

from jupyter_mlops.config import (
    HOME_ENV,
    STATE_URL_ENV,
    TRACKING_URI_ENV,
    find_home,
    redact_url,
    resolve,
)
from jupyter_mlops.errors import InvalidInput
from jupyter_mlops.services import Services


def test_embedded_defaults_live_under_the_servers_root(tmp_path):
    config = resolve(root_dir=tmp_path, environ={})
    home = tmp_path.resolve() / ".mlops"
    assert config.home == home
    assert config.tracking_uri == f"sqlite:///{home}/mlflow.db"
    assert config.state_url == f"sqlite:///{home}/state.db"
    assert config.artifact_root == home / "artifacts"
    assert config.executor == "local"


def test_mlflow_tracking_uri_wins_over_configuration(tmp_path):
    config = resolve(
        root_dir=tmp_path,
        tracking_uri="sqlite:///configured.db",
        environ={TRACKING_URI_ENV: "http://mlflow.example:5000"},
    )
    assert config.tracking_uri == "http://mlflow.example:5000"


def test_explicit_settings_beat_environment(tmp_path):
    env = {HOME_ENV: str(tmp_path / "from-env"), STATE_URL_ENV: "sqlite:///env.db"}
    config = resolve(home=tmp_path / "explicit", state_url="sqlite:///explicit.db", environ=env)
    assert config.home == (tmp_path / "explicit").resolve()
    assert config.state_url == "sqlite:///explicit.db"


def test_environment_beats_root_dir(tmp_path):
    config = resolve(root_dir=tmp_path / "root", environ={HOME_ENV: str(tmp_path / "shared")})
    assert config.home == (tmp_path / "shared").resolve()


def test_env_round_trips_through_a_child_process_environment(tmp_path):
    parent = resolve(root_dir=tmp_path, executor="ray", environ={})
    child = resolve(environ=parent.env())
    assert child == parent


def test_home_is_found_upward_like_git(tmp_path, monkeypatch):
    (tmp_path / ".mlops").mkdir()
    nested = tmp_path / "a" / "b"
    nested.mkdir(parents=True)
    assert find_home(nested) == (tmp_path / ".mlops").resolve()
    monkeypatch.chdir(nested)
    assert resolve(environ={}).home == (tmp_path / ".mlops").resolve()


def test_without_a_home_upward_the_working_directory_gets_one(tmp_path, monkeypatch):
    if find_home(tmp_path) is not None:
        pytest.skip("a .mlops folder exists above the temp dir")
    monkeypatch.chdir(tmp_path)
    assert resolve(environ={}).home == tmp_path.resolve() / ".mlops"


def test_unknown_executor_is_refused_with_the_executors_there_are(tmp_path):
    with pytest.raises(InvalidInput) as caught:
        Services(resolve(root_dir=tmp_path, executor="slurm", environ={}))
    assert caught.value.field == "executor"
    assert caught.value.message == "unknown executor 'slurm'; available: local, ray"


@pytest.mark.parametrize(
    "url, shown",
    [
        ("postgresql://mlops:s3cret@db:5432/state", "postgresql://mlops:***@db:5432/state"),
        ("sqlite:////tmp/x/state.db", "sqlite:////tmp/x/state.db"),
        ("https://user:tok@mlflow.example/", "https://user:***@mlflow.example/"),
        ("databricks", "databricks"),
    ],
)
def test_urls_are_shown_without_secrets(url, shown):
    assert redact_url(url) == shown


def test_root_dir_comes_from_the_server_else_the_homes_parent(tmp_path):
    assert resolve(root_dir=tmp_path, environ={}).root_dir == tmp_path.resolve()
    assert resolve(home=tmp_path / "h", environ={}).root_dir == tmp_path.resolve()
    exported = resolve(root_dir=tmp_path / "root", environ={}).env()
    assert resolve(environ=exported).root_dir == (tmp_path / "root").resolve()
