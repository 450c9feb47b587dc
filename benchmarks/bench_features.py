"""Feature store: point-in-time training sets and online lookups, jupyter_mlops vs
`pandas.merge_asof`, a plain duckdb ASOF join and (when given) Feast.

Data, from numpy with a fixed seed: 5,000,000 feature rows (100,000 entities, 5 float64
features, event times over 90 days, a created time) and 1,000,000 entity rows (about 1%
of ids without history, times from 5 days before the first event to 130 days after it,
so some rows have no history yet and some only history older than the 30-day TTL).

Point-in-time join, each contender in a process of its own on the same parquet files,
timed over repeated calls (median) and with its peak RSS during the calls (the process
resets its high-water mark first; duckdb's native memory counts). Ours:
`FeatureStore.get_historical_features` on a view applied and ingested beforehand (not
timed); its first call builds the view's join index (a sorted copy of the view's rows,
made once per set of ingested batches), which is reported on a line of its own.
Anchors: `pandas.merge_asof` with its sorts (both frames by time, `by=` the entity id,
the TTL as `tolerance`, backward) on frames already in memory; a plain duckdb
`ASOF LEFT JOIN` over the parquet file; with `--feast-python`, Feast's
`get_historical_features(...).to_df()` on its file offline store, in that interpreter
(Feast is no dependency of this project), on the first `--feast-entity-rows` entity rows
if given (ours is then timed on the same rows). A second case makes 10% of the feature
rows copies of another row's (entity, event time) with another created time: the
tie-break path, against merge_asof sorted by both times.
Ours must keep every entity row in order, return the same values as pandas (checksums
over the matched rows, and 10,000 sampled rows against a brute-force lookup) and the
same frame on every call; else the benchmark exits non-zero.

Online: after `materialize`, 10,000 one-entity, 5-feature `get_online_features` calls in
process against `.loc` on a pandas frame indexed by entity (the lookup a notebook would
otherwise write); then 1,000 `POST /mlops/api/features/online` on a real `jupyter server`
(token, loopback) against jupyter_server's own `GET /api/status` on that server: the
floor of any authenticated request there.

    python benchmarks/bench_features.py [--quick] [--feast-python PATH]
        [--feast-entity-rows N] [--feast-memory-gib G] [--feast-timeout S]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import resource
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd
from _common import STATE_URL_ENV, TRACKING_URI_ENV, parser, result, stores

FEATURES = [f"f{i}" for i in range(5)]
TTL_DAYS = 30
DAY_US = 86_400 * 1_000_000
START = np.datetime64("2026-01-01T00:00:00", "us")
ENTITY, TS, CREATED, ROW = "entity_id", "event_timestamp", "created", "__row"
VIEWS = {"plain": "stats", "ties": "stats_ties"}
MIB = 1024 * 1024
WORKER_TIMEOUT = 600
ONLINE_ROUTE = "/mlops/api/features/online"


@dataclass(frozen=True)
class Size:
    rows: int
    entities: int
    entity_rows: int
    repeat: int
    lookups: int
    rest_lookups: int


FULL = Size(5_000_000, 100_000, 1_000_000, repeat=5, lookups=10_000, rest_lookups=1_000)
QUICK = Size(200_000, 4_000, 50_000, repeat=2, lookups=500, rest_lookups=100)


# Memory: each contender's process reports its own resident set. Linux lets a process
# reset its high-water mark (clear_refs 5), so the peak of the call alone is measured,
# native (duckdb, arrow) memory included, which tracemalloc would miss.


def _status_kib(field: str) -> int:
    with open("/proc/self/status") as status:
        return int(re.search(rf"^{field}:\s+(\d+) kB", status.read(), re.M)[1])


def memory_mark() -> dict:
    """Before the timed call: the RSS now and the process's peak so far, then reset it."""
    mark = {"rss_before": _status_kib("VmRSS") * 1024, "peak_loading": _status_kib("VmHWM") * 1024}
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")
    return mark


def memory_peak() -> int:
    return _status_kib("VmHWM") * 1024


def frame_digest(frame: pd.DataFrame) -> str:
    hashed = pd.util.hash_pandas_object(frame, index=False).to_numpy()
    return hashlib.sha256(hashed.tobytes()).hexdigest()[:16]


# Data ------------------------------------------------------------------------------------


