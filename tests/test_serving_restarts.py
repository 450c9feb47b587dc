"""A deployment's serving process killed or stopped under a steady stream of requests:
with a warm standby no request fails, and a clean stop (SIGTERM) is restarted without
counting as a crash. Real serving processes, a real router, real signals."""

import http.client
import json
import os
import signal
import threading
import time

import pytest
from jobs_helpers import drive
from test_deployments import frame, kinds, register, status_is

from jupyter_mlops.config import resolve
from jupyter_mlops.runtime import processes
from jupyter_mlops.services import Services
from jupyter_mlops.serving import records
from jupyter_mlops.serving.supervisor import DeploymentSupervisor


@pytest.fixture(scope="module")
def services(tmp_path_factory):
    services = Services(resolve(root_dir=tmp_path_factory.mktemp("restarts-root"), environ={}))
    services.tracking.client  # noqa: B018 - our store first, as the server does
    register(services, "clf")
    yield services
    for row in records.rows(services.store):
        router = row["router"] or {}
        every = [row, row["candidate"] or {}, router, router.get("standby") or {}]
        for process in [*every, *row["retiring"]]:
            if processes.alive(process.get("pid"), process.get("pid_started")):
                processes.stop_group(process["pid"], grace=2)
    services.close()


class Load(threading.Thread):
    """Requests one after another on a keep-alive connection to the router, as a client
    would send them; every answer's status kept (or the error, when none came)."""

    def __init__(self, port: int):
        super().__init__(daemon=True)
        self.port, self.answers, self.stop = port, [], threading.Event()
        split = json.loads(frame(1).to_json(orient="split", index=False))
        self.body = json.dumps({"dataframe_split": split})

    def run(self):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        while not self.stop.is_set():
            try:
                connection.request(
                    "POST", "/invocations", self.body, {"Content-Type": "application/json"}
                )
                response = connection.getresponse()
                response.read()
                self.answers.append(response.status)
            except (OSError, http.client.HTTPException) as err:
                self.answers.append(repr(err))
                connection.close()

    def answered(self, more: int, timeout: float = 60) -> None:
        """Wait until `more` further answers came."""
        wanted, deadline = len(self.answers) + more, time.monotonic() + timeout
        while len(self.answers) < wanted:
            assert time.monotonic() < deadline and self.is_alive(), self.answers[-5:]
            time.sleep(0.01)


def standby_ready(services, name, not_pids=()):
    def check():
        row = records.get(services.store, name)
        standby = (row["router"] or {}).get("standby") or {}
        ready = row["status"] == "ready" and standby.get("ready_at")
        return row if ready and standby["pid"] not in not_pids else None

    return check


def gone(pid: int, started: str) -> bool:
    deadline = time.monotonic() + 10
    while processes.alive(pid, started):
        assert time.monotonic() < deadline, f"process {pid} still runs"
        time.sleep(0.01)
    return True


def test_a_killed_or_stopped_serving_process_fails_no_request_with_a_standby(services):
    supervisor = DeploymentSupervisor(services.config, services.store)
    services.deployments.deploy({"name": "steady", "model_uri": "models:/clf/1", "standby": True})
    first = drive(supervisor, standby_ready(services, "steady"), timeout=120)
    primary, standby = first["pid"], first["router"]["standby"]["pid"]
    assert primary != standby
    load = Load(first["router"]["port"])
    load.start()
    try:
        load.answered(50)
        # SIGKILL: the requests it held and the ones after it go to the standby, by the
        # router alone (no supervisor step yet)...
        started = processes.start_time(primary)
        os.kill(primary, signal.SIGKILL)
        assert gone(primary, started)
        killed_at = len(load.answers)
        load.answered(50)
        # ...then the supervisor makes the standby the serving process and starts another.
        second = drive(supervisor, standby_ready(services, "steady", (standby,)), timeout=120)
        assert second["pid"] == standby and second["restarts"] == 1
        load.answered(50)

        # An operator's SIGTERM: a clean stop, restarted the same way, not a crash.
        os.kill(standby, signal.SIGTERM)
        third = drive(supervisor, status_is(services, "steady", "ready", restarts=2), timeout=60)
        assert third["pid"] == second["router"]["standby"]["pid"]
        load.answered(50)
    finally:
        load.stop.set()
        load.join(30)
    assert len(load.answers) - killed_at >= 150
    failed = [answer for answer in load.answers if answer != 200]
    assert failed == []
    print([(e["kind"], e["message"][:160]) for e in services.deployments.events("steady")])
    assert kinds(services, "steady").count("crashed") == 1  # the SIGKILL only
    history = services.deployments.events("steady")
    crashed = next(e for e in history if e["kind"] == "crashed")["message"]
    assert f"standby {standby} serves in its place" in crashed
    exited = next(e for e in history if e["kind"] == "exited")["message"]
    # uvicorn ends a SIGTERM'd server with status 0 (see model_server.py).
    assert f"serving process {standby} stopped (exit status 0)" in exited
    assert kinds(services, "steady").count("standby_ready") == 2

    services.deployments.undeploy("steady")
    stopped = drive(supervisor, status_is(services, "steady", "stopped"), timeout=30)
    assert stopped["router_pid"] is None
    row = records.get(services.store, "steady")
    assert "standby" not in row["router"] and row["retiring"] == []
    for pid in (primary, standby, third["pid"], second["router"]["standby"]["pid"]):
        assert not processes.group_running(pid)


def test_a_sigterm_is_restarted_without_counting_a_crash(services):
    # A budget of one fast crash: on a process that lives seconds, SIGTERM twice would
    # fail the deployment if a clean stop counted.
    supervisor = DeploymentSupervisor(services.config, services.store, max_fast_crashes=1)
    services.deployments.deploy({"name": "calm", "model_uri": "models:/clf/1"})
    row = drive(supervisor, status_is(services, "calm", "ready"), timeout=60)
    for restarts in (1, 2):
        os.kill(row["pid"], signal.SIGTERM)
        row = drive(supervisor, status_is(services, "calm", "ready", restarts=restarts), timeout=60)
    assert records.get(services.store, "calm")["fast_crashes"] == 0
    assert kinds(services, "calm").count("exited") == 2
    assert "crashed" not in kinds(services, "calm")
    services.deployments.undeploy("calm")
    drive(supervisor, status_is(services, "calm", "stopped"), timeout=30)
