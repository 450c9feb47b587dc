"""Model deployments, as every door sees them: deploy, list, get, undeploy, predict,
events. The service only records what should run; the agent's supervisor starts and
stops serving processes (see `supervisor.py`)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from ..config import MLOpsConfig
from ..errors import Conflict, InvalidInput, NotFound
from ..runtime.gpus import GpuInventory
from ..store import StateStore
from ..store import lease as leases
from . import endpoints, ports, records, spec, traffic
from .records import DeploymentStatus

if TYPE_CHECKING:
    from ..registry.service import Registry

# Beyond the deployment's request timeout: time to connect and send the answer back.
PREDICT_MARGIN = 5.0
WAIT_POLL = 0.25
ERROR_CHARS = 1000
NO_AGENT = (
    "no agent runs on this project to start or stop serving processes: start JupyterLab "
    "with jupyter_mlops, or `jupyter mlops agent`"
)


class Deployments:
    def __init__(
        self,
        config: MLOpsConfig,
        state: StateStore,
        registry: Registry,
        gpus: GpuInventory,
        check_trigger: Callable[[dict | None], dict | None],
    ):
        self.config = config
        self.state = state
        self.registry = registry
        self.gpus = gpus
        # A spec's retraining trigger with its defaults, its job known to exist (the
        # retraining rules, which know jobs; serving does not).
        self.check_trigger = check_trigger

    def deploy(self, body: dict) -> dict:
        """Validate, resolve the model version, then record what should serve.

        A new name starts pending, its router on the public port. Deploying an existing
        name again rolls the new version out beside the serving one by the spec's
        strategy: it takes over once ready (replace), or takes a share of the traffic
        (canary, shadow, blue/green) until promoted or rolled back.
        """
        resolved = spec.validate(body)
        spec.check_reference(self.config, resolved["monitor"].get("reference"))
        if resolved["resources"].get("gpus"):
            spec.check_gpus(resolved, self.gpus.ids())
        resolved["trigger"] = self.check_trigger(resolved["trigger"])
        model_name, version = spec.resolve_model(self.registry, resolved["model_uri"])
        name, host = resolved["name"], spec.serving_host()
        with records.locked(self.state, name) as (conn, row):
            taken = records.claimed_ports(conn, name)
            wanted = resolved["port"]
            if wanted is not None and wanted in taken:
                raise Conflict(f"port {wanted} is used by another deployment", field="port")
            fields = {"spec": resolved, "model_name": model_name, "model_version": version}
            said = f"version {version} of {model_name} ({resolved['model_uri']})"
            public = (row or {}).get("router") or {}
            if row is not None and wanted not in (None, public.get("port")):
                if row["status"] not in (DeploymentStatus.STOPPED, DeploymentStatus.FAILED):
                    raise Conflict(
                        f"deployment {name!r} listens on port {public.get('port')}; undeploy "
                        "it to move it to another port",
                        field="port",
                    )
                public = {}
            if not public.get("pid") and (wanted is not None or not public.get("port")):
                # Nothing listens for it yet: take the asked-for port, or a free one.
                public = {"port": self._port(host, wanted, taken), "host": host}
            if row is None:
                records.insert(
                    conn, name=name, status=DeploymentStatus.PENDING, router=public, **fields
                )
                records.add_event(conn, name, "deployed", f"{said} requested")
            elif row["status"] == DeploymentStatus.STOPPING:
                raise Conflict(f"deployment {name!r} is stopping; deploy it again once stopped")
            elif row["candidate"]:
                raise Conflict(
                    f"version {row['candidate']['model_version']} of {name!r} is being rolled "
                    "out; promote or roll it back first"
                )
            elif row["status"] in records.LIVE and _same(row, fields):
                pass  # already serving or on its way: nothing to do
            elif row["status"] == DeploymentStatus.READY:
                candidate = {**fields, "port": None, "node": None, "pid": None}
                candidate.update(pid_started=None, host=None, started_at=None, ready_at=None)
                records.update(conn, name, candidate=candidate)
                records.add_event(
                    conn,
                    name,
                    "deployed",
                    f"{said} requested ({resolved['strategy']['type']}); version "
                    f"{row['model_version']} serves until it is ready",
                )
            else:
                # Nothing serves yet: the supervisor stops a process still recorded before
                # starting this one.
                records.update(
                    conn,
                    name,
                    status=DeploymentStatus.PENDING,
                    router=public,
                    error=None,
                    restarts=0,
                    fast_crashes=0,
                    started_at=None,
                    ready_at=None,
                    **fields,
                )
                records.add_event(conn, name, "deployed", f"{said} requested")
        return self.get(name)

    def promote(self, name: str) -> dict:
        """The candidate serves every request; the old version stops."""
        return self._decide(name, "promote")

    def rollback(self, name: str) -> dict:
        """The candidate is dropped; the serving version takes every request again."""
        return self._decide(name, "rollback")

    def _decide(self, name: str, action: str) -> dict:
        with records.locked(self.state, name) as (conn, row):
            if row is None:
                raise NotFound(f"no deployment {name!r}", field="name")
            candidate = row["candidate"]
            if not candidate:
                raise Conflict(f"deployment {name!r} has no new version to {action}")
            if action == "promote" and row["status"] != DeploymentStatus.READY:
                raise Conflict(f"deployment {name!r} is {row['status']}; nothing to promote over")
            records.update(conn, name, candidate={**candidate, "action": action})
            records.add_event(
                conn,
                name,
                f"{action}_requested",
                f"{action} of version {candidate['model_version']}",
            )
        return self.get(name)

    def metrics(self, name: str) -> dict:
        """Requests, rate, errors and p50/p99 latency per version over the last minute,
        as the deployment's router counted them."""
        row = records.get(self.state, name)
        router = row["router"] or {}
        counted = None
        if row["status"] in records.SERVING and router.get("pid"):
            counted = traffic.stats(router["host"], router["port"])
        return {"deployment": name, **traffic.metrics(row, counted)}

    def deployments(self) -> list[dict]:
        return [_view(row) for row in records.rows(self.state)]

    def get(self, name: str) -> dict:
        return _view(records.get(self.state, name))

    def undeploy(self, name: str) -> dict:
        """Ask the supervisor to stop the deployment's processes; the record stays, with
        its events, as `stopped`."""
        with records.locked(self.state, name) as (conn, row):
            if row is None:
                raise NotFound(f"no deployment {name!r}", field="name")
            if row["status"] in (DeploymentStatus.STOPPED, DeploymentStatus.STOPPING):
                return _view(row)
            running = (
                row["pid"] is not None
                or row["retiring"]
                or (row["candidate"] or {}).get("pid")
                or (row["router"] or {}).get("pid")
                or ((row["router"] or {}).get("standby") or {}).get("pid")
            )
            status = DeploymentStatus.STOPPING if running else DeploymentStatus.STOPPED
            records.update(conn, name, status=status)
            records.add_event(conn, name, "undeployed", f"undeploy requested; {status}")
        return self.get(name)

    def wait(
        self,
        name: str,
        until: tuple[str, ...] = records.SETTLED,
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
        return leases.active(self.state)

    def predict(
        self, name: str, payload: dict | str | bytes, content_type: str = "application/json"
    ) -> dict:
        """The serving process's answer (`{"predictions": [...]}`) to an MLflow scoring
        payload: dataframe_split, dataframe_records, instances, inputs, or CSV text."""
        row = records.get(self.state, name)
        if row["status"] != DeploymentStatus.READY:
            why = f": {row['error']}" if row["error"] else ""
            raise Conflict(f"deployment {name!r} is {row['status']}, not ready{why}")
        if isinstance(payload, dict):
            payload = json.dumps(payload)
        body = payload.encode() if isinstance(payload, str) else payload
        timeout = row["spec"]["request_timeout"] + PREDICT_MARGIN
        router = row["router"] or {}
        try:
            status, answer = endpoints.call(
                router.get("host") or spec.serving_host(),
                router["port"],
                "POST",
                "/invocations",
                body,
                content_type,
                timeout,
            )
        except OSError as err:
            raise Conflict(
                f"the router of {name!r} does not answer ({err}); the agent restarts one that "
                "has crashed"
            ) from None
        if status != 200:
            raise InvalidInput(_message(answer) or f"the model server answered HTTP {status}")
        try:
            return json.loads(answer)
        except ValueError:
            raise InvalidInput("the model server's answer is not JSON") from None

    def events(self, name: str, limit: int = 200) -> list[dict]:
        """The deployment's history, newest first: deploys, starts, crashes, rollouts."""
        records.get(self.state, name)
        if not 1 <= limit <= 10_000:
            raise InvalidInput("limit must be between 1 and 10000", field="limit")
        return [
            {k: event[k] for k in ("id", "at", "kind", "message")}
            for event in records.events(self.state, name, limit)
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
    router = row["router"] or {}
    # Its router answers while it starts, serves, and answers what it holds at undeploy.
    answering = (*records.SERVING, DeploymentStatus.STOPPING)
    serving = row["status"] in answering and router.get("pid")
    return {
        "name": row["name"],
        "status": row["status"],
        "model_uri": row["spec"]["model_uri"],
        "model_name": row["model_name"],
        "model_version": row["model_version"],
        # The strategy in effect: the rollout's while a candidate is out, else one version
        # takes all ("replace"). The row's own spec would say "replace" during a canary
        # and "canary" once the canary was promoted.
        "strategy": candidate["spec"]["strategy"]["type"] if candidate else "replace",
        "endpoint": endpoints.url(router.get("host") or spec.serving_host(), router["port"])
        if serving
        else None,
        "host": router.get("host"),
        "port": router.get("port"),
        "pid": row["pid"],
        "router_pid": router.get("pid"),
        "restarts": row["restarts"],
        "error": row["error"],
        "spec": row["spec"],
        "traffic": traffic.traffic(row),
        "candidate": None
        if candidate is None
        else {
            "model_name": candidate["model_name"],
            "model_version": candidate["model_version"],
            "strategy": candidate["spec"]["strategy"]["type"],
            "status": DeploymentStatus.READY
            if candidate.get("ready_at")
            else DeploymentStatus.STARTING
            if candidate["pid"]
            else DeploymentStatus.PENDING,
            "action": candidate.get("action"),
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
