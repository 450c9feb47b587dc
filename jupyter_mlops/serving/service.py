"""Model deployments, as every door sees them: deploy, list, get, undeploy, predict,
events. The service only records what should run; the agent's supervisor starts and
stops serving processes (see `supervisor.py`)."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING

from ..errors import Conflict, InvalidInput, NotFound
from . import endpoints, ports, spec, store

if TYPE_CHECKING:
    from ..services import Services

# Beyond the deployment's request timeout: time to connect and send the answer back.
PREDICT_MARGIN = 5.0
WAIT_POLL = 0.25
ERROR_CHARS = 1000
NO_AGENT = (
    "no agent runs on this project to start or stop serving processes: start JupyterLab "
    "with jupyter_mlops, or `jupyter mlops agent`"
)


class Deployments:
    def __init__(self, services: Services):
        self._services = services
        self.config = services.config
        self.state = services.store

    def deploy(self, body: dict) -> dict:
        """Validate, resolve the model version, then record what should serve.

        A new name starts pending. Deploying an existing name again is a rollout with the
        replace strategy: the new version starts beside the serving one and takes over
        once ready. With a fixed port both cannot listen at once, so the old one stops
        first; until the traffic router owns the public port that means a short gap.
        """
        resolved = spec.validate(body)
        model_name, version = spec.resolve_model(self._services.registry, resolved["model_uri"])
        name, host = resolved["name"], spec.serving_host()
        with store.locked(self.state, name) as (conn, row):
            taken = store.claimed_ports(conn, name)
            wanted = resolved["port"]
            if wanted is not None and wanted in taken:
                raise Conflict(f"port {wanted} is used by another deployment", field="port")
            fields = {"spec": resolved, "model_name": model_name, "model_version": version}
            said = f"version {version} of {model_name} ({resolved['model_uri']})"
            if row is None:
                port = self._port(host, wanted, taken)
                store.insert(conn, name=name, status="pending", port=port, **fields)
                store.add_event(conn, name, "deployed", f"{said} requested")
            elif row["status"] == "stopping":
                raise Conflict(f"deployment {name!r} is stopping; deploy it again once stopped")
            elif row["candidate"]:
                raise Conflict(
                    f"version {row['candidate']['model_version']} of {name!r} is being rolled "
                    "out; deploy again once it serves or has failed"
                )
            elif row["status"] in ("pending", "starting", "ready") and _same(row, fields):
                pass  # already serving or on its way: nothing to do
            elif row["status"] == "ready" and (wanted is None or wanted != row["port"]):
                port = self._port(host, wanted, taken | {row["port"]})
                candidate = {**fields, "port": port, "node": None, "pid": None}
                candidate.update(pid_started=None, host=None, started_at=None)
                store.update(conn, name, candidate=candidate)
                store.add_event(
                    conn,
                    name,
                    "deployed",
                    f"{said} requested; version {row['model_version']} serves until it is ready",
                )
            else:
                # Nothing serves yet, or the fixed port passes from one version to the next:
                # the supervisor stops a process still recorded before starting this one.
                holds = row["pid"] is not None and wanted == row["port"]
                port = wanted if holds else self._port(host, wanted, taken)
                store.update(
                    conn,
                    name,
                    status="pending",
                    port=port,
                    error=None,
                    restarts=0,
                    fast_crashes=0,
                    started_at=None,
                    ready_at=None,
                    **fields,
                )
                store.add_event(conn, name, "deployed", f"{said} requested")
        return self.get(name)

    def deployments(self) -> list[dict]:
        return [_view(row) for row in store.rows(self.state)]

    def get(self, name: str) -> dict:
        return _view(store.get(self.state, name))

    def undeploy(self, name: str) -> dict:
        """Ask the supervisor to stop the deployment's processes; the record stays, with
        its events, as `stopped`."""
        with store.locked(self.state, name) as (conn, row):
            if row is None:
                raise NotFound(f"no deployment {name!r}", field="name")
            if row["status"] in ("stopped", "stopping"):
                return _view(row)
            running = (
                row["pid"] is not None or row["retiring"] or (row["candidate"] or {}).get("pid")
            )
            status = "stopping" if running else "stopped"
            store.update(conn, name, status=status)
            store.add_event(conn, name, "undeployed", f"undeploy requested; {status}")
        return self.get(name)

    def wait(
        self,
        name: str,
        until: tuple[str, ...] = ("ready", "failed", "stopped"),
        timeout: float | None = None,
    ) -> dict:
        """Poll until the deployment reaches one of `until` (or `timeout`), then return it.
        A rollout in flight counts as not there yet."""
        if not self.agent_active():
            raise Conflict(NO_AGENT)
        current = self.get(name)
        limit = current["spec"]["startup_timeout"] + 30 if timeout is None else timeout
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            if current["status"] in until and current["candidate"] is None:
                return current
            time.sleep(WAIT_POLL)
            current = self.get(name)
        return current

    def agent_active(self) -> bool:
        """Whether an agent holds the lease: only then do deployments start and stop."""
        return self._services.status()["agent"]["state"] == "active"

    def predict(
        self, name: str, payload: dict | str | bytes, content_type: str = "application/json"
    ) -> dict:
        """The serving process's answer (`{"predictions": [...]}`) to an MLflow scoring
        payload: dataframe_split, dataframe_records, instances, inputs, or CSV text."""
        row = store.get(self.state, name)
        if row["status"] != "ready":
            why = f": {row['error']}" if row["error"] else ""
            raise Conflict(f"deployment {name!r} is {row['status']}, not ready{why}")
        if isinstance(payload, dict):
            payload = json.dumps(payload)
        body = payload.encode() if isinstance(payload, str) else payload
        timeout = row["spec"]["request_timeout"] + PREDICT_MARGIN
        try:
            status, answer = endpoints.call(
                row["host"], row["port"], "POST", "/invocations", body, content_type, timeout
            )
        except OSError as err:
            raise Conflict(
                f"the serving process of {name!r} does not answer ({err}); the agent restarts "
                "one that has crashed"
            ) from None
        if status != 200:
            raise InvalidInput(_message(answer) or f"the model server answered HTTP {status}")
        try:
            return json.loads(answer)
        except ValueError:
            raise InvalidInput("the model server's answer is not JSON") from None

    def events(self, name: str, limit: int = 200) -> list[dict]:
        """The deployment's history, newest first: deploys, starts, crashes, rollouts."""
        store.get(self.state, name)
        if not 1 <= limit <= 10_000:
            raise InvalidInput("limit must be between 1 and 10000", field="limit")
        return [
            {k: event[k] for k in ("id", "at", "kind", "message")}
            for event in store.events(self.state, name, limit)
        ]

    def _port(self, host: str, wanted: int | None, taken: set[int]) -> int:
        if wanted is None:
            return ports.pick(host, taken)
        if not ports.free(host, wanted):
            raise InvalidInput(f"port {wanted} is in use on {host}", field="port")
        return wanted


