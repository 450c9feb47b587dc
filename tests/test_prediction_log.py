"""Prediction logging: the serving process run as deployments run it, with `--log-dir`, and
its parquet files read back as the drift monitor reads them; PredictionLog in process for
what a server cannot be made to do (a folder that refuses the files)."""

import json
import logging
import re
import signal
import time
from datetime import datetime, timezone

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from serving_helpers import Server, model_store, payloads
from sklearn.datasets import load_breast_cancer

from jupyter_mlops.serving.prediction_log import PredictionLog, Record, predictions_dir, to_table

FILE_NAME = re.compile(r"\d{8}T\d{12}-(\d+)-\d+\.parquet")
META = {
    "__request_id": pa.string(),
    "__row": pa.int32(),
    "__at": pa.timestamp("us"),
    "__version": pa.string(),
    "__latency_ms": pa.float64(),
    "__shadow": pa.bool_(),
}
PARQUET = "application/vnd.apache.parquet"


@pytest.fixture(scope="module")
def data():
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    return X, y


@pytest.fixture(scope="module")
def store(tmp_path_factory, data):
    services = model_store(tmp_path_factory.mktemp("prediction-log"), *data)
    yield services
    services.close()


@pytest.fixture(scope="module")
def servers(store):
    """Started together (loading MLflow is most of the wait): `counted` takes a known set
    of requests and is stopped by SIGTERM; `live` keeps serving; `broken` cannot write."""
    home = store.config.home
    (home / "in-the-way").write_text("a file where the log folder would be")
    started = {
        "counted": Server(
            store, "models:/bc@champion", "--log-dir", str(predictions_dir(home, "counted"))
        ),
        "live": Server(
            store, "models:/bc@champion", "--log-dir", str(predictions_dir(home, "live"))
        ),
        "broken": Server(
            store, "models:/bc@champion", "--log-dir", str(home / "in-the-way" / "predictions")
        ),
    }
    for server in started.values():
        server.wait_ready()
    yield started
    for server in started.values():
        server.stop()


def read_log(folder, *, stopped=False) -> pd.DataFrame:
    """Every row the log's files hold, checking the layout on the way. While the server
    runs, a file being written (`.<name>.tmp`, renamed when whole) is skipped; once it
    has stopped, none may be left over."""
    files = sorted((folder / "version=1").glob("*" if stopped else "[!.]*"))
    tables = []
    for path in files:
        assert FILE_NAME.fullmatch(path.name), path.name
        table = pq.read_table(path)
        assert {name: table.schema.field(name).type for name in META} == META
        assert table.column_names[: len(META)] == list(META)
        tables.append(table)
    if not tables:
        return pd.DataFrame(columns=list(META))
    return pa.concat_tables(tables, promote_options="permissive").to_pandas()


def logged(folder, request_id, timeout=3.0) -> pd.DataFrame:
    """The rows of one request, once a file holds them."""
    deadline = time.monotonic() + timeout
    while (rows := read_log(folder)).empty or not (rows["__request_id"] == request_id).any():
        assert time.monotonic() < deadline, f"{request_id} not logged in {timeout:g} s"
        time.sleep(0.05)
    return rows[rows["__request_id"] == request_id].reset_index(drop=True)


def post(server, body, content_type="application/json", **headers):
    body = body if isinstance(body, (str, bytes)) else json.dumps(body)
    status, answer_headers, answer = server.exchange(
        "POST", "/invocations", body, {"Content-Type": content_type, **headers}
    )
    return status, answer_headers.get("x-request-id"), answer


def test_rows_are_written_while_serving(servers, store, data):
    """Within about a second (the flush interval) of the answer, not at shutdown."""
    X, _ = data
    server, folder = servers["live"], predictions_dir(store.config.home, "live")
    status, request_id, _ = post(server, {"dataframe_split": X.iloc[:2].to_dict(orient="split")})
    assert status == 200
    answered = time.monotonic()
    rows = logged(folder, request_id, timeout=2.5)
    assert time.monotonic() - answered < 2.5
    assert server.process.poll() is None
    assert len(rows) == 2 and rows["__row"].tolist() == [0, 1]


