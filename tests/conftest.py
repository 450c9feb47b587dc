import os

import pytest

from jupyter_mlops.config import (
    EXECUTOR_ENV,
    HOME_ENV,
    ROOT_DIR_ENV,
    STATE_URL_ENV,
    TRACKING_URI_ENV,
)
from jupyter_mlops.tracking import default as tracking_default

pytest_plugins = ("pytest_jupyter.jupyter_server",)

MLOPS_ENV = (HOME_ENV, ROOT_DIR_ENV, STATE_URL_ENV, EXECUTOR_ENV, TRACKING_URI_ENV)


@pytest.fixture(autouse=True)
def clean_environ():
    """Each test starts without MLOps variables and leaves none behind: the server
    extension exports them into os.environ for its kernels, and `mlflow.set_tracking_uri`
    sets MLFLOW_TRACKING_URI, also from module-scoped fixtures set up before this one."""
    saved = dict(os.environ)
    for name in MLOPS_ENV:
        os.environ.pop(name, None)
    yield
    os.environ.clear()
    os.environ.update({k: v for k, v in saved.items() if k not in MLOPS_ENV})


@pytest.fixture(autouse=True)
def isolated_services():
    """The Python API and magics share one Services per process; each test gets its own,
    and no MLflow run stays active across tests."""
    tracking_default.cache_clear()
    yield
    tracking_default.cache_clear()
    import mlflow

    while mlflow.active_run() is not None:
        mlflow.end_run()
    # MLflow keeps the URIs a test (or %%track) set as process globals; the next test
    # must not log into, or register in, this one's store.
    mlflow.set_tracking_uri(None)
    mlflow.set_registry_uri(None)
    # So is the experiment `mlflow.set_experiment` picked (no public way to unset it): a
    # later test's `mlflow.start_run()` would look for it in a store where it is not.
    mlflow.tracking.fluent._active_experiment_id = None


@pytest.fixture
def jp_server_config(jp_server_config):
    return {
        "ServerApp": {
            # Terminals (which pytest-jupyter adds otherwise) are not ours to test.
            "jpserver_extensions": {"jupyter_mlops": True, "jupyter_server_terminals": False},
            # Test against a server which requires authentication on all endpoints.
            "allow_unauthenticated_access": False,
        },
        # The agent is started explicitly by the tests that want it. Every answer the
        # tests get is checked against its response schema (a 500 when it does not match).
        "MLOpsApp": {
            "agent_interval": 0.2,
            "agent_lease_seconds": 2.0,
            "validate_responses": True,
        },
    }


@pytest.fixture
def supervisor(services):
    """A deployment supervisor over the module's `services`, driven by the test's ticks."""
    from jupyter_mlops.serving.supervisor import DeploymentSupervisor

    supervisor = DeploymentSupervisor(services.config, services.store)
    supervisor.reconcile()
    yield supervisor
    supervisor.close()
