import multiprocessing
import sqlite3

from sqlalchemy import inspect, text

from jupyter_mlops.store import StateStore
from jupyter_mlops.store.db import VERSION_TABLE


def _migrate(url: str) -> str:
    return StateStore(url).migrate()


def test_migrate_creates_the_schema_at_head(tmp_path):
    store = StateStore(f"sqlite:///{tmp_path}/sub/state.db")
    assert store.revision() is None
    assert store.migrate() == StateStore.head()
    tables = set(inspect(store.engine).get_table_names())
    assert {"agent_lease", VERSION_TABLE} <= tables


def test_migrate_is_idempotent_and_keeps_data(tmp_path):
    url = f"sqlite:///{tmp_path}/state.db"
    first = StateStore(url)
    first.migrate()
    with first.begin() as conn:
        conn.execute(text("UPDATE agent_lease SET holder='someone', expires_at=99"))
    first.dispose()

    again = StateStore(url)
    assert again.migrate() == StateStore.head()
    with again.begin() as conn:
        assert conn.execute(text("SELECT holder FROM agent_lease")).scalar_one() == "someone"


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(tmp_path):
    store = StateStore(f"sqlite:///{tmp_path}/state.db")
    store.migrate()
    with store.begin() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
    # WAL is a property of the file: a plain sqlite3 client sees it too.
    with sqlite3.connect(tmp_path / "state.db") as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_failed_transaction_writes_nothing(tmp_path):
    store = StateStore(f"sqlite:///{tmp_path}/state.db")
    store.migrate()
    try:
        with store.begin() as conn:
            conn.execute(text("UPDATE agent_lease SET holder='half-done'"))
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    with store.begin() as conn:
        assert conn.execute(text("SELECT holder FROM agent_lease")).scalar_one() is None


def test_processes_migrating_one_file_at_once_all_succeed(tmp_path):
    url = f"sqlite:///{tmp_path}/state.db"
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        revisions = pool.map(_migrate, [url] * 4)
    assert revisions == [StateStore.head()] * 4
    with StateStore(url).begin() as conn:
        assert conn.execute(text("SELECT count(*) FROM agent_lease")).scalar_one() == 1
