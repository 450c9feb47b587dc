"""The traffic router: a deployment's public port, in front of its serving processes.

    python -m jupyter_mlops.serving.router_server --routes PATH --host H --port P [--timeout S]

It reads its route table (JSON, written by the agent's supervisor; see traffic.py) at
start and whenever the file changes (looked at before each request). Each
`/invocations` request goes to one serving process drawn by weight (canary; a weight
of 100 is a switch) and is copied to a shadow one, whose answer is dropped. Answers
carry `X-Request-Id` (the client's, or a new one: labels are posted later by it) and
`X-Model-Version`. A serving process that refuses the connection (it is stopping as
the table changes) or drops it before answering (killed) costs a retry, not the request:
on another routed process if there is one, else at once on the deployment's warm
standby (role `standby`, weight 0: it gets nothing else), else after a moment on the
table as the supervisor rewrites it. `GET /mlops/router/stats` counts
requests, errors and latency per version over the last minute: the supervisor's
rollback budget and the Deployments panel read it.

The router parses only what it must (h11 on the backend side, uvicorn on the client
side) and holds keep-alive connections to each serving process: the hop costs a fraction
of a small model's prediction. SIGTERM: no new connections, in-flight requests answered.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import random
import re
import sys
import time
import uuid
from collections import deque
from pathlib import Path

import h11
import uvicorn

log = logging.getLogger(__name__)

STATS_PATH = "/mlops/router/stats"
WINDOW = 60.0  # seconds of requests the stats describe
# Attempts on serving processes that refuse the connection, 0.1 s apart: long enough
# for a new route table to be read (every RELOAD_EVERY) when the old process stops.
RETRIES = 6
RELOAD_EVERY = 0.1
# Serving processes (uvicorn) close a connection idle for 5 s; older ones are not reused.
IDLE_SECONDS = 4.0
SHADOW_LIMIT = 32  # copies in flight at once; more are dropped, never queued
STANDBY = "standby"  # the role of a warm spare in the route table
# A serving process marks an answer whose model raised (a 400, as MLflow's server gives)
# with this header: the candidate's error rate counts those, not callers' bad payloads.
MODEL_ERROR = b"x-mlops-model-error"
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_PASSED = {b"content-type", b"accept", b"content-encoding"}


class Backend:
    """A serving process on loopback, with idle keep-alive connections to it."""

    def __init__(self, version: str, port: int, weight: float, shadow: bool, role: str):
        self.version, self.port, self.weight = version, port, weight
        self.shadow, self.role = shadow, role
        self._idle: list[tuple] = []  # (reader, writer, h11 connection, idle since)

    async def send(self, body: bytes, headers: list, timeout: float):
        """(status, headers, body) of the serving process's answer. ConnectionError when
        nothing was answered (safe to try elsewhere), TimeoutError after `timeout`."""
        headers = [*headers, (b"content-length", str(len(body)).encode())]
        connection = self._idle_connection()
        if connection is not None:
            try:
                return await self._exchange(connection, body, headers, timeout)
            except ConnectionError:
                pass  # closed by the other side while idle: a fresh one, as HTTP clients do
        return await self._exchange(await self._open(), body, headers, timeout)

    def _idle_connection(self):
        now = time.monotonic()
        while self._idle:
            reader, writer, conn, since = self._idle.pop()
            if now - since < IDLE_SECONDS and not writer.is_closing():
                return reader, writer, conn
            writer.close()
        return None

    async def _exchange(self, connection, body: bytes, headers: list, timeout: float):
        reader, writer, conn = connection
        try:
            writer.write(
                conn.send(h11.Request(method="POST", target="/invocations", headers=headers))
                + conn.send(h11.Data(data=body))
                + conn.send(h11.EndOfMessage())
            )
            answer = await asyncio.wait_for(_response(reader, conn), timeout)
        except (ConnectionError, h11.ProtocolError, asyncio.IncompleteReadError) as err:
            writer.close()
            raise ConnectionError(f"version {self.version}: {err}") from None
        except BaseException:
            writer.close()
            raise
        if conn.our_state is h11.DONE and conn.their_state is h11.DONE:
            conn.start_next_cycle()
            self._idle.append((reader, writer, conn, time.monotonic()))
        else:
            writer.close()
        return answer

    async def _open(self):
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        return reader, writer, h11.Connection(h11.CLIENT)

    def close(self) -> None:
        for _, writer, _, _ in self._idle:
            writer.close()
        self._idle.clear()


async def _response(reader: asyncio.StreamReader, conn: h11.Connection):
    status, headers, parts = None, [], []
    while True:
        event = conn.next_event()
        if event is h11.NEED_DATA:
            conn.receive_data(await reader.read(65536))
        elif isinstance(event, h11.Response):
            status, headers = event.status_code, event.headers
        elif isinstance(event, h11.Data):
            parts.append(bytes(event.data))
        elif isinstance(event, h11.EndOfMessage):
            return status, headers, b"".join(parts)
        elif isinstance(event, h11.ConnectionClosed):
            raise ConnectionError("the serving process closed the connection")


class Stats:
    """Per version: (time, latency, error) of the requests of the last WINDOW seconds."""

    def __init__(self):
        self.started = time.monotonic()
        self.requests: dict[str, deque] = {}
        self.shadow_dropped = 0

    def add(self, version: str, latency_ms: float, error: bool) -> None:
        self.requests.setdefault(version, deque()).append((time.monotonic(), latency_ms, error))

    def summary(self) -> dict:
        now = time.monotonic()
        window = min(WINDOW, max(now - self.started, 1.0))
        versions = {}
        for version, rows in self.requests.items():
            while rows and rows[0][0] < now - WINDOW:
                rows.popleft()
            latencies = sorted(row[1] for row in rows)
            errors = sum(row[2] for row in rows)
            versions[version] = {
                "requests": len(rows),
                "rate": len(rows) / window,
                "errors": errors,
                "error_rate": errors / len(rows) if rows else 0.0,
                "p50_ms": _quantile(latencies, 0.50),
                "p99_ms": _quantile(latencies, 0.99),
            }
        return {"window_seconds": window, "versions": versions}


def _quantile(ordered: list[float], q: float) -> float | None:
    if not ordered:
        return None
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class Router:
    """The ASGI application."""

    def __init__(self, routes: Path, timeout: float):
        self.routes_path = routes
        self.timeout = timeout
        self.generation = -1
        self.backends: list[Backend] = []
        self.stats = Stats()
        self._shadows: set[asyncio.Task] = set()
        self._seen = _mtime(routes)
        self.reload()

    def reload(self) -> None:
        """Read the route table; a table that cannot be read leaves the current one."""
        try:
            table = json.loads(self.routes_path.read_text())
            backends = [
                Backend(
                    str(b["version"]),
                    int(b["port"]),
                    float(b["weight"]),
                    bool(b.get("shadow")),
                    str(b.get("role", "stable")),
                )
                for b in table["backends"]
            ]
        except (OSError, ValueError, KeyError, TypeError) as err:
            log.error("route table %s not loaded: %s", self.routes_path, err)
            return
        kept = {(b.port, b.version): b for b in self.backends}
        for backend in backends:  # keep the warm connections of processes still routed to
            old = kept.pop((backend.port, backend.version), None)
            if old is not None:
                backend._idle = old._idle
        for old in kept.values():
            old.close()
        self.backends = backends
        self.generation = int(table.get("generation", 0))
        routed = ", ".join(f"{b.version}:{b.weight:g}{' shadow' * b.shadow}" for b in backends)
        log.info("routes %d: %s", self.generation, routed or "none")

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "lifespan":
            return await self._lifespan(receive, send)
        path, method = scope["path"], scope["method"]
        if path == "/invocations" and method == "POST":
            return await self._invocations(scope, receive, send)
        if path in ("/health", "/ping") and method == "GET":
            return await _json(send, 200, {"status": "ok"})
        if path == "/ready" and method == "GET":
            ready = any(b.weight > 0 for b in self.backends)
            body = {"ready": ready, "versions": [b.version for b in self.backends]}
            return await _json(send, 200 if ready else 503, body)
        if path == STATS_PATH and method == "GET":
            summary = self.stats.summary()
            summary.update(generation=self.generation, shadow_dropped=self.stats.shadow_dropped)
            summary["routes"] = [
                {"version": b.version, "role": b.role, "weight": b.weight, "shadow": b.shadow}
                for b in self.backends
            ]
            return await _json(send, 200, summary)
        await _json(send, 404, {"code": "not_found", "message": f"no route {method} {path}"})

    async def _invocations(self, scope, receive, send) -> None:
        # A stat per request (microseconds): a promote or rollback applies from the very
        # next request after the supervisor wrote it, not a polling period later.
        self._reload_if_changed()
        body = await _body(receive)
        given = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = given if _REQUEST_ID.match(given) else uuid.uuid4().hex
        headers = [(k, v) for k, v in scope["headers"] if k in _PASSED]
        headers += [(b"host", b"127.0.0.1"), (b"x-request-id", request_id.encode())]
        for shadow in (b for b in self.backends if b.shadow):
            self._copy(shadow, body, [*headers, (b"x-mlops-shadow", b"1")])
        tried: set[int] = set()
        for attempt in range(RETRIES):
            backend = self._pick(tried)
            if attempt and (backend is None or backend.port in tried):
                # Nothing routed, or every process refused: the table may have changed
                # since the last look (a version became ready, or stopped); else give it
                # a moment to. A process not tried yet (the standby) is tried at once.
                if not self._reload_if_changed():
                    await asyncio.sleep(RELOAD_EVERY)
                backend = self._pick(tried)
            if backend is None:
                continue
            start = time.perf_counter()
            try:
                status, answer_headers, answer = await backend.send(body, headers, self.timeout)
            except ConnectionError:
                tried.add(backend.port)
                self.stats.add(backend.version, (time.perf_counter() - start) * 1000, True)
                continue
            except TimeoutError:
                self.stats.add(backend.version, self.timeout * 1000, True)
                message = f"version {backend.version} did not answer in {self.timeout:g} s"
                return await _json(send, 504, {"code": "timeout", "message": message}, request_id)
            failed = status >= 500 or any(k == MODEL_ERROR for k, _ in answer_headers)
            self.stats.add(backend.version, (time.perf_counter() - start) * 1000, failed)
            passed = [(k, v) for k, v in answer_headers if k.lower() in _PASSED]
            passed += [(b"x-request-id", request_id.encode())]
            passed += [(b"x-model-version", backend.version.encode())]
            passed += [(b"content-length", str(len(answer)).encode())]
            await send({"type": "http.response.start", "status": status, "headers": passed})
            await send({"type": "http.response.body", "body": answer})
            return
        message = "no serving process of this deployment answers; the agent restarts them"
        await _json(send, 503, {"code": "unavailable", "message": message}, request_id)

    def _pick(self, refused: set[int]) -> Backend | None:
        """A routed serving process drawn by weight, one that has not refused this request
        if there is one, else the standby if it has not."""
        routed = [b for b in self.backends if b.weight > 0]
        left = [b for b in routed if b.port not in refused]
        if routed and not left:
            spare = [b for b in self.backends if b.role == STANDBY and b.port not in refused]
            if spare:
                return spare[0]
        routed = left or routed
        draw = random.random() * sum(b.weight for b in routed)
        for backend in routed:
            draw -= backend.weight
            if draw < 0:
                return backend
        return routed[-1] if routed else None

    def _copy(self, backend: Backend, body: bytes, headers: list) -> None:
        if len(self._shadows) >= SHADOW_LIMIT:
            self.stats.shadow_dropped += 1
            return
        task = asyncio.create_task(self._shadow(backend, body, headers))
        self._shadows.add(task)
        task.add_done_callback(self._shadows.discard)

    async def _shadow(self, backend: Backend, body: bytes, headers: list) -> None:
        start = time.perf_counter()
        try:
            status, answer_headers, _ = await backend.send(body, headers, self.timeout)
            error = status >= 500 or any(k == MODEL_ERROR for k, _ in answer_headers)
        except (ConnectionError, TimeoutError):
            error = True
        self.stats.add(backend.version, (time.perf_counter() - start) * 1000, error)

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(RELOAD_EVERY)
            self._reload_if_changed()

    def _reload_if_changed(self) -> bool:
        """Reload the table if its file changed (it is replaced whole, never edited)."""
        changed = _mtime(self.routes_path)
        if changed == self._seen:
            return False
        self._seen = changed
        self.reload()
        return True

    async def _lifespan(self, receive, send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                watching = asyncio.create_task(self._watch())
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                watching.cancel()
                if self._shadows:
                    await asyncio.wait(self._shadows, timeout=self.timeout)
                for backend in self.backends:
                    backend.close()
                await send({"type": "lifespan.shutdown.complete"})
                return


def _mtime(path: Path) -> int | None:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return None


async def _body(receive) -> bytes:
    parts = []
    while True:
        message = await receive()
        parts.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(parts)


async def _json(send, status: int, body: dict, request_id: str | None = None) -> None:
    encoded = json.dumps(body).encode()
    headers = [(b"content-type", b"application/json")]
    headers.append((b"content-length", str(len(encoded)).encode()))
    if request_id is not None:
        headers.append((b"x-request-id", request_id.encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": encoded})


class _Server(uvicorn.Server):
    def handle_exit(self, sig, frame) -> None:
        super().handle_exit(sig, frame)
        # uvicorn re-raises the signal it stopped on; a graceful stop is a normal exit.
        getattr(self, "_captured_signals", []).clear()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m jupyter_mlops.serving.router_server",
        description="Route a deployment's requests to its serving processes.",
    )
    parser.add_argument("--routes", type=Path, required=True, help="the route table (JSON)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--timeout", type=float, default=35.0, help="seconds per request")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    config = uvicorn.Config(
        Router(args.routes, args.timeout),
        host=args.host,
        port=args.port,
        lifespan="on",
        access_log=False,
        log_level="warning",
        timeout_graceful_shutdown=None,
        # Clients and load balancers hold connections open between bursts: nginx's
        # default idle time rather than uvicorn's 5 s.
        timeout_keep_alive=75,
    )
    _Server(config).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
