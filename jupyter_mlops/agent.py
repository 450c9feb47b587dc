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

from .errors import StoreUnavailable
from .store import StateStore, failures
from .store import lease as leases

log = logging.getLogger(__name__)
# While the state store is unusable the agent tries again after 1, 2, 4 ... seconds,
# at most this many: soon after it is fixed, without a busy loop meanwhile.
MAX_BACKOFF = 30.0


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
    """`store` and `workers` may be given as functions that build them: the agent then
    builds them once the store is usable, so an agent started on a full disk or an
    unwritable state DB waits for it instead of exiting."""

    def __init__(
        self,
        store: StateStore | Callable[[], StateStore],
        workers: Sequence[Worker] | Callable[[], Sequence[Worker]] = (),
        *,
        lease_seconds: float = 15.0,
        interval: float = 1.0,
        clock: Callable[[], float] = time.time,
    ):
        if lease_seconds <= interval:
            # A lease shorter than the renewal interval would lapse between renewals.
            raise ValueError("lease_seconds must be longer than interval")
        self._build_store = store if callable(store) else None
        self._build_workers = workers if callable(workers) else None
        self.store: StateStore | None = None if callable(store) else store
        self.workers: list[Worker] = [] if callable(workers) else list(workers)
        self._migrated = False
        # The reason the store is unusable, None while it works: logged when it changes.
        self.store_problem: str | None = None
        self._failures = 0
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
        self.leader = False
        if self.store is not None:
            with self.store.begin() as conn:
                leases.release(conn, self.holder)

    def start(self) -> None:
        """Build and migrate the store, then the workers; again at the next step if a
        store error stopped it. Blocking."""
        try:
            if self.store is None:
                self.store = self._build_store()
            if not self._migrated:
                self.store.migrate()
                self._migrated = True
            if self._build_workers is not None:
                self.workers = list(self._build_workers())
                self._build_workers = None
        except OSError as err:  # the home's folder itself: full, read-only, gone
            url = self.store.url if self.store is not None else "the state DB"
            raise failures.unavailable(err, url) from err

    def attempt(self) -> float:
        """One step (starting first if need be); seconds until the next one. A store
        failure is logged when it starts and when it ends, not at each retry, and the
        retries back off; anything else is logged as the bug it is."""
        try:
            self.start()
            self.step()
        except StoreUnavailable as err:
            self._failures += 1
            if err.reason != self.store_problem:
                log.error("state store unusable: %s; retrying until it is usable", err.reason)
                self.store_problem = err.reason
            return min(MAX_BACKOFF, self.interval * 2 ** (self._failures - 1))
        except Exception:
            # Not the store: a bug, logged in full; the lease lapses if it keeps failing.
            log.exception("agent step failed")
            return self.interval
        if self.store_problem is not None:
            log.info("state store usable again")
            self.store_problem = None
        self._failures = 0
        return self.interval

    async def run(self, stop: asyncio.Event) -> None:
        """Step every interval until `stop` is set, then hand the lease back."""
        self._loop, self._woken = asyncio.get_running_loop(), asyncio.Event()
        try:
            while not stop.is_set():
                self._woken.clear()
                wait = await asyncio.to_thread(self.attempt)
                # A wake (work just queued) cuts a backoff short as well.
                await _first(stop, self._woken, timeout=wait)
        finally:
            self._loop = None
            try:
                await asyncio.to_thread(self.release)
            except StoreUnavailable as err:
                log.warning("agent could not release its lease (%s); it lapses", err.reason)
            except Exception:
                log.exception("agent could not release its lease; it lapses on its own")

    def _each_worker(self, method: str) -> None:
        for worker in self.workers:
            try:
                getattr(worker, method)()
            except StoreUnavailable:
                raise  # the agent's own retry reports it, once
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
