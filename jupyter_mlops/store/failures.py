"""What a database failure means, in words a user can act on, and what heals it.

The state DB (and MLflow's sqlite file) fail in a few ways that have nothing to do with
the request: a full disk, a read-only file, a file that is not a database. SQLAlchemy
reports them as `OperationalError` with the statement attached; each door shows them as
one line, `<what> (<where>)`, from the `StoreUnavailable` built here.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DatabaseError, IntegrityError, OperationalError

from ..errors import StoreUnavailable

# Below this many free bytes, sqlite's "disk I/O error" is the disk being full.
_NEARLY_FULL = 1024 * 1024
# sqlite's messages (the first words of them) -> what they mean to a user.
_MEANING = (
    ("database or disk is full", "the disk is full"),
    ("attempt to write a readonly database", "the database file is read-only"),
    ("unable to open database file", "the database file cannot be opened"),
    ("file is not a database", "the file is not a database"),
    ("database disk image is malformed", "the database file is corrupted"),
    ("database is locked", "the database is locked by another process"),
    ("readonly database", "the database file is read-only"),
)


def is_store_failure(err: BaseException) -> bool:
    """A failure of the database itself rather than of the statement (a constraint)."""
    return isinstance(err, OperationalError | DatabaseError) and not isinstance(err, IntegrityError)


def unavailable(err: BaseException, url: str, what: str = "the state DB") -> StoreUnavailable:
    """`err` (a store failure, or an OSError on the store's folder) as one line."""
    reason = _first_line(getattr(err, "orig", None) or err)
    meaning = next((words for key, words in _MEANING if key in reason.lower()), None)
    folder = database_file(url)
    if folder is not None and _disk_full(folder.parent):
        meaning = "the disk is full"
    elif isinstance(err, OSError) and meaning is None:
        meaning = err.strerror or reason
    return StoreUnavailable(what, f"{meaning or reason} ({where(url)})")


def database_file(url: str) -> Path | None:
    """The sqlite file a URL names; None for a server database or an in-memory one."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return None
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def where(url: str) -> str:
    """The store's place, without credentials: a path, or a database on a host."""
    path = database_file(url)
    if path is not None:
        return str(path)
    try:
        parsed = make_url(url)
    except ArgumentError:
        return "the configured database"
    host = f" on {parsed.host}" if parsed.host else ""
    return f"{parsed.get_backend_name()} database {parsed.database or ''}{host}".strip()


def heal_sqlite_files(url: str) -> None:
    """Give the `-wal` and `-shm` files the database file's mode again.

    sqlite creates them with the database file's permissions: opened while that was
    read-only, they stay read-only after its owner makes it writable again, and every
    later connection fails with "attempt to write a readonly database".
    """
    path = database_file(url)
    if path is None or not os.access(path, os.W_OK):
        return
    try:
        mode = path.stat().st_mode & 0o777
        for suffix in ("-wal", "-shm"):
            side = path.with_name(path.name + suffix)
            if (
                side.exists()
                and side.stat().st_uid == os.geteuid()
                and not os.access(side, os.W_OK)
            ):
                side.chmod(mode)
    except OSError:
        return  # not ours to fix; the failure stays reported as it is


def _disk_full(folder: Path) -> bool:
    try:
        return shutil.disk_usage(folder).free < _NEARLY_FULL
    except OSError:
        return False


def _first_line(err: object) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__
