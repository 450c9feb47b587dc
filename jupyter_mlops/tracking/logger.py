"""A batched, asynchronous metric logger for training loops.

`log` only appends to an in-memory queue (well under 10 us a point); a background
thread writes what accumulated in large batches. `flush` waits until everything
logged before it is written, and raises if a write failed; points whose write
failed stay queued and are retried, so nothing is lost silently.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence

from ..errors import InvalidInput

log = logging.getLogger(__name__)

# (key, value, step, timestamp in ms): a plain tuple, the cheapest thing to queue.
PointRow = tuple[str, float, int, int]
Writer = Callable[[str, Sequence[PointRow]], None]

# MLflow's rule for metric names, checked once per distinct key.
_KEY = re.compile(r"^[/\w.\- :]*$")
_MAX_KEY = 250


class MetricLogger:
    def __init__(
        self,
        run_id: str,
        writer: Writer,
        *,
        interval: float = 0.2,
        max_batch: int = 50_000,
        retries: int = 5,
    ):
        self.run_id = run_id
        self._writer = writer
        self._interval = interval
        self._max_batch = max_batch
        self._retries = retries
        self._queue: deque = deque()
        self._known_keys: set[str] = set()
        self._wake = threading.Event()
        self._stop = False
        self._error: BaseException | None = None
        self._pending: list[PointRow] = []  # points of a failed write, retried first
        self._thread = threading.Thread(
            target=self._run, name=f"mlops-metrics-{run_id[:8]}", daemon=True
        )
        self._thread.start()

    def log(self, key: str, value: float, step: int = 0, timestamp: int | None = None) -> None:
        if key not in self._known_keys:
            self._check_key(key)
        self._queue.append((key, float(value), int(step), timestamp or int(time.time() * 1000)))

    def log_metrics(
        self, metrics: Mapping[str, float], step: int = 0, timestamp: int | None = None
    ) -> None:
        timestamp = timestamp or int(time.time() * 1000)
        step = int(step)
        append = self._queue.append
        known = self._known_keys
        for key, value in metrics.items():
            if key not in known:
                self._check_key(key)
            append((key, float(value), step, timestamp))

    def flush(self, timeout: float | None = 60.0) -> None:
        """Block until every point logged so far is written."""
        done = threading.Event()
        self._queue.append(done)
        self._wake.set()
        if not done.wait(timeout):
            raise TimeoutError(f"metrics of run {self.run_id} not written after {timeout}s")
        if self._error is not None:
            error, self._error = self._error, None
            raise RuntimeError(
                f"writing metrics of run {self.run_id} failed: {error}; "
                f"{len(self._pending)} points are kept and retried on the next flush"
            ) from error

    def close(self, timeout: float | None = 60.0) -> None:
        try:
            self.flush(timeout)
        finally:
            self._stop = True
            self._wake.set()
            self._thread.join(timeout)

    def _check_key(self, key: str) -> None:
        if not isinstance(key, str) or not key or len(key) > _MAX_KEY or not _KEY.match(key):
            raise InvalidInput(
                f"invalid metric name {key!r}: use up to {_MAX_KEY} letters, digits, "
                "and _ - . space / :",
                field="key",
            )
        self._known_keys.add(key)

    def _run(self) -> None:
        while True:
            self._wake.wait(self._interval)
            self._wake.clear()
            self._drain()
            if self._stop and not self._queue:
                return

    def _drain(self) -> None:
        batch = self._pending
        self._pending = []
        while True:
            try:
                item = self._queue.popleft()
            except IndexError:
                break
            if isinstance(item, threading.Event):
                # A flush marker: everything queued before it must be written first.
                self._write(batch)
                batch = []
                item.set()
                continue
            batch.append(item)
            if len(batch) >= self._max_batch:
                self._write(batch)
                batch = []
        self._write(batch)

    def _write(self, batch: list[PointRow]) -> None:
        if not batch:
            return
        if self._pending:  # an earlier write of this drain failed: keep the order
            self._pending.extend(batch)
            return
        delay = 0.05
        for attempt in range(self._retries):
            try:
                self._writer(self.run_id, batch)
                return
            except Exception as err:  # the store's errors vary (locked file, dropped link)
                if attempt == self._retries - 1:
                    log.warning("metric write for run %s failed: %s", self.run_id, err)
                    self._error = err
                    self._pending = batch
                    return
                time.sleep(delay)
                delay *= 2
