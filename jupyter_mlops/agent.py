"""The agent: the one loop that acts on a state DB.

Its workers (the job scheduler, the deployment supervisor, the retraining watcher) are
built by the composition root (`Services.agent_workers`). It is hosted by the Jupyter
server extension, or runs headless as `jupyter mlops agent`; either way it only acts
while it holds the lease, so two Lab servers on one home never both start the same job.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
import uuid
from collections.abc import Callable, Sequence
from typing import Protocol

from .store import StateStore
from .store import lease as leases

log = logging.getLogger(__name__)


class Worker(Protocol):
    """A duty of the agent, run only by the lease holder."""

    name: str

    def reconcile(self) -> None:
        """Called each time this agent takes the lease: repair what a dead one left."""

    def tick(self) -> None:
        """Called every interval while this agent holds the lease."""

    def close(self) -> None:
        """Called when this agent stops leading: let go of what only a leader keeps."""


class Agent:
    def __init__(
        self,
        store: StateStore,
        workers: Sequence[Worker] = (),
        *,
        lease_seconds: float = 15.0,
        interval: float = 1.0,
        clock: Callable[[], float] = time.time,
    ):
        if lease_seconds <= interval:
            # A lease shorter than the renewal interval would lapse between renewals.
            raise ValueError("lease_seconds must be longer than interval")
        self.store = store
        self.workers = list(workers)
        self.lease_seconds = lease_seconds
        self.interval = interval
        self.clock = clock
        self.host = socket.gethostname()
        self.pid = os.getpid()
        self.holder = f"{self.host}:{self.pid}:{uuid.uuid4().hex[:8]}"
        self.leader = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._woken: asyncio.Event | None = None

    def wake(self) -> None:
        """Step now rather than at the end of the interval: a door of this process just
        queued or cancelled work. Safe from any thread; a no-op until `run` starts."""
        if self._loop is not None and self._woken is not None:
            self._loop.call_soon_threadsafe(self._woken.set)

    def step(self) -> bool:
        """Take or renew the lease, then run the workers if this agent leads. Blocking."""
        with self.store.begin() as conn:
            held = leases.acquire(
                conn,
                self.holder,
                host=self.host,
                pid=self.pid,
                now=self.clock(),
                ttl=self.lease_seconds,
            )
        if held and not self.leader:
            log.info("agent %s took the lease", self.holder)
            self._each_worker("reconcile")
        elif self.leader and not held:
            log.warning("agent %s lost the lease; standing by", self.holder)
            self._each_worker("close")
        self.leader = held
        if held:
            self._each_worker("tick")
        return held

    def release(self) -> None:
        if self.leader:
            self._each_worker("close")
        with self.store.begin() as conn:
            leases.release(conn, self.holder)
        self.leader = False

    async def run(self, stop: asyncio.Event) -> None:
        """Step every interval until `stop` is set, then hand the lease back."""
        await asyncio.to_thread(self.store.migrate)
        self._loop, self._woken = asyncio.get_running_loop(), asyncio.Event()
        try:
            while not stop.is_set():
                self._woken.clear()
                try:
                    await asyncio.to_thread(self.step)
                except Exception:
                    # A DB hiccup (locked file, dropped connection) must not end the
                    # agent; the lease simply lapses if it keeps failing.
                    log.exception("agent step failed")
                await _first(stop, self._woken, timeout=self.interval)
        finally:
            self._loop = None
            try:
                await asyncio.to_thread(self.release)
            except Exception:
                log.exception("agent could not release its lease; it lapses on its own")

    def _each_worker(self, method: str) -> None:
        for worker in self.workers:
            try:
                getattr(worker, method)()
            except Exception:
                # One failing duty must not stop the others.
                log.exception("agent worker %s.%s failed", worker.name, method)


async def _first(*events: asyncio.Event, timeout: float) -> None:
    """Wait until one of `events` is set, or `timeout` seconds."""
    waits = [asyncio.create_task(event.wait()) for event in events]
    try:
        await asyncio.wait(waits, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for wait in waits:
            wait.cancel()