def make_data(size: Size, seed: int = 20261123) -> dict[str, pd.DataFrame]:
    """The feature frames (plain, and with ties) and the entity frame."""
    rng = np.random.default_rng(seed)

    def feature_rows(count: int) -> pd.DataFrame:
        events = START + rng.integers(0, 90 * DAY_US, count).astype("timedelta64[us]")
        return pd.DataFrame(
            {
                ENTITY: rng.integers(0, size.entities, count),
                TS: events,
                CREATED: events + rng.integers(0, DAY_US, count).astype("timedelta64[us]"),
                **dict(zip(FEATURES, rng.standard_normal((len(FEATURES), count)), strict=True)),
            }
        )

    plain = feature_rows(size.rows)
    # Ties: 90% fresh rows, and 10% copies of one of those rows' (entity, event time),
    # each with other values and a created time that differs by up to a day either way.
    unique = size.rows - size.rows // 10
    ties = feature_rows(unique)
    copied = rng.choice(unique, size.rows // 10, replace=False)
    duplicates = feature_rows(len(copied))
    duplicates[ENTITY] = ties[ENTITY].to_numpy()[copied]
    duplicates[TS] = ties[TS].to_numpy()[copied]
    shift = rng.integers(1, DAY_US, len(copied)) * rng.choice([-1, 1], len(copied))
    duplicates[CREATED] = ties[CREATED].to_numpy()[copied] + shift.astype("timedelta64[us]")
    ties = pd.concat([ties, duplicates], ignore_index=True)
    ties = ties.take(rng.permutation(len(ties))).reset_index(drop=True)

    # About 1% of entity ids never had a row.
    span = rng.integers(-5 * DAY_US, 130 * DAY_US, size.entity_rows)
    entities = pd.DataFrame(
        {
            ENTITY: rng.integers(0, size.entities + size.entities // 100, size.entity_rows),
            TS: START + span.astype("timedelta64[us]"),
        }
    )
    return {"plain": plain, "ties": ties, "entities": entities}


# Contenders, each run in a process of its own (`--worker NAME`) -------------------------


def feature_refs(case: str) -> list[str]:
    return [f"{VIEWS[case]}:{f}" for f in FEATURES]


def run_ours(args, entities: pd.DataFrame):
    from jupyter_mlops.config import resolve
    from jupyter_mlops.services import Services

    store = Services(resolve(root_dir=args.root, environ={}, **stores(args))).features
    store.resolved_view(VIEWS[args.case])  # the state DB opened, as in a working session
    refs = feature_refs(args.case)
    return lambda: store.get_historical_features(entities, refs)


def run_pandas(args, entities: pd.DataFrame):
    ties = args.case == "ties"
    columns = [ENTITY, TS, *([CREATED] if ties else []), *FEATURES]
    features = pd.read_parquet(Path(args.data) / f"{args.case}.parquet", columns=columns)
    order = [TS, CREATED] if ties else TS  # the latest created wins a tie, as in ours

    def join() -> pd.DataFrame:  # sorted as a user would: default sorts
        left = entities.assign(**{ROW: np.arange(len(entities))}).sort_values(TS)
        right = features.sort_values(order)
        return pd.merge_asof(
            left,
            right,
            on=TS,
            by=ENTITY,
            tolerance=pd.Timedelta(days=TTL_DAYS),
            direction="backward",
        )

    return join


def run_duckdb(args, entities: pd.DataFrame):
    import duckdb

    path = str(Path(args.data) / f"{args.case}.parquet").replace("'", "''")
    values = ", ".join(
        f"CASE WHEN f.{TS} >= e.{TS} - INTERVAL {TTL_DAYS} DAY THEN f.{name} END AS {name}"
        for name in FEATURES
    )
    query = (
        f"SELECT e.{ENTITY}, e.{TS}, {values} FROM entities e"
        f" ASOF LEFT JOIN read_parquet('{path}') f"
        f" ON e.{ENTITY} = f.{ENTITY} AND e.{TS} >= f.{TS}"
    )

    def join() -> pd.DataFrame:
        with duckdb.connect() as con:
            con.register("entities", entities)
            return con.sql(query).df()

    return join


CONTENDERS = {"ours": run_ours, "pandas": run_pandas, "duckdb": run_duckdb}


def worker(args) -> None:
    """Time `--repeat` calls of one contender; report times, memory and each result's
    digest as one JSON line; keep the first result for the checks."""
    entities = pd.read_parquet(Path(args.data) / "entities.parquet")
    if args.entity_rows:
        entities = entities.iloc[: int(args.entity_rows)].copy()
    join = CONTENDERS[args.worker](args, entities)
    mark = memory_mark()
    times, cpu, digests = [], [], []
    for index in range(args.repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        frame = join()
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
        digests.append(frame_digest(frame))
        if index == 0:
            kept = [c for c in frame.columns if c in (ROW, ENTITY, TS, *FEATURES)]
            frame[kept].to_parquet(args.out)
        del frame
    report = {"times": times, "cpu": cpu, "digests": digests, "peak": memory_peak(), **mark}
    print("WORKER " + json.dumps(report))


FEAST_SCRIPT = r'''
"""Feast's get_historical_features on its file offline store, in Feast's interpreter:
argv: data dir, repo dir, output parquet, entity rows (the first N)."""
import json, re, sys, time
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytz
from feast import Entity, FeatureStore, FeatureView, Field, FileSource, ValueType
from feast.types import Float64

def kib(field):
    with open("/proc/self/status") as status:
        return int(re.search(rf"^{field}:\s+(\d+) kB", status.read(), re.M)[1])

data, repo, out, rows = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], int(sys.argv[4])
repo.mkdir(parents=True, exist_ok=True)
(repo / "feature_store.yaml").write_text(
    "project: bench\nregistry: registry.db\nprovider: local\n"
    "offline_store:\n  type: file\nonline_store:\n  type: sqlite\n  path: online.db\n"
    "entity_key_serialization_version: 3\n"
)
entity = Entity(name="entity", join_keys=["entity_id"], value_type=ValueType.INT64)
view = FeatureView(
    name="stats",
    entities=[entity],
    ttl=timedelta(days=TTL_DAYS),
    schema=[Field(name=f"f{i}", dtype=Float64) for i in range(5)],
    source=FileSource(
        path=str(data / "plain.parquet"),
        timestamp_field="event_timestamp",
        created_timestamp_column="created",
    ),
)
store = FeatureStore(repo_path=str(repo))
store.apply([entity, view])
entity_df = pd.read_parquet(data / "entities.parquet").iloc[:rows].copy()
# Feast converts naive entity times row by row in Python; UTC-aware ones skip that.
entity_df["event_timestamp"] = entity_df["event_timestamp"].dt.tz_localize(pytz.UTC)
entity_df["__row"] = range(len(entity_df))  # to check its values against ours
refs = [f"stats:f{i}" for i in range(5)]
mark = {"rss_before": kib("VmRSS") * 1024, "peak_loading": kib("VmHWM") * 1024}
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")
start, start_cpu = time.perf_counter(), time.process_time()
frame = store.get_historical_features(entity_df=entity_df, features=refs).to_df()
times, cpu = [time.perf_counter() - start], [time.process_time() - start_cpu]
frame[["__row", *(f"f{i}" for i in range(5))]].to_parquet(out)
report = {"times": times, "cpu": cpu, "digests": [], "peak": kib("VmHWM") * 1024, **mark}
print("WORKER " + json.dumps(report))
'''


def spawn(
    command: list[str], timeout: float, memory_limit: int | None = None, env: dict | None = None
) -> dict:
    def limit() -> None:  # in the child: fail with MemoryError, not the machine's OOM killer
        resource.setrlimit(resource.RLIMIT_AS, (memory_limit, memory_limit))

    try:
        done = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=timeout,
            preexec_fn=limit if memory_limit else None,
            env=env,
        )
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f}s"}
    lines = [line for line in done.stdout.splitlines() if line.startswith("WORKER ")]
    if done.returncode != 0 or not lines:
        return {"error": f"exit {done.returncode}: {done.stderr.strip()[-3000:]}"}
    return json.loads(lines[-1][len("WORKER ") :])


NAMED_STORES: dict = {}  # --tracking-uri and --state-url, for the worker processes


def contender(
    name: str, case: str, root: Path, repeat: int, entity_rows: int | None = None
) -> dict:
    out = root / "results" / f"{name}-{case}-{entity_rows or 'all'}.parquet"
    command = [sys.executable, __file__, "--worker", name, "--case", case]
    command += ["--root", str(root), "--data", str(root / "data")]
    command += ["--repeat", str(repeat), "--out", str(out)]
    if entity_rows:
        command += ["--entity-rows", str(entity_rows)]
    # The stores the command line named (the registry is in the state DB), in the
    # environment: a state URL holds a password, which a command line shows to all.
    env = None
    if NAMED_STORES:
        command.append("--team")
        env = {
            **os.environ,
            TRACKING_URI_ENV: NAMED_STORES.get("tracking_uri", ""),
            STATE_URL_ENV: NAMED_STORES.get("state_url", ""),
        }
    report = spawn(command, WORKER_TIMEOUT, env=env)
    if "error" in report:
        sys.exit(f"{name} ({case}) failed: {report['error']}")
    return {**report, "out": out}


def feast_contender(python: str, root: Path, rows: int, timeout: float, memory: int) -> dict:
    script = root / "feast_join.py"
    script.write_text(FEAST_SCRIPT.replace("TTL_DAYS", str(TTL_DAYS)))
    out = root / "results" / f"feast-plain-{rows}.parquet"
    args = [str(root / "data"), str(root / "feast_repo"), str(out), str(rows)]
    return {**spawn([python, str(script), *args], timeout, memory), "out": out}


def against_feast(args, size: Size, root: Path, ours: dict) -> None:
    """Feast on the first `--feast-entity-rows` entity rows (all by default), and ours on
    the same rows; its values must be ours (else a warning: the times would not compare)."""
    rows = min(args.feast_entity_rows or size.entity_rows, size.entity_rows)
    gib = args.feast_memory_gib or 0.8 * available_memory() / 2**30
    print(f"feast: {rows:,} entity rows, at most {gib:.1f} GiB of address space", flush=True)
    feast = feast_contender(args.feast_python, root, rows, args.feast_timeout, int(gib * 2**30))
    if "error" in feast:
        print(f"feast failed: {feast['error']}")
        print("feast: no RESULT; try fewer rows with --feast-entity-rows")
        return
    describe("plain", "feast", feast)
    if rows != size.entity_rows:
        ours = contender("ours", "plain", root, size.repeat, rows)
        describe("plain", f"ours {rows:,}", ours)
    same = np.array_equal(aligned(ours["out"], rows), aligned(feast["out"], rows), equal_nan=True)
    print(f"feast: {'same values as ours' if same else 'WARNING: values differ from ours'}")
    mine, theirs = statistics.median(ours["times"]), feast["times"][0]
    result("pit_join_vs_feast", mine, theirs, "s", "ours<=0.02x", mine <= 0.02 * theirs)
    mine, theirs = ours["peak"] / MIB, feast["peak"] / MIB
    result("pit_join_peak_rss_vs_feast", mine, theirs, "MiB", "ours<=0.25x", mine <= 0.25 * theirs)


def available_memory() -> int:
    with open("/proc/meminfo") as meminfo:
        return int(re.search(r"^MemAvailable:\s+(\d+) kB", meminfo.read(), re.M)[1]) * 1024


# Checks ---------------------------------------------------------------------------------


class Mismatch(Exception):
    pass


def aligned(path: Path, rows: int) -> np.ndarray:
    """A contender's feature values as an (entity rows x features) array in entity order."""
    frame = pd.read_parquet(path)
    values = frame[FEATURES].to_numpy(dtype="float64", na_value=np.nan)
    if ROW not in frame.columns:
        return values
    ordered = np.full((rows, len(FEATURES)), np.nan)
    ordered[frame[ROW].to_numpy()] = values
    return ordered


def expected_sample(features: pd.DataFrame, entities: pd.DataFrame, rows: np.ndarray):
    """Brute force for a few entity rows: among the entity's feature rows at or before its
    time, the latest by event then created time; NaN if none, or if older than the TTL."""
    order = np.lexsort((features[CREATED].to_numpy(), features[TS].to_numpy(), features[ENTITY]))
    ids = features[ENTITY].to_numpy()[order]
    stamps = features[TS].to_numpy()[order]
    values = features[FEATURES].to_numpy()[order]
    ttl = np.timedelta64(TTL_DAYS * DAY_US, "us")
    expected = np.full((len(rows), len(FEATURES)), np.nan)
    for out, row in enumerate(rows):
        entity, at = entities[ENTITY].iat[row], entities[TS].to_numpy()[row]
        low, high = np.searchsorted(ids, entity, "left"), np.searchsorted(ids, entity, "right")
        index = low + np.searchsorted(stamps[low:high], at, "right") - 1
        if index >= low and stamps[index] >= at - ttl:
            expected[out] = values[index]
    return expected


def check_join(case: str, data: dict, ours_path: Path, pandas_path: Path, sample: int) -> str:
    """Ours against pandas, and both against brute force on a sample: raise Mismatch."""
    entities = data["entities"]
    rows = len(entities)
    kept = pd.read_parquet(ours_path, columns=[ENTITY, TS])
    if not (
        len(kept) == rows
        and np.array_equal(kept[ENTITY].to_numpy(), entities[ENTITY].to_numpy())
        and np.array_equal(kept[TS].to_numpy(), entities[TS].to_numpy())
    ):
        raise Mismatch(f"{case}: ours did not return the {rows:,} entity rows in their order")
    ours, anchor = aligned(ours_path, rows), aligned(pandas_path, rows)
    matched_ours, matched_pandas = ~np.isnan(ours[:, 0]), ~np.isnan(anchor[:, 0])
    both = matched_ours & matched_pandas
    if not np.array_equal(matched_ours, matched_pandas):
        raise Mismatch(
            f"{case}: ours matched {matched_ours.sum():,} rows, pandas {matched_pandas.sum():,},"
            f" {both.sum():,} in common"
        )
    sums = []
    for index, name in enumerate(FEATURES):
        mine = hashlib.sha256(ours[both, index].tobytes()).hexdigest()[:12]
        theirs = hashlib.sha256(anchor[both, index].tobytes()).hexdigest()[:12]
        if mine != theirs:
            raise Mismatch(f"{case}: {name} differs from pandas on matched rows")
        sums.append(f"{name}={ours[both, index].sum():.6f}")
    rng = np.random.default_rng(7)
    picked = np.sort(rng.choice(rows, min(sample, rows), replace=False))
    truth = expected_sample(data[case], entities, picked)
    for who, got in (("ours", ours[picked]), ("pandas", anchor[picked])):
        wrong = ~((got == truth) | (np.isnan(got) & np.isnan(truth))).all(axis=1)
        if wrong.any():
            first = picked[np.argmax(wrong)]
            raise Mismatch(f"{case}: {who} is wrong on {wrong.sum()} sampled rows (row {first})")
    return (
        f"{case}: {rows:,} rows kept in order, {both.sum():,} matched ({rows - both.sum():,}"
        f" without history in the TTL), same values as pandas (sums {' '.join(sums)}),"
        f" {len(picked):,} sampled rows equal to brute force"
    )


# Online -----------------------------------------------------------------------------------


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def online_in_process(store, latest: pd.DataFrame, keys: np.ndarray) -> None:
    refs = feature_refs("plain")
    ours, anchor = [], []
    for key in keys[:50]:  # warm both: first statements, caches
        store.get_online_features([{ENTITY: int(key)}], refs)
        latest.loc[int(key), FEATURES]
    for key in keys:
        row = [{ENTITY: int(key)}]
        start = time.perf_counter()
        got = store.get_online_features(row, refs)
        ours.append(time.perf_counter() - start)
        start = time.perf_counter()
        want = latest.loc[int(key), FEATURES]
        anchor.append(time.perf_counter() - start)
        if [got[f][0] for f in FEATURES] != want.tolist():
            sys.exit(f"online lookup of {key}: {got} is not the latest row {want.tolist()}")
    us = 1e6
    (p50, p99), (a50, a99) = percentiles(ours), percentiles(anchor)
    print(
        f"online, in process, {len(keys):,} lookups of 1 entity x 5 features:"
        f" ours p50={p50 * us:.0f}us p99={p99 * us:.0f}us;"
        f" pandas .loc p50={a50 * us:.0f}us p99={a99 * us:.0f}us"
    )
    result("online_lookup_p99_in_process", p99 * us, a99 * us, "us", "p99<1000us", p99 < 1e-3)


def has_online_route() -> bool:
    from jupyter_mlops.server.routes import ROUTES

    return any(route[0].endswith("features/online") for route in ROUTES)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def request(url: str, token: str, body: dict | None = None) -> bytes:
    data = None if body is None else json.dumps(body).encode()
    headers = {"Authorization": f"token {token}", "Content-Type": "application/json"}
    with urllib.request.urlopen(urllib.request.Request(url, data, headers), timeout=30) as reply:
        return reply.read()


def online_rest(root: Path, keys: np.ndarray, latest: pd.DataFrame, named_stores: dict) -> None:
    """A real `jupyter server` on loopback with a token, the extension on this root
    (agent and warm job pool off: nothing else runs), timed over HTTP from here."""
    token, port = secrets.token_hex(16), free_port()
    config = root / "server_config.json"
    config.write_text(
        json.dumps(
            {
                "ServerApp": {
                    "root_dir": str(root),
                    "ip": "127.0.0.1",
                    "port": port,
                    "port_retries": 0,
                    "open_browser": False,
                    "allow_root": True,
                    "jpserver_extensions": {"jupyter_mlops": True},
                },
                "IdentityProvider": {"token": token},
                "MLOpsApp": {"agent_enabled": False, "job_pool_size": 0, **named_stores},
            }
        )
    )
    environ = {k: v for k, v in os.environ.items() if not k.startswith("JUPYTER_MLOPS_")}
    environ.pop("MLFLOW_TRACKING_URI", None)
    log = (root / "server.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyter_server", f"--config={config}"],
        env=environ,
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=root,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                request(f"{base}/mlops/api/status", token)
                break
            except (urllib.error.URLError, ConnectionError) as error:
                if server.poll() is not None or time.monotonic() > deadline:
                    log.flush()
                    tail = (root / "server.log").read_text()[-2000:]
                    sys.exit(f"jupyter server did not start ({error}):\n{tail}")
                time.sleep(0.2)
        # The server loads MLflow in a thread as it starts (some 2.5 s of imports holding
        # the GIL): timed then, both routes' p99 was that warm-up's, not a lookup's. A
        # route that needs the tracking client answers once it is loaded.
        request(f"{base}/mlops/api/experiments", token)
        refs = feature_refs("plain")

        def lookup(key) -> dict:
            body = {"entity_rows": [{ENTITY: int(key)}], "features": refs}
            return json.loads(request(base + ONLINE_ROUTE, token, body))

        for key in keys[:20]:
            got = lookup(key)["features"]
            if [got[f][0] for f in FEATURES] != latest.loc[int(key), FEATURES].tolist():
                sys.exit(f"REST lookup of {key}: {got} is not the latest row")
        for _ in range(20):  # warm the other route too
            request(f"{base}/api/status", token)
        ours, floor = [], []
        for key in keys:
            start = time.perf_counter()
            lookup(key)
            ours.append(time.perf_counter() - start)
            start = time.perf_counter()
            request(f"{base}/api/status", token)
            floor.append(time.perf_counter() - start)
    finally:
        server.terminate()
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
    us = 1e6
    (p50, p99), (f50, f99) = percentiles(ours), percentiles(floor)
    print(
        f"online, REST, {len(keys):,} lookups: ours p50={p50 * us:.0f}us p99={p99 * us:.0f}us;"
        f" jupyter_server's GET /api/status on the same server p50={f50 * us:.0f}us"
        f" p99={f99 * us:.0f}us"
    )
    result("online_lookup_p99_rest", p99 * us, f99 * us, "us", "ours<=2x", p99 <= 2 * f99)


# Main ---------------------------------------------------------------------------------------


def setup_store(root: Path, data: dict, named_stores: dict):
    from jupyter_mlops import features
    from jupyter_mlops.config import resolve
    from jupyter_mlops.services import Services

    services = Services(resolve(root_dir=root, environ={}, **named_stores))
    store = services.features
    entity = features.Entity(name="entity", join_keys=[ENTITY])
    schema = [features.Field(name, features.Float64) for name in FEATURES]
    views = [
        features.FeatureView(
            name=view,
            entities=[entity],
            schema=schema,
            created_timestamp_column=CREATED,
            ttl=timedelta(days=TTL_DAYS),
        )
        for view in VIEWS.values()
    ]
    store.apply([entity, *views])
    for case, view in VIEWS.items():
        start = time.perf_counter()
        store.ingest(view, data[case])
        took = time.perf_counter() - start
        print(f"ingested {len(data[case]):,} rows into {view} in {took:.1f}s")
    return services, store


def mib(value: float) -> str:
    return f"{value / MIB:,.0f} MiB"


def describe(case: str, name: str, run: dict) -> None:
    calls = ", ".join(f"{t:.3f}" for t in run["times"])
    print(
        f"{case:5} {name:6} {statistics.median(run['times']):8.3f}s (calls {calls};"
        f" CPU {statistics.median(run['cpu']):.3f}s) peak RSS in the call {mib(run['peak'])},"
        f" before it {mib(run['rss_before'])}",
        flush=True,
    )


def main() -> None:
    cli = parser(__doc__)
    cli.add_argument(
        "--feast-python",
        help="an interpreter with feast installed: add Feast as a contender (not at --quick "
        "size unless given)",
    )
    cli.add_argument(
        "--feast-timeout", type=float, default=1800, help="seconds Feast may take (1800)"
    )
    cli.add_argument(
        "--feast-entity-rows",
        type=int,
        help="give Feast (and ours, for the comparison) only the first N entity rows",
    )
    cli.add_argument(
        "--feast-memory-gib",
        type=float,
        help="address space Feast may take (default: 80%% of the memory available at start)",
    )
    for hidden in ("--worker", "--case", "--root", "--data", "--out", "--entity-rows"):
        cli.add_argument(hidden, help=argparse.SUPPRESS)
    cli.add_argument("--repeat", type=int, help=argparse.SUPPRESS)
    args = cli.parse_args()
    if args.worker:
        return worker(args)
    NAMED_STORES.update(stores(args))

    size = QUICK if args.quick else FULL
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "data").mkdir()
        (root / "results").mkdir()
        start = time.perf_counter()
        data = make_data(size)
        for name, frame in data.items():
            frame.to_parquet(root / "data" / f"{name}.parquet")
        print(
            f"generated {size.rows:,} feature rows ({size.entities:,} entities) and"
            f" {size.entity_rows:,} entity rows in {time.perf_counter() - start:.1f}s"
        )
        services, store = setup_store(root, data, stores(args))

        runs: dict[tuple[str, str], dict] = {}
        for case, names in (("plain", ("ours", "pandas", "duckdb")), ("ties", ("ours", "pandas"))):
            for name in names:
                runs[name, case] = contender(name, case, root, size.repeat)
                describe(case, name, runs[name, case])
            first, rest = runs["ours", case]["times"][0], runs["ours", case]["times"][1:]
            print(
                f"{case:5} ours: first call after the ingest (builds the join index) {first:.3f}s,"
                f" later calls median {statistics.median(rest or [first]):.3f}s"
            )

        failures = []
        for case in ("plain", "ties"):
            digests = runs["ours", case]["digests"]
            if len(set(digests)) != 1:
                failures.append(f"{case}: ours returned different frames: {digests}")
            else:
                print(f"{case}: ours returned one frame on all {len(digests)} calls ({digests[0]})")
            try:
                print(
                    check_join(
                        case, data, runs["ours", case]["out"], runs["pandas", case]["out"], 10_000
                    )
                )
            except Mismatch as error:
                failures.append(str(error))
        if failures:
            sys.exit("CHECK FAILED: " + "; ".join(failures))

        median = {key: statistics.median(run["times"]) for key, run in runs.items()}
        ours, pandas_ = median["ours", "plain"], median["pandas", "plain"]
        result("pit_join_vs_pandas", ours, pandas_, "s", "ours<=0.5x", ours <= 0.5 * pandas_)
        duck = median["duckdb", "plain"]
        result("pit_join_vs_duckdb", ours, duck, "s", "ours<=1.5x", ours <= 1.5 * duck)
        ties, anchor = median["ours", "ties"], median["pandas", "ties"]
        result("pit_join_ties_vs_pandas", ties, anchor, "s", "ours<=0.5x", ties <= 0.5 * anchor)
        if args.feast_python:
            against_feast(args, size, root, runs["ours", "plain"])
        else:
            print("feast: skipped (give --feast-python PATH, an interpreter with feast)")

        # Online.
        start = time.perf_counter()
        low, high = START - np.timedelta64(1, "D"), START + np.timedelta64(91, "D")
        done = store.materialize(pd.Timestamp(low), pd.Timestamp(high), [VIEWS["plain"]])
        print(f"materialized {done[0]['rows']:,} keys in {time.perf_counter() - start:.1f}s")
        plain = data["plain"]
        latest = plain.sort_values([TS, CREATED]).groupby(ENTITY).last()[FEATURES]
        keys = np.random.default_rng(11).choice(latest.index.to_numpy(), size.lookups)
        online_in_process(store, latest, keys)
        if has_online_route():
            online_rest(root, keys[: size.rest_lookups], latest, stores(args))
        else:
            print(f"online, REST: skipped: the extension has no {ONLINE_ROUTE} route yet")
        services.close()


if __name__ == "__main__":
    main()