def test_the_clients_request_id_comes_back_and_is_logged(servers, store, data):
    X, _ = data
    server, folder = servers["live"], predictions_dir(store.config.home, "live")
    body = {"dataframe_split": X.iloc[:1].to_dict(orient="split")}
    given = "Client-7.a_b:c-" + "x" * 113  # 128 characters, every kind allowed
    status, request_id, _ = post(server, body, **{"X-Request-Id": given})
    assert (status, request_id) == (200, given)
    assert logged(folder, given)["__request_id"].tolist() == [given]

    # Unfit ids are replaced by a new one, which is the one logged.
    generated = []
    for bad in ["has space", "x" * 129, "semi;colon", "ünï", ""]:
        status, request_id, _ = post(server, body, **{"X-Request-Id": bad})
        assert status == 200 and re.fullmatch(r"[0-9a-f]{32}", request_id), (bad, request_id)
        generated.append(request_id)
    status, request_id, _ = post(server, body)  # none given
    assert status == 200 and re.fullmatch(r"[0-9a-f]{32}", request_id)
    generated.append(request_id)
    assert len(set(generated)) == len(generated)
    for request_id in generated:
        assert len(logged(folder, request_id)) == 1

    # Every answer carries one, refusals included; a refused request is not logged.
    status, request_id, _ = post(server, "{", **{"X-Request-Id": "bad-body-1"})
    assert (status, request_id) == (400, "bad-body-1")
    status, request_id, _ = post(server, "{}", "text/plain", **{"X-Request-Id": "bad-type-1"})
    assert (status, request_id) == (415, "bad-type-1")
    status, request_id, _ = post(server, "{")
    assert status == 400 and re.fullmatch(r"[0-9a-f]{32}", request_id)
    status, after, _ = post(server, body)
    logged(folder, after)  # written after the refusals: they would be there by now
    assert not read_log(folder)["__request_id"].isin(["bad-body-1", "bad-type-1"]).any()


def test_shadow_requests_are_marked(servers, store, data):
    X, _ = data
    server, folder = servers["live"], predictions_dir(store.config.home, "live")
    body = {"dataframe_split": X.iloc[:3].to_dict(orient="split")}
    marks = {"1": True, "0": False, "yes": False, None: False}
    ids = {}
    for value, _ in marks.items():
        headers = {"X-MLOps-Shadow": value} if value is not None else {}
        status, ids[value], _ = post(server, body, **headers)
        assert status == 200
    for value, shadow in marks.items():
        assert logged(folder, ids[value])["__shadow"].tolist() == [shadow] * 3, value


