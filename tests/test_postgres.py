"""The state DB on a real PostgreSQL server, as a team would run it."""

import glob
import multiprocessing
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest
from jobs_helpers import drive_search, notebook, one_wave_search
from sqlalchemy import create_engine, text

from jupyter_mlops.agent import Agent
from jupyter_mlops.config import resolve
from jupyter_mlops.services import Services
from jupyter_mlops.store import StateStore
from jupyter_mlops.store.db import VERSION_TABLE


def _run(argv):
    # PostgreSQL refuses to run as root; Debian's package provides a postgres user.
    prefix = ["runuser", "-u", "postgres", "--"] if os.getuid() == 0 else []
    subprocess.run(prefix + [str(a) for a in argv], check=True, capture_output=True, timeout=60)


@pytest.fixture(scope="session")
def postgres():
    """A throwaway PostgreSQL server on 127.0.0.1; yields a URL without a database."""
    servers = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if not servers:
        pytest.fail("no PostgreSQL server: the README's test command installs Debian's postgresql")
    bindir = Path(servers[-1]).parent
    data = Path(tempfile.mkdtemp(prefix="mlops-pg-"))
    if os.getuid() == 0:
        shutil.chown(data, "postgres")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    _run([bindir / "initdb", "-D", data, "-U", "mlops", "--auth=trust", "-E", "UTF8"])
    options = f"-p {port} -k {data} -c listen_addresses=127.0.0.1 -c fsync=off"
    _run([bindir / "pg_ctl", "-D", data, "-o", options, "-l", data / "log", "-w", "start"])
    try:
        yield f"postgresql+psycopg://mlops:s3cret@127.0.0.1:{port}"
    finally:
        _run([bindir / "pg_ctl", "-D", data, "-m", "immediate", "-w", "stop"])
        shutil.rmtree(data, ignore_errors=True)


@pytest.fixture
def pg_url(postgres):
    """A fresh, empty database for one test."""
    name = f"state_{uuid.uuid4().hex[:12]}"
    admin = create_engine(f"{postgres}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return f"{postgres}/{name}"


def _migrate(url):
    return StateStore(url).migrate()


def test_concurrent_migrations_on_postgres_all_succeed(pg_url):
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        assert pool.map(_migrate, [pg_url] * 4) == [StateStore.head()] * 4
    with StateStore(pg_url).begin() as conn:
        assert conn.execute(text("SELECT count(*) FROM agent_lease")).scalar_one() == 1


def test_one_agent_leads_on_postgres(pg_url):
    store = StateStore(pg_url)
    store.migrate()
    first, second = Agent(store), Agent(store)
    assert first.step() is True
    assert second.step() is False
    first.release()
    assert second.step() is True
    store.dispose()


def test_status_on_postgres_hides_the_password(pg_url, tmp_path):
    services = Services(resolve(home=tmp_path, state_url=pg_url, environ={}))
    status = services.project.status()
    assert status["state_url"] == pg_url.replace("s3cret", "***")
    assert status["agent"]["state"] == "inactive"
    services.close()


def test_a_search_keeps_its_study_in_the_optuna_schema_of_the_state_db(pg_url, tmp_path):
    notebook(tmp_path / "quad.ipynb", "x = 0.0", "import mlflow\nmlflow.log_metric('loss', x * x)")
    home = tmp_path / ".mlops"
    config = resolve(home=home, root_dir=tmp_path, state_url=pg_url, gpus=[], environ={})
    services = Services(config)
    search_id = services.tuning.submit(one_wave_search("quad.ipynb", seed=2))["search"]["id"]
    try:
        search = drive_search(services, search_id, timeout=120)
    finally:
        services.close()
    assert search["counts"]["complete"] == 2
    assert not (home / "optuna.db").exists()
    engine = create_engine(pg_url)
    with engine.connect() as conn:
        name = "SELECT study_name FROM optuna.studies"
        assert conn.execute(text(name)).scalars().all() == [search_id]
        assert conn.execute(text("SELECT count(*) FROM optuna.trials")).scalar_one() == 2
        # Two alembic histories, each with its own version table: ours beside our tables,
        # Optuna's (alembic's default name, as MLflow's) in its schema only.
        ours = conn.execute(text(f"SELECT version_num FROM public.{VERSION_TABLE}")).scalar_one()
        theirs = conn.execute(text("SELECT version_num FROM optuna.alembic_version")).scalar_one()
        where = "SELECT table_schema FROM information_schema.tables WHERE table_name = :name"
        schemas = conn.execute(text(where), {"name": "alembic_version"}).scalars().all()
    engine.dispose()
    assert ours == StateStore.head() and theirs and schemas == ["optuna"]
