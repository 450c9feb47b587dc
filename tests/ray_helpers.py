"""A throwaway local Ray head for the tests: its own ports and temp folder, GPUs declared
(none exist here), stopped with everything it started."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class RayHead:
    address: str  # the Jobs API (the dashboard)
    process: subprocess.Popen
    temp_dir: Path

    def stop(self) -> None:
        # Jobs still running first (a test that failed before its job ended): Ray starts
        # each job's entrypoint in a session of its own, which outlives the head.
        if self.process.poll() is None:
            try:
                self.stop_jobs()
            except Exception:  # the head is going anyway; its group is killed below
                pass
        # `ray start --block` stops the head's processes when it is told to stop; the
        # group is killed after that in case one lingers. (Never `ray stop`: it would
        # stop every Ray cluster of this user on the machine.)
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(10)
        shutil.rmtree(self.temp_dir, ignore_errors=True)

    def stop_jobs(self, timeout: float = 60) -> None:
        from ray.job_submission import JobSubmissionClient

        client = JobSubmissionClient(self.address)
        running = [j.submission_id for j in client.list_jobs() if not j.status.is_terminal()]
        for submission in running:
            client.stop_job(submission)  # SIGTERM: the worker records `cancelled`
        deadline = time.monotonic() + timeout
        while running and time.monotonic() < deadline:
            running = [s for s in running if not client.get_job_status(s).is_terminal()]
            time.sleep(0.2)


def start_head(gpus: int = 1, cpus: int = 2, timeout: float = 120.0) -> RayHead:
    temp_dir = Path(tempfile.mkdtemp(prefix="ray", dir="/tmp"))  # short: unix sockets
    dashboard = free_port()
    environ = {
        **os.environ,
        # Job entrypoints run `python`: the cluster's, which is this environment's.
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "RAY_USAGE_STATS_ENABLED": "0",
    }
    process = subprocess.Popen(
        [
            str(BIN / "ray"),
            "start",
            "--head",
            "--block",
            f"--port={free_port()}",
            "--dashboard-host=127.0.0.1",
            f"--dashboard-port={dashboard}",
            # Fixed by default (10001, 52365): two heads on one machine would clash.
            f"--ray-client-server-port={free_port()}",
            f"--dashboard-agent-listen-port={free_port()}",
            f"--num-cpus={cpus}",
            f"--num-gpus={gpus}",
            f"--temp-dir={temp_dir}",
            "--disable-usage-stats",
        ],
        env=environ,
        stdout=(temp_dir / "head.log").open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    head = RayHead(f"http://127.0.0.1:{dashboard}", process, temp_dir)
    from ray.job_submission import JobSubmissionClient

    deadline = time.monotonic() + timeout
    while True:
        try:
            JobSubmissionClient(head.address).list_jobs()
            if _reported(head.address):  # its node's resources, GPUs included
                return head
        except Exception as err:  # not up yet: connection refused, 5xx while starting
            if process.poll() is not None or time.monotonic() > deadline:
                head.stop()
                log = (temp_dir / "head.log").read_text()[-3000:]
                raise RuntimeError(f"the Ray head did not start ({err}):\n{log}") from None
            time.sleep(0.5)


def _reported(address: str) -> bool:
    with urllib.request.urlopen(f"{address}/api/cluster_status", timeout=10) as answer:
        usage = json.load(answer)["data"]["clusterStatus"]["loadMetricsReport"]["usage"]
    return "CPU" in usage