def test_every_answered_request_is_logged_once_by_sigterm(servers, store, data):
    """Several formats, one to 40 rows each; then SIGTERM: the files hold exactly the
    answered requests' rows, as the model got them and as the client got its answer."""
    X, _ = data
    server, folder = servers["counted"], predictions_dir(store.config.home, "counted")
    started = datetime.now(timezone.utc).replace(tzinfo=None)
    sent = {}  # request id: (the frame the model should have got, the answer's predictions)
    for size, seed in [(1, 0), (5, 1), (40, 2)]:
        rows = X.sample(size, random_state=seed)
        for name, (payload, content_type, unchanged) in payloads(rows).items():
            status, request_id, answer = post(server, payload, content_type)
            assert status == 200, (name, answer)
            expected = rows if unchanged else _coerced(rows)
            sent[request_id] = (expected, json.loads(answer)["predictions"])
        status, request_id, answer = post(server, rows.to_parquet(), PARQUET)
        assert status == 200, answer
        sent[request_id] = (rows, json.loads(answer)["predictions"])
    assert post(server, {"dataframe_split": {"columns": ["no"], "data": [[1]]}})[0] == 400

    server.process.send_signal(signal.SIGTERM)
    assert server.process.wait(30) == 0
    ended = datetime.now(timezone.utc).replace(tzinfo=None)
    files = list((folder / "version=1").glob("*.parquet"))
    pids = {FILE_NAME.fullmatch(path.name)[1] for path in files}
    assert pids == {str(server.process.pid)}

    logs = read_log(folder, stopped=True)
    assert set(logs["__request_id"]) == set(sent)
    assert len(logs) == sum(len(rows) for rows, _ in sent.values())
    assert (logs["__version"] == "1").all()
    assert not logs["__shadow"].any()
    assert (logs["__latency_ms"] > 0).all() and (logs["__latency_ms"] < 10_000).all()
    assert logs["__at"].between(started, ended).all()
    for request_id, (rows, predictions) in sent.items():
        got = logs[logs["__request_id"] == request_id]
        assert got["__at"].nunique() == 1 and got["__latency_ms"].nunique() == 1
        assert got["__row"].tolist() == list(range(len(rows)))
        inputs = got[list(X.columns)].reset_index(drop=True)
        pd.testing.assert_frame_equal(inputs, rows.reset_index(drop=True), check_dtype=False)
        got_predictions = got[["__prediction.0", "__prediction.1"]].to_numpy().tolist()
        assert got_predictions == predictions, request_id


def _coerced(rows: pd.DataFrame) -> pd.DataFrame:
    """What MLflow's parser makes of payloads()'s "ints and a bool" body."""
    values = [[1.0, *(float(int(v)) for v in row[1:])] for row in rows.to_numpy()]
    return pd.DataFrame(values, rows.index, rows.columns)


def test_a_log_that_cannot_be_written_fails_no_request(servers, data):
    X, _ = data
    server = servers["broken"]
    for _ in range(3):
        status, _, answer = post(server, {"dataframe_split": X.iloc[:2].to_dict(orient="split")})
        assert status == 200, answer

    def errors() -> list[str]:
        return [line for line in server.log.read_text().splitlines() if "prediction log:" in line]

    def dropped() -> int:
        # One line a failed flush: the 3 requests may be flushed as one batch or more.
        found = (re.search(r"(\d+) requests?'? predictions dropped", line) for line in errors())
        return sum(int(match[1]) for match in found if match)

    deadline = time.monotonic() + 10
    while dropped() < 3:
        assert time.monotonic() < deadline, server.log.read_text()
        time.sleep(0.05)
    assert dropped() == 3 and all(" ERROR " in line for line in errors()), errors()
    assert "Traceback" not in server.log.read_text()
    assert server.process.poll() is None
    assert post(server, {"dataframe_split": X.iloc[:1].to_dict(orient="split")})[0] == 200


# PredictionLog in process ----------------------------------------------------------------


def one_row(i):
    return pd.DataFrame({"x": [float(i)]}), np.array([i * 2])


@pytest.mark.parametrize("failure", ["read-only folder", "a file in the way"])
def test_an_unwritable_folder_drops_the_batch_with_one_error_line(tmp_path, caplog, failure):
    if failure == "read-only folder":
        folder = tmp_path / "read-only"
        folder.mkdir()
        folder.chmod(0o555)
        try:
            (folder / "probe").touch()
            pytest.skip("this user writes in read-only folders (root)")
        except PermissionError:
            pass
    else:
        (tmp_path / "file").write_text("")
        folder = tmp_path / "file" / "predictions"
    plog = PredictionLog(folder, "4", flush_seconds=60)
    with caplog.at_level(logging.ERROR, "jupyter_mlops.serving.prediction_log"):
        for i in range(3):
            plog.record(f"r{i}", *one_row(i), 1.0, False)  # no exception
        plog.close()
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and "\n" not in errors[0].getMessage()
    assert "3 requests' predictions dropped" in errors[0].getMessage()
    assert errors[0].exc_info is None


