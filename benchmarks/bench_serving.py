"""Model serving: jupyter_mlops' serving process vs `mlflow models serve --env-manager local`.

One model for all: a scikit-learn LogisticRegression on breast_cancer (30 features),
logged with its signature and input example into a temporary sqlite store and registered
as `models:/bc/1`. Servers run as processes on 127.0.0.1: MLflow's, ours without
prediction logging (`ours`), ours with `--log-dir` (`ours_log`), and `deployment`: a
deployment's traffic router (`jupyter_mlops.serving.router_server`, as the agent starts it) in
front of `ours_log`, the path a deployment's clients take. The same load
generator (below: asyncio, HTTP/1.1 keep-alive, no wrk here) drives each in turn with
single-row `dataframe_split` requests over 8 connections: 15 s each (3 s with --quick),
in three alternating slices after a warm-up, so that drift on a noisy machine hits all
alike. Then a 1,000-row `dataframe_split` batch, one request at a time, median of 21
(5 with --quick). All must answer the same predictions for a set of rows, one row a
request and all in one request, and the logging server's files must hold every request
it answered once it is stopped, else the benchmark exits non-zero.

Throughput is reported as the wall time per request over the 8 connections (1 / req/s),
so that `ratio` reads as how many times ours' throughput is MLflow's.

    python benchmarks/bench_serving.py [--quick]
"""

from __future__ import annotations

import asyncio
import collections
import gc
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import mlflow
import pyarrow.parquet as pq
from _common import parser, result, stores
from mlflow.models import infer_signature
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression

from jupyter_mlops.config import resolve
from jupyter_mlops.services import Services

CONNECTIONS = 8
BIN = Path(sys.executable).parent  # `mlflow models serve` runs `uvicorn` from PATH
ANSWERED = collections.Counter()  # port: requests answered 200, warm-ups included


