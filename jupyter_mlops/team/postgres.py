"""The team stack's PostgreSQL cluster: created once (initdb), started on 127.0.0.1 and a
port chosen at each start, stopped with `pg_ctl stop -m fast`.

PostgreSQL refuses to run as root: as root, every server tool runs as Debian's
`postgres` user, who then owns the data folder and must be able to reach it.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
from pathlib import Path

from ..redact import redact_text
from .errors import TeamError

USER = "mlops"
HOST = "127.0.0.1"


class Cluster:
    """The cluster in `data`, logging to `log`, its superuser `mlops` with `password`."""

    def __init__(self, data: Path, log: Path, password: str, timeout: float):
        self.data = data
        self.log = log
        self.password = password
        self.timeout = timeout

    def start(self, port: int) -> int:
        """Start it (creating it first if need be) and return the postmaster's pid."""
        bin_dir()  # before anything is written: say at once where none is installed
        self.log.touch()
        if not (self.data / "PG_VERSION").exists():
            self._initdb()
        # Read last (postgresql.conf includes it at its end), so each start may choose
        # another port while the cluster and its data stay. TCP only: a unix socket's
        # path may be at most 107 characters, and the folder may be deep.
        conf = self.data / "team.conf"
        conf.write_text(
            f"listen_addresses = '{HOST}'\nport = {port}\nunix_socket_directories = ''\n"
        )
        self._own(conf, self.log)
        self._run("pg_ctl", "-D", self.data, "-l", self.log, "-w", "-t", int(self.timeout), "start")
        return int((self.data / "postmaster.pid").read_text().split()[0])

    def stop(self) -> None:
        # fast: clients are disconnected and the server shuts down cleanly.
        self._run("pg_ctl", "-D", self.data, "-m", "fast", "-w", "-t", 30, "stop", check=False)

    def create_databases(self, port: int, names: tuple[str, ...]) -> None:
        try:
            import psycopg
        except ImportError:
            raise TeamError("psycopg is missing: pip install 'jupyter_mlops[postgres]'") from None
        url = f"postgresql://{USER}:{self.password}@{HOST}:{port}/postgres"
        with psycopg.connect(url, autocommit=True, connect_timeout=10) as conn:
            have = {row[0] for row in conn.execute("SELECT datname FROM pg_database")}
            for name in names:
                if name not in have:  # our own fixed names, never input: nothing to quote
                    conn.execute(f'CREATE DATABASE "{name}"')

    def _initdb(self) -> None:
        if self.data.exists() and any(self.data.iterdir()):
            raise TeamError(f"{self.data} is not empty and holds no database cluster")
        self.data.mkdir(mode=0o700, exist_ok=True)
        # initdb reads the password from a file: a copy it can open (as root it runs as
        # the postgres user, who cannot read the secrets folder), removed at once.
        handoff = self.data.parent / ".initdb-password"
        descriptor = os.open(handoff, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as out:
            out.write(self.password + "\n")
        self._own(self.data, handoff)
        try:
            self._run(
                "initdb",
                "-D",
                self.data,
                "-U",
                USER,
                "--auth=scram-sha-256",
                f"--pwfile={handoff}",
                "-E",
                "UTF8",
            )
        finally:
            handoff.unlink(missing_ok=True)
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write("\ninclude_if_exists = 'team.conf'  # jupyter mlops team\n")

    def _run(self, tool: str, *args, check: bool = True) -> None:
        as_postgres = os.getuid() == 0
        prefix = ["runuser", "-u", "postgres", "--"] if as_postgres else []
        argv = [*prefix, str(bin_dir() / tool), *map(str, args)]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=self.timeout + 10)
        if check and done.returncode != 0:
            lines = (done.stderr or done.stdout).strip().splitlines() or ["no output"]
            hint = ""
            if as_postgres and "Permission denied" in lines[-1]:
                hint = (
                    f" (as root, PostgreSQL runs as the postgres user, who must reach {self.data})"
                )
            raise TeamError(f"{tool} failed: {redact_text(lines[-1])}{hint}")

    def _own(self, *paths: Path) -> None:
        if os.getuid() == 0:
            for path in paths:
                shutil.chown(path, "postgres")


def bin_dir() -> Path:
    """The newest PostgreSQL server installed, found where Debian installs it."""
    servers = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if not servers:
        raise TeamError("no PostgreSQL server in /usr/lib/postgresql (apt-get install postgresql)")
    return Path(servers[-1]).parent
