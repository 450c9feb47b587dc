"""A deployment's serving process killed under load: failed requests over the next 10 s,
with a warm standby (ours: `standby: true`) against the same deployment without one (the
anchor: today's behaviour, where the router answers 503 until the supervisor has started
a replacement and it has loaded the model).

One model for both: a scikit-learn LogisticRegression on breast_cancer (30 features),
registered in a temporary home as `models:/bc/1`. Two deployments of it run side by side,
each behind its router, supervised by a `DeploymentSupervisor` ticked every second in a
thread (as the agent ticks it). Each kill: single-row `dataframe_split` requests over 8
keep-alive connections to the deployment's router (4 with --quick) for 2 s, then SIGKILL
of its serving process and 10 s more of requests (5 s with --quick); every answer other
than a 200 (and any connection error) counts as failed. The deployments take turns (3
kills each, 1 with --quick), each waiting until it serves again (and its new standby is
ready) before the next. Also printed: the length of each outage (first to last failure),
and the resident memory of each deployment's serving processes: what a standby costs.

    python benchmarks/bench_serving_restart.py [--quick]
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path

import mlflow
from _common import parser, result, stores
from mlflow.models import infer_signature
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression

from jupyter_mlops.config import resolve
from jupyter_mlops.services import Services
from jupyter_mlops.serving import records
from jupyter_mlops.serving.supervisor import DeploymentSupervisor

WARM_SECONDS = 2.0
AFTER_KILL_SECONDS = 10.0
TARGET = 0.01  # failed share of the requests over the 10 s after the kill


def main() -> None:
    args = parser(__doc__).parse_args()
    kills, connections, window = (1, 4, 5.0) if args.quick else (3, 8, AFTER_KILL_SECONDS)
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    body = json.dumps({"dataframe_split": X.iloc[:1].to_dict(orient="split")}).encode()
    with tempfile.TemporaryDirectory() as tmp:
        services = Services(resolve(root_dir=Path(tmp), environ={}, **stores(args)))
        services.tracking.client  # noqa: B018 - the store under the home, as the server makes it
        log_model(services.config.tracking_uri, X, y)
        supervisor = DeploymentSupervisor(services.config, services.store)
        agent = Agent(supervisor)
        agent.start()
        deployed = {"ours": True, "anchor": False}
        try:
            for name, standby in deployed.items():
                services.deployments.deploy(
                    {"name": name, "model_uri": "models:/bc/1", "standby": standby}
                )
            counts = {name: [0, 0] for name in deployed}  # failed, sent
            for kill in range(kills):
                for name, standby in deployed.items():
                    row = serving(services, name, standby)
                    if kill == 0:
                        print(f"{name}: serving processes' memory {memory(row)}")
                    failed, sent, outage = asyncio.run(
                        killed_under_load(row, body, connections, window)
                    )
                    counts[name][0] += failed
                    counts[name][1] += sent
                    print(
                        f"{name} kill {kill + 1}: {failed} of {sent} requests failed in the "
                        f"{window:g} s after the kill; outage {outage:.2f} s"
                    )
        finally:
            agent.stop.set()
            agent.join(30)
            for name in deployed:
                services.deployments.undeploy(name)
            for _ in range(120):
                supervisor.tick()
                if all(r["status"] == "stopped" for r in records.rows(services.store)):
                    break
                time.sleep(0.25)
            services.close()
    ours, anchor = (failed / sent * 100 for failed, sent in counts.values())
    # ratio is anchor/ours: inf when none of ours failed.
    result(
        "serving_kill_under_load",
        ours,
        anchor,
        "%",
        f"<{TARGET:.0%}",
        ours < TARGET * 100,
    )


def log_model(tracking_uri: str, X, y) -> None:
    mlflow.set_tracking_uri(tracking_uri)
    mlflow.set_registry_uri(tracking_uri)
    model = LogisticRegression(max_iter=5000).fit(X, y)
    with mlflow.start_run():
        mlflow.sklearn.log_model(
            model,
            name="model",
            signature=infer_signature(X, model.predict(X)),
            input_example=X.iloc[:5],
            # Declared: inferring requirements runs the model in a subprocess (seconds).
            pip_requirements=["scikit-learn"],
            registered_model_name="bc",
        )


class Agent(threading.Thread):
    """The supervisor ticked every second, as the agent ticks it."""

    def __init__(self, supervisor: DeploymentSupervisor):
        super().__init__(daemon=True)
        self.supervisor, self.stop = supervisor, threading.Event()

    def run(self) -> None:
        while not self.stop.wait(1.0):
            self.supervisor.tick()


def serving(services: Services, name: str, standby: bool, timeout: float = 300) -> dict:
    """The deployment's row once it serves (and its standby is ready, if it has one)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        row = records.get(services.store, name)
        spare = (row["router"] or {}).get("standby") or {}
        if row["status"] == "ready" and (not standby or spare.get("ready_at")):
            return row
        if row["status"] == "failed":
            sys.exit(f"deployment {name} failed: {row['error']}")
        time.sleep(0.1)
    sys.exit(f"deployment {name} did not serve within {timeout:g} s")


def memory(row: dict) -> str:
    spare = (row["router"] or {}).get("standby") or {}
    pids = [pid for pid in (row["pid"], spare.get("pid")) if pid]
    return " + ".join(f"{rss_mib(pid):.0f} MiB" for pid in pids)


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def killed_under_load(row: dict, body: bytes, connections: int, window: float) -> tuple:
    """(failed, sent, outage seconds) over the `window` seconds after the kill."""
    port = row["router"]["port"]
    raw = (
        f"POST /invocations HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode() + body
    start = time.monotonic()
    killed_at = start + WARM_SECONDS
    end = killed_at + window
    answers: list[tuple[float, bool]] = []  # (when sent, whether it failed)

    async def connection():
        reader = writer = None
        while (sent := time.monotonic()) < end:
            try:
                if writer is None:
                    reader, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.write(raw)
                head = await reader.readuntil(b"\r\n\r\n")
                at = head.lower().index(b"content-length:") + len(b"content-length:")
                await reader.readexactly(int(head[at : head.index(b"\r\n", at)]))
                answers.append((sent, not head.startswith(b"HTTP/1.1 200")))
            except (OSError, asyncio.IncompleteReadError, ValueError):
                answers.append((sent, True))
                if writer is not None:
                    writer.close()
                reader = writer = None
        if writer is not None:
            writer.close()

    async def kill():
        await asyncio.sleep(WARM_SECONDS)
        os.kill(row["pid"], signal.SIGKILL)

    await asyncio.gather(kill(), *(connection() for _ in range(connections)))
    after = [failed for sent, failed in answers if sent >= killed_at]
    failures = [sent for sent, failed in answers if failed]
    outage = max(failures) - min(failures) if failures else 0.0
    return sum(after), len(after), outage


if __name__ == "__main__":
    main()
