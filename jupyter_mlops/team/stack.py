"""`Team`: the stack in one folder brought up, asked about and brought down."""

from __future__ import annotations

import json
import os
import secrets
import shlex
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from ..config import EXECUTOR_ENV, RAY_ADDRESS_ENV, STATE_URL_ENV, TRACKING_URI_ENV
from ..errors import MLOpsError
from ..redact import redact_text
from ..runtime import processes
from . import commands
from .commands import BIN, HOST
from .errors import ServiceFailed, TeamError
from .postgres import USER, Cluster
from .ray_head import TEMP_PREFIX, LocalHead

STATE_DB = "mlops_state"
MLFLOW_DB = "mlflow"
NAMES = {
    "postgres": "PostgreSQL",
    "mlflow": "the MLflow server",
    "ray": "the Ray head",
    "lab": "JupyterLab",
}
# Stopped first, together: they hold connections to PostgreSQL, stopped last.
CLIENTS = ("lab", "ray", "mlflow")


@dataclass
class Ports:
    """Where each service listens; 0 takes a free port."""

    postgres: int = 0
    mlflow: int = 0
    ray: int = 0  # Ray's GCS, where the workers of other machines would join
    dashboard: int = 0  # Ray's dashboard and Jobs API
    lab: int = 0


class Team:
    """The stack kept in `folder`; JupyterLab serves `root_dir`; `bin_dir` holds the
    `mlflow`, `ray` and `jupyter` commands (this environment's by default); each service
    gets `timeout` seconds to answer."""

    def __init__(self, folder: Path, root_dir: Path, *, bin_dir: Path = BIN, timeout=180.0):
        self.folder = Path(folder).expanduser().absolute()
        self.root_dir = Path(root_dir).absolute()
        self.bin_dir = bin_dir
        self.timeout = timeout
        self.manifest: dict = {}

    @property
    def manifest_path(self) -> Path:
        return self.folder / "team.json"

    @property
    def password_file(self) -> Path:
        return self.folder / "secrets" / "postgres-password"

    # Verbs --------------------------------------------------------------------------

    def up(self, *, cpus: int, gpus: int | None = None, lab: bool = False, ports=None) -> dict:
        """Start every service, wait until each answers, and say what runs where (the
        manifest, passwords left out). On any failure, stop what was started and raise
        one TeamError saying what failed."""
        ports = ports or Ports()
        self._prepare()
        self.manifest = {"dir": str(self.folder), "services": {}}
        starters = {
            "mlflow": lambda: self._start_mlflow(ports.mlflow),
            "ray": lambda: self._start_ray(ports.ray, ports.dashboard, cpus, gpus),
            "lab": lambda: self._start_lab(ports.lab),
        }
        step, pending = "postgres", {}
        try:
            self._start_postgres(ports.postgres)
            # The others need only PostgreSQL: started together, waited for together.
            for step in ("mlflow", "ray", "lab") if lab else ("mlflow", "ray"):
                pending[step] = starters[step]()
            self._wait(pending)
        except BaseException as err:  # Ctrl-C included: nothing is left half-started
            self.down()
            failed = err.name if isinstance(err, ServiceFailed) else step
            reason = err.message if isinstance(err, MLOpsError) else _reason(err)
            raise TeamError(
                f"{NAMES[failed]} did not start: {reason}; stopped what had started"
            ) from None
        self.manifest["env"] = self.env(reveal=False)
        self._save()
        lines = [f"export {k}={shlex.quote(v)}" for k, v in self.env(reveal=True).items()]
        _write_secret(self.folder / "secrets" / "team.env", "\n".join(lines) + "\n")
        return self.manifest

    def status(self) -> dict:
        """team.json, each service with `state`: up, down, or running but not answering."""
        manifest = self._read()
        if manifest is None:
            raise TeamError(f"no team stack in {self.folder} (`team up` starts one)")
        for name, service in manifest["services"].items():
            running = processes.alive(service["pid"], service["started"])
            answers = running and commands.answers(name, service)
            service["state"] = "up" if answers else "not answering" if running else "down"
        return manifest

    def down(self) -> list[str]:
        """Stop every service still running (TERM, then KILL after a bound) with what
        each started, and return the names of those stopped. A stopped stack stays so."""
        services = (self._read() or self.manifest).get("services", {})
        running = {
            name: service
            for name, service in services.items()
            if processes.alive(service["pid"], service["started"])
        }
        # Each with everything it started, collected before any of it is stopped.
        members = {name: processes.family(running[name]["pid"]) for name in running}
        # `ray start --block` stops its head's processes in order when told to (in a few
        # seconds); told all at once, they wait on each other for half a minute. MLflow
        # and Lab are told whole: MLflow's job consumers outlive their parent.
        term = [(running["ray"]["pid"], running["ray"]["started"])] if "ray" in running else []
        term += [m for n in ("lab", "mlflow") if n in members for m in members[n]]
        clients = [m for n in CLIENTS if n in members for m in members[n]]
        processes.stop_all(clients, grace=30, term=term)
        if "postgres" in running:
            self._cluster().stop()
            processes.stop_all(members["postgres"], grace=5)  # only if `pg_ctl` failed
        temp_dir = services.get("ray", {}).get("temp_dir", "")
        if temp_dir.startswith(TEMP_PREFIX):
            shutil.rmtree(temp_dir, ignore_errors=True)  # made outside the folder: ours
        return [name for name in NAMES if name in running]

    def env(self, *, reveal: bool) -> dict[str, str]:
        """What a shell, a kernel or the CLI needs to use the stack; without `reveal`, the
        password is a shell substitution reading its file, so the text can be shown."""
        services = self.manifest["services"]
        password = (
            self.password_file.read_text().strip()
            if reveal
            else f"$(cat {shlex.quote(str(self.password_file))})"
        )
        return {
            TRACKING_URI_ENV: services["mlflow"]["url"],
            STATE_URL_ENV: _db_url(services["postgres"]["port"], STATE_DB, password),
            EXECUTOR_ENV: "ray",
            RAY_ADDRESS_ENV: services["ray"]["jobs_api"],
        }

    # Services -----------------------------------------------------------------------

    def _start_postgres(self, port: int) -> None:
        port = self._port(port)
        cluster = self._cluster()
        pid = cluster.start(port)
        self._record("postgres", pid, port=port, url=_db_url(port, "", "***"))
        cluster.create_databases(port, (STATE_DB, MLFLOW_DB))

    def _start_mlflow(self, port: int) -> subprocess.Popen:
        port, artifacts = self._port(port), self.folder / "artifacts"
        artifacts.mkdir(exist_ok=True)
        postgres = self.manifest["services"]["postgres"]["port"]
        backend = _db_url(postgres, MLFLOW_DB, self._password())
        process = self._spawn(
            "mlflow",
            commands.mlflow(self.bin_dir, artifacts, port),
            {**os.environ, "MLFLOW_BACKEND_STORE_URI": backend},
        )
        url = f"http://{HOST}:{port}"
        self._record("mlflow", process.pid, port=port, url=url, artifacts=str(artifacts))
        return process

    def _start_ray(self, port: int, dashboard: int, cpus: int, gpus: int | None):
        head = LocalHead.start(
            cpus=cpus,
            gpus=gpus,
            log=self.folder / "logs" / "ray.log",
            temp_dir=self.folder / "ray",
            port=self._port(port),
            dashboard=self._port(dashboard),
            bin_dir=self.bin_dir,
            cwd=self.root_dir,
        )
        self._record(
            "ray",
            head.process.pid,
            port=head.port,
            # Ray refuses loopback for a node: its GCS listens on the machine's address.
            gcs=f"{commands.node_ip()}:{head.port}",
            jobs_api=head.jobs_api,
            temp_dir=str(head.temp_dir),
            cpus=cpus,
            gpus="detected" if gpus is None else gpus,
        )
        return head.process

    def _start_lab(self, port: int) -> subprocess.Popen:
        port = self._port(port)
        token_file = self.folder / "secrets" / "lab-token"
        if not token_file.exists():
            _write_secret(token_file, secrets.token_urlsafe(24))
        env = self.env(reveal=True)
        settings = {
            "tracking_uri": env[TRACKING_URI_ENV],
            "state_url": env[STATE_URL_ENV],
            "executor": env[EXECUTOR_ENV],
            "ray_address": env[RAY_ADDRESS_ENV],
        }
        token = token_file.read_text().strip()
        config = commands.lab_config(port, self.root_dir, token, settings)
        config_file = self.folder / "secrets" / "jupyter_server_config.json"
        _write_secret(config_file, json.dumps(config, indent=2))
        # The variables too: MLFLOW_TRACKING_URI wins over the setting, so one left in
        # the caller's shell must not.
        argv = commands.lab(self.bin_dir, config_file)
        process = self._spawn("lab", argv, {**os.environ, **env})
        url = f"http://{HOST}:{port}/lab"
        self._record("lab", process.pid, port=port, url=url, token_file=str(token_file))
        return process

    # Helpers ------------------------------------------------------------------------

    def _prepare(self) -> None:
        try:
            for sub in ("logs", "secrets"):
                (self.folder / sub).mkdir(parents=True, exist_ok=True)
            (self.folder / "secrets").chmod(0o700)
            if os.getuid() == 0:
                # PostgreSQL runs as the postgres user there, who must reach its folder.
                self.folder.chmod(self.folder.stat().st_mode | 0o011)
        except OSError as err:
            raise TeamError(
                f"cannot keep the team stack in {self.folder}: {_reason(err)}"
            ) from None
        running = self._read()
        if running and any(
            processes.alive(s["pid"], s["started"]) for s in running["services"].values()
        ):
            raise TeamError(f"a team stack already runs in {self.folder} (`team down` first)")

    def _wait(self, pending: dict[str, subprocess.Popen]) -> None:
        """Poll until every pending service answers; raise naming one that exited or did
        not answer in time."""
        deadline = time.monotonic() + self.timeout
        while pending:
            for name, process in list(pending.items()):
                if process.poll() is not None:
                    log = self.folder / "logs" / f"{name}.log"
                    raise ServiceFailed(name, f"it exited ({_last_line(log)})")
                if commands.answers(name, self.manifest["services"][name]):
                    del pending[name]
            if pending and time.monotonic() > deadline:
                name = next(iter(pending))
                said = f"no answer after {self.timeout:.0f} s (see logs/{name}.log)"
                raise ServiceFailed(name, said)
            time.sleep(0.25)

    def _cluster(self) -> Cluster:
        log = self.folder / "logs" / "postgres.log"
        return Cluster(self.folder / "postgres", log, self._password(), self.timeout)

    def _spawn(self, name: str, argv: list[str], env: dict) -> subprocess.Popen:
        log = self.folder / "logs" / f"{name}.log"
        return processes.start(argv, env, log, cwd=self.root_dir)

    def _record(self, name: str, pid: int, **details) -> None:
        started = processes.start_time(pid)
        self.manifest["services"][name] = {"pid": pid, "started": started, **details}
        self._save()  # at once: a `down` from another shell finds what already runs

    def _port(self, port: int) -> int:
        if not port:
            return commands.free_port()
        with socket.socket() as probe:
            try:
                probe.bind((HOST, port))
            except OSError:
                raise TeamError(f"port {port} is taken") from None
        return port

    def _password(self) -> str:
        if not self.password_file.exists():
            # URL-safe characters: the password goes into URLs with no encoding.
            _write_secret(self.password_file, secrets.token_urlsafe(24))
        return self.password_file.read_text().strip()

    def _read(self) -> dict | None:
        try:
            return json.loads(self.manifest_path.read_text())
        except (OSError, ValueError):
            return None

    def _save(self) -> None:
        temporary = self.manifest_path.with_suffix(".tmp")
        temporary.write_text(json.dumps(self.manifest, indent=2))
        temporary.replace(self.manifest_path)


def _db_url(port: int, database: str, password: str) -> str:
    return f"postgresql+psycopg://{USER}:{password}@{HOST}:{port}/{database}"


def _write_secret(path: Path, text: str) -> None:
    # Created 0600 from the start: never readable by others, even for a moment.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as out:
        out.write(text)


def _last_line(log: Path) -> str:
    try:
        lines = [line for line in log.read_text(errors="replace").splitlines() if line.strip()]
    except OSError:
        return "no log"
    return redact_text(lines[-1].strip()) if lines else "nothing logged"


def _reason(err: BaseException) -> str:
    if isinstance(err, KeyboardInterrupt):
        return "interrupted"
    return redact_text(str(err) or type(err).__name__)