def main() -> None:
    args = parser(__doc__).parse_args()
    seconds, slices, batches, compared = (3.0, 1, 5, 10) if args.quick else (15.0, 3, 21, 50)
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        services = Services(resolve(root_dir=root, environ={}, **stores(args)))
        services.tracking.client  # noqa: B018 - the store under the home, as the server makes it
        uri = log_model(services.config.tracking_uri, X, y)
        env = {
            **os.environ,
            **services.config.env(),
            "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        }
        ours = [sys.executable, "-m", "jupyter_mlops.serving.model_server", "--model-uri", uri]
        ours += ["--host", "127.0.0.1"]
        servers = {
            "mlflow": start(
                [str(BIN / "mlflow"), "models", "serve", "--env-manager", "local", "-m", uri]
                + ["--host", "127.0.0.1", "-p"],
                "/health",
                env,
                root / "mlflow.log",
            ),
            "ours": start([*ours, "--port"], "/ready", env, root / "ours.log"),
            "ours_log": start(
                [*ours, "--log-dir", str(root / "predictions"), "--port"],
                "/ready",
                env,
                root / "ours_log.log",
            ),
        }
        try:
            servers["ours_log"].wait_ready()
            servers["deployment"] = router(servers["ours_log"], env, root)
            for server in servers.values():
                server.wait_ready()
            same_predictions(servers, X.sample(compared, random_state=1))
            loads = single_rows(servers, X.iloc[:1], seconds, slices)
            batch = batch_latency(servers, X.sample(1000, replace=True, random_state=2), batches)
        finally:
            for server in servers.values():
                server.stop()
        every_answer_logged(servers["ours_log"], servers["deployment"], root / "predictions")
        services.close()

    for name, (rate, p50, p99, cpu) in loads.items():
        print(
            f"{name:>8}: {rate:8.1f} req/s  p50 {p50 * 1e3:7.2f} ms  p99 {p99 * 1e3:7.2f} ms  "
            f"CPU {cpu * 1e3:5.2f} ms/req  batch of 1,000 {batch[name] * 1e3:7.2f} ms"
        )
    (ours, _, o99, _), (anchor, _, a99, _) = loads["ours"], loads["mlflow"]
    (logged, _, l99, _) = loads["ours_log"]
    ms = 1e3
    result("serving_throughput", ms / ours, ms / anchor, "ms/req", "ratio>=5", ours >= 5 * anchor)
    result("serving_p99", o99 * ms, a99 * ms, "ms", "ours<=0.2x", o99 <= 0.2 * a99)
    o, a = batch["ours"], batch["mlflow"]
    result("serving_batch_1000", o * ms, a * ms, "ms", "ours<=1x", o <= a)
    result(
        "serving_throughput_logging_on",
        ms / logged,
        ms / anchor,
        "ms/req",
        "ratio>=5",
        logged >= 5 * anchor,
    )
    result("serving_p99_logging_on", l99 * ms, a99 * ms, "ms", "ours<=0.2x", l99 <= 0.2 * a99)
    # Ours with logging against ours without: ratio is the throughput kept.
    result(
        "serving_logging_overhead",
        ms / logged,
        ms / ours,
        "ms/req",
        "ratio>=0.85",
        logged >= 0.85 * ours,
    )
    (routed, _, r99, _) = loads["deployment"]
    result(
        "deployment_throughput",
        ms / routed,
        ms / anchor,
        "ms/req",
        "ratio>=5",
        routed >= 5 * anchor,
    )
    result("deployment_p99", r99 * ms, a99 * ms, "ms", "ours<=0.2x", r99 <= 0.2 * a99)


def log_model(tracking_uri: str, X, y) -> str:
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
    return "models:/bc/1"


class Server:
    def __init__(self, process: subprocess.Popen, port: int, ready_path: str, log: Path):
        self.process, self.port, self.ready_path, self.log = process, port, ready_path, log
        self.behind: Server | None = None  # the serving process a router sends to

    def wait_ready(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                sys.exit(f"{self.process.args[:4]} exited:\n{self.log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(self.url(self.ready_path), timeout=1) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.1)
        sys.exit(f"not ready in {timeout:g}s:\n{self.log.read_text()[-3000:]}")

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def stop(self) -> None:
        # `mlflow models serve` runs uvicorn in a child: the whole group goes.
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(30)
        except ProcessLookupError:
            return
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


def start(argv: list[str], ready_path: str, env: dict, log: Path) -> Server:
    port = free_port()
    with log.open("w") as out:
        # A file, not a pipe: MLflow's server logs every request.
        process = subprocess.Popen(
            [*argv, str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own group, to stop MLflow's uvicorn child with it
        )
    return Server(process, port, ready_path, log)


def router(backend: Server, env: dict, root: Path) -> Server:
    """A deployment's router in front of `backend`, with the route table the supervisor
    writes for a deployment with one ready version."""
    table = root / "routes.json"
    version = {"role": "stable", "version": "1", "port": backend.port, "weight": 100.0}
    table.write_text(json.dumps({"generation": 1, "backends": [{**version, "shadow": False}]}))
    argv = [sys.executable, "-m", "jupyter_mlops.serving.router_server", "--routes", str(table)]
    served = start([*argv, "--host", "127.0.0.1", "--port"], "/ready", env, root / "router.log")
    served.behind = backend
    return served


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def every_answer_logged(server: Server, deployment: Server, folder: Path) -> None:
    """After SIGTERM: one logged request for each one answered (directly or through the
    deployment's router), and one row per input row."""
    files = sorted(folder.rglob("*.parquet"))
    table = pq.read_table(files, columns=["__request_id", "__row"]) if files else None
    requests = len(set(table.column("__request_id").to_pylist())) if files else 0
    rows = table.num_rows if files else 0
    answered = ANSWERED[server.port] + ANSWERED[deployment.port]
    print(f"ours_log: {requests} requests ({rows} rows) logged in {len(files)} files")
    if requests != answered:
        sys.exit(f"ours_log answered {answered} requests but logged {requests}")


def split_body(rows) -> bytes:
    return json.dumps({"dataframe_split": rows.to_dict(orient="split")}).encode()


def same_predictions(servers: dict[str, Server], rows) -> None:
    """One row a request, then all rows in one: the answers must be the same bytes' JSON."""
    bodies = [split_body(rows.iloc[[i]]) for i in range(len(rows))] + [split_body(rows)]
    answers = {
        name: asyncio.run(post_each(server.port, bodies)) for name, server in servers.items()
    }
    for name in servers:
        if answers[name] != answers["mlflow"]:
            sys.exit(f"different predictions:\n{answers[name]}\n{answers['mlflow']}")
    print(f"same predictions for {len(rows)} rows, one a request and all in one request")


# The load generator ----------------------------------------------------------------------


def request(port: int, body: bytes) -> bytes:
    head = (
        f"POST /invocations HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def exchange(reader, writer, raw: bytes) -> bytes:
    """One request on a keep-alive connection; the answer's body."""
    writer.write(raw)
    head = await reader.readuntil(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 200"):
        raise RuntimeError(f"answer: {head[:200]!r}")
    ANSWERED[writer.get_extra_info("peername")[1]] += 1
    at = head.lower().index(b"content-length:") + len(b"content-length:")
    return await reader.readexactly(int(head[at : head.index(b"\r\n", at)]))


async def post_each(port: int, bodies: list[bytes]) -> list:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        return [json.loads(await exchange(reader, writer, request(port, b))) for b in bodies]
    finally:
        writer.close()


async def drive(port: int, body: bytes, seconds: float) -> list[float]:
    """Latencies of the requests CONNECTIONS keep-alive connections answered in `seconds`."""
    raw, latencies = request(port, body), []
    deadline = time.perf_counter() + seconds

    async def connection():
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while (sent := time.perf_counter()) < deadline:
                await exchange(reader, writer, raw)
                latencies.append(time.perf_counter() - sent)
        finally:
            writer.close()

    await asyncio.gather(*(connection() for _ in range(CONNECTIONS)))
    return latencies


def single_rows(servers: dict[str, Server], row, seconds: float, slices: int) -> dict:
    """(req/s, p50, p99, CPU seconds a request) per server, over `slices` alternating runs
    of seconds/slices. CPU time is the server's whole process group (MLflow's uvicorn
    runs in a child): less swayed by other work on the machine than the rate is."""
    body = split_body(row)
    latencies = {name: [] for name in servers}
    elapsed = dict.fromkeys(servers, 0.0)
    cpu = dict.fromkeys(servers, 0.0)
    # The generator's own pauses would count as server latency: no collection while it runs.
    gc.collect()
    gc.disable()
    try:
        for server in servers.values():
            asyncio.run(drive(server.port, body, 1.0))  # warm-up, not counted
        for _ in range(slices):
            for name, server in servers.items():
                started, used = time.perf_counter(), server_cpu(server)
                latencies[name] += asyncio.run(drive(server.port, body, seconds / slices))
                elapsed[name] += time.perf_counter() - started
                cpu[name] += server_cpu(server) - used
    finally:
        gc.enable()
    return {
        name: (
            len(times) / elapsed[name],
            quantile(times, 0.50),
            quantile(times, 0.99),
            cpu[name] / len(times),
        )
        for name, times in latencies.items()
    }


def server_cpu(server: Server) -> float:
    """CPU seconds of the server's process group, and of the one behind it (a router's)."""
    behind = server.behind
    return group_cpu(server.process.pid) + (group_cpu(behind.process.pid) if behind else 0.0)


def group_cpu(group: int) -> float:
    """CPU seconds (user and system) the live processes of a process group have used."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # ended meanwhile
            continue
        if int(fields[2]) == group:  # pgrp; utime and stime in clock ticks
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def batch_latency(servers: dict[str, Server], rows, repeat: int) -> dict[str, float]:
    """Median seconds of one 1,000-row request, alternating between the servers."""
    body = split_body(rows)

    async def measure() -> dict[str, list[float]]:
        connections = {
            name: await asyncio.open_connection("127.0.0.1", server.port)
            for name, server in servers.items()
        }
        raw = {name: request(server.port, body) for name, server in servers.items()}
        times = {name: [] for name in servers}
        try:
            for round_ in range(repeat + 1):
                for name, (reader, writer) in connections.items():
                    started = time.perf_counter()
                    await exchange(reader, writer, raw[name])
                    if round_:  # the first is a warm-up
                        times[name].append(time.perf_counter() - started)
        finally:
            for _, writer in connections.values():
                writer.close()
        return times

    return {name: statistics.median(values) for name, values in asyncio.run(measure()).items()}


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


if __name__ == "__main__":
    main()