def test_close_writes_what_is_left_and_flush_rows_writes_early(tmp_path):
    plog = PredictionLog(tmp_path, "2", flush_rows=5, flush_seconds=60)
    for i in range(5):
        plog.record(f"r{i}", *one_row(i), 1.0, False)
    deadline = time.monotonic() + 5
    while not list(tmp_path.glob("version=2/*.parquet")):  # 5 rows: written, not at 60 s
        assert time.monotonic() < deadline
        time.sleep(0.02)
    plog.record("last", *one_row(9), 1.0, True)
    plog.close()
    plog.record("after close", *one_row(0), 1.0, False)  # not kept, no failure
    files = sorted(tmp_path.glob("version=2/*.parquet"))
    assert len(files) == 2
    rows = pa.concat_tables([pq.read_table(path) for path in files]).to_pandas()
    assert rows["__request_id"].tolist() == ["r0", "r1", "r2", "r3", "r4", "last"]
    assert rows["__prediction"].tolist() == [0, 2, 4, 6, 8, 18]
    assert rows["__shadow"].tolist() == [False] * 5 + [True]


def test_a_model_without_a_version_logs_under_the_null_partition(tmp_path):
    plog = PredictionLog(tmp_path, None, flush_seconds=60)
    plog.record("r", *one_row(1), 1.0, False)
    plog.close()
    (path,) = tmp_path.glob("version=__HIVE_DEFAULT_PARTITION__/*.parquet")
    assert pq.read_table(path).column("__version").to_pylist() == [None]


def test_tensors_outputs_and_mixed_columns_in_one_file():
    """Input columns a request lacks are nulls (ints stay ints); tensors are input_<i>;
    outputs of several columns are __prediction.<name> or __prediction.<i>."""
    records = [
        Record(
            "frame", 10, pd.DataFrame({"a": [1, 2], "b": ["p", "q"]}), np.array([0.5, 0.6]), 1, 0
        ),
        Record("other", 11, pd.DataFrame({"c": [3.5]}), pd.Series([7]), 2, False),
        Record("tensor", 12, np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[1, 2], [3, 4]]), 3, 0),
        Record("dict", 13, pd.DataFrame({"a": [5]}), {"label": ["yes"], "score": [0.9]}, 4, 1),
        Record("frame out", 14, pd.DataFrame({"a": [6]}), pd.DataFrame({"k": [1.5]}), 5, 0),
        Record("scalar for 2", 15, pd.DataFrame({"a": [7, 8]}), 42.0, 6, False),
    ]
    table = to_table(records, "9")
    assert table.column_names == [
        *META,
        "a",
        "b",
        "c",
        "input_0",
        "input_1",
        "__prediction",
        "__prediction.0",
        "__prediction.1",
        "__prediction.label",
        "__prediction.score",
        "__prediction.k",
    ]
    assert table.schema.field("a").type == pa.int64()
    rows = table.to_pylist()
    assert [(r["__request_id"], r["__row"]) for r in rows] == [
        ("frame", 0),
        ("frame", 1),
        ("other", 0),
        ("tensor", 0),
        ("tensor", 1),
        ("dict", 0),
        ("frame out", 0),
        ("scalar for 2", 0),
        ("scalar for 2", 1),
    ]
    assert [r["a"] for r in rows] == [1, 2, None, None, None, 5, 6, 7, 8]
    assert [r["input_1"] for r in rows] == [None, None, None, 2.0, 4.0, None, None, None, None]
    assert [r["__prediction"] for r in rows] == [0.5, 0.6, 7, None, None, None, None, None, None]
    assert [r["__prediction.1"] for r in rows][3:5] == [2, 4]
    assert rows[5]["__prediction.label"] == "yes" and rows[5]["__prediction.score"] == 0.9
    assert rows[6]["__prediction.k"] == 1.5
    assert rows[0]["__at"] == datetime(1970, 1, 1, 0, 0, 0, 10)
    assert [r["__version"] for r in rows] == ["9"] * 9
