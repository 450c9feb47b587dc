"""A local Ray head (`ray start --head --block`) on ports of its own: the team stack's, and
the throwaway one the tests and benchmarks start. Never `ray stop`, which would stop
every Ray cluster of this user on the machine."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from ..runtime import processes
from . import commands
from .commands import BIN, HOST
from .errors import TeamError

# Ray puts unix sockets 60 characters deep in its temp dir; their paths may be 107 long.
LONGEST_TEMP_DIR = 40
TEMP_PREFIX = "/tmp/mlops-ray-"  # a temp dir made for a head (short, whatever TMPDIR says)


@dataclass
class LocalHead:
    process: subprocess.Popen
    port: int  # Ray's GCS, where the workers of other machines would join
    jobs_api: str  # the dashboard's URL: the Jobs API and the cluster's status
    temp_dir: Path
    log: Path
    owns_temp_dir: bool  # made for this head (removed with it)

    @classmethod
    def start(
        cls,
        *,
        cpus: int,
        gpus: int | None,
        log: Path | None = None,
        temp_dir: Path | None = None,
        port: int = 0,
        dashboard: int = 0,
        bin_dir: Path = BIN,
        cwd: Path | None = None,
    ) -> LocalHead:
        """Start the head and return at once (`ready()` says when it takes jobs). `gpus`
        None lets Ray detect them; a number declares them, also where none exist."""
        owns = temp_dir is None or len(str(temp_dir)) > LONGEST_TEMP_DIR
        if owns:
            temp_dir = Path(tempfile.mkdtemp(prefix=Path(TEMP_PREFIX).name, dir="/tmp"))
        log = log or temp_dir / "head.log"
        port, dashboard = port or commands.free_port(), dashboard or commands.free_port()
        argv = commands.ray(bin_dir, port, dashboard, cpus, gpus, temp_dir)
        process = processes.start(argv, commands.ray_env(bin_dir), log, cwd=cwd or temp_dir)
        return cls(process, port, f"http://{HOST}:{dashboard}", temp_dir, log, owns)

    def ready(self) -> bool:
        """The dashboard answers and the head's node has registered its resources."""
        return commands.answers("ray", {"jobs_api": self.jobs_api})

    def wait(self, timeout: float = 180.0) -> LocalHead:
        """Poll until the head takes jobs; stop it and raise TeamError, with the end of
        its log, if it exits or does not answer in time."""
        deadline = time.monotonic() + timeout
        while not self.ready():
            if self.process.poll() is not None or time.monotonic() > deadline:
                tail = self.log.read_text(errors="replace")[-3000:]
                self.stop()
                raise TeamError(f"the Ray head did not start:\n{tail}")
            time.sleep(0.25)
        return self

    def stop_jobs(self, timeout: float = 60.0) -> None:
        """Stop the jobs still running: Ray starts each job's entrypoint in a session of
        its own, which would outlive the head."""
        from ray.job_submission import JobSubmissionClient

        client = JobSubmissionClient(self.jobs_api)
        running = [j.submission_id for j in client.list_jobs() if not j.status.is_terminal()]
        for submission in running:
            client.stop_job(submission)  # SIGTERM: our worker records `cancelled`
        deadline = time.monotonic() + timeout
        while running and time.monotonic() < deadline:
            running = [s for s in running if not client.get_job_status(s).is_terminal()]
            time.sleep(0.2)

    def stop(self) -> None:
        """Stop the jobs, then the head with everything it started, and remove its temp
        dir if it made one."""
        if self.process.poll() is None:
            try:
                self.stop_jobs()
            except Exception:  # the head is going anyway; all it started is killed below
                pass
        head = (self.process.pid, processes.start_time(self.process.pid))
        members = processes.family(self.process.pid)
        # Told alone, `ray start --block` stops its processes in order in a few seconds;
        # told all at once, they wait on each other for half a minute.
        processes.stop_all(members, grace=30, term=[head] if head[1] else [])
        self.process.wait(10)
        if self.owns_temp_dir:
            shutil.rmtree(self.temp_dir, ignore_errors=True)
