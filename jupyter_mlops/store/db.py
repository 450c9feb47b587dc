"""Engine, transactions and migrations of the state DB.

sqlite is the embedded default; any SQLAlchemy URL (PostgreSQL for teams) works.
The schema is versioned with alembic, so later features add tables through
migrations in `migrations/versions/` and never by deleting the file.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url

from . import failures

if TYPE_CHECKING:  # alembic is imported by what migrates: workers and serving processes don't
    from alembic.config import Config

# Our own name, so the state DB can share a PostgreSQL database with MLflow's
# tables (which use alembic's default `alembic_version`).
VERSION_TABLE = "jupyter_mlops_version"
SQLITE_BUSY_TIMEOUT_MS = 10_000
# Any constant works; it only has to be the same for every migrating process.
_PG_MIGRATION_LOCK = 0x6D6C6F7073
# Alembic installs its `context` and `op` proxies as module globals while it runs, so
# two migrations in threads of one process (ours and MLflow's, at server start)
# trample each other. Every alembic run in this process takes this lock.
ALEMBIC_LOCK = threading.Lock()


class StateStore:
    """One state DB: an engine plus the migrations that bring it to the current schema."""

    def __init__(self, url: str):
        self.url = url
        failures.heal_sqlite_files(url)  # left read-only by a process before this one
        self.engine = _create_engine(url)
        self._migrated = False
        self._migrate_lock = threading.Lock()

    @contextmanager
    def begin(self, *, immediate: bool = False) -> Iterator[Connection]:
        """A transaction. `immediate` takes sqlite's write lock up front, for
        read-then-write work that must not interleave with another process."""
        try:
            with self.engine.connect() as conn:
                if immediate:
                    conn.execution_options(sqlite_begin="IMMEDIATE")
                with conn.begin():
                    yield conn
        except Exception as err:
            if not failures.is_store_failure(err):
                raise
            self._recover()
            raise failures.unavailable(err, self.url) from err

    def _recover(self) -> None:
        """After a store failure: the next connection is a new one. A sqlite connection
        opened while the file was read-only (or replaced) stays so after it is fixed."""
        failures.heal_sqlite_files(self.url)
        self.engine.dispose()

    def migrate(self) -> str:
        """Bring the schema to the newest revision; safe to call from many processes."""
        from alembic import command

        with self._migrate_lock, ALEMBIC_LOCK:
            if not self._migrated:
                with self.begin(immediate=True) as conn:
                    if conn.dialect.name == "postgresql":
                        conn.execute(
                            text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_MIGRATION_LOCK}
                        )
                    config = _alembic_config()
                    config.attributes["connection"] = conn
                    command.upgrade(config, "head")
                self._migrated = True
        return self.revision() or ""

    def revision(self) -> str | None:
        from alembic.runtime.migration import MigrationContext

        with self.begin() as conn:
            context = MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE})
            return context.get_current_revision()

    @staticmethod
    def head() -> str:
        from alembic.script import ScriptDirectory

        return ScriptDirectory.from_config(_alembic_config()).get_current_head() or ""

    def dispose(self) -> None:
        self.engine.dispose()


def _alembic_config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    return config


def _create_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)

    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})

    # pysqlite's own transaction handling defers BEGIN and cannot take the write
    # lock up front; SQLAlchemy's documented recipe hands BEGIN back to us.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        # WAL lets the panel read while the agent writes; the busy timeout makes
        # concurrent writers (server, kernels, CLI) wait instead of failing.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql("BEGIN IMMEDIATE" if mode == "IMMEDIATE" else "BEGIN")

    return engine