def _same(row: dict, fields: dict) -> bool:
    return all(row[key] == value for key, value in fields.items())


def _view(row: dict) -> dict:
    candidate = row["candidate"]
    serving = row["status"] in ("starting", "ready", "stopping") and row["port"] is not None
    return {
        "name": row["name"],
        "status": row["status"],
        "model_uri": row["spec"]["model_uri"],
        "model_name": row["model_name"],
        "model_version": row["model_version"],
        "strategy": row["spec"]["strategy"]["type"],
        "endpoint": endpoints.url(row["host"] or spec.serving_host(), row["port"])
        if serving
        else None,
        "host": row["host"],
        "port": row["port"],
        "pid": row["pid"],
        "restarts": row["restarts"],
        "error": row["error"],
        "spec": row["spec"],
        "candidate": None
        if candidate is None
        else {
            "model_name": candidate["model_name"],
            "model_version": candidate["model_version"],
            "port": candidate["port"],
            "status": "starting" if candidate["pid"] else "pending",
        },
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
        "started_at": row["started_at"],
        "ready_at": row["ready_at"],
    }


def _message(answer: bytes) -> str:
    """The model server's own message, without echoing a whole page back."""
    text = answer.decode(errors="replace").strip()
    try:
        parsed = json.loads(text)
    except ValueError:
        return text[:ERROR_CHARS]
    if isinstance(parsed, dict):
        for key in ("message", "error", "detail"):
            if isinstance(parsed.get(key), str):
                return parsed[key][:ERROR_CHARS]
    return text[:ERROR_CHARS]
