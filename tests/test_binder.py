"""The Binder demo notebook runs top to bottom on a real kernel, against a headless agent
on the embedded defaults: features, a tracked run, a registered model, a deployment
answering predictions, and drift found in the shifted requests only. (tests/test_team.py
runs it against the team stack.)"""

from binder_helpers import demo_agent, run_demo_and_check

from jupyter_mlops.config import STATE_URL_ENV, TRACKING_URI_ENV


def test_getting_started_notebook_runs(tmp_path, monkeypatch):
    home = tmp_path / "home"
    monkeypatch.setenv("JUPYTER_MLOPS_HOME", str(home))
    for setting in (TRACKING_URI_ENV, STATE_URL_ENV):
        monkeypatch.delenv(setting, raising=False)  # the embedded defaults under home
    with demo_agent(home, tmp_path) as services:
        assert services.config.tracking_uri.startswith("sqlite:")
        run_demo_and_check(services, tmp_path)
