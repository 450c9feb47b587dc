"""The serving process, run as deployments run it: `python -m jupyter_mlops.serving.model_server`
on 127.0.0.1 against a temporary tracking store. No mocks of loading, HTTP or MLflow.

Each server loads MLflow and a model (seconds), so the module starts few and in parallel.
"""

import http.client
import json
import signal
import threading
import time

import pytest
from mlflow.pyfunc import scoring_server
from serving_helpers import Server, load_registered, model_store, payloads
from sklearn.datasets import load_breast_cancer

MARKER = "zq-marker-77"  # a value no answer may quote back


@pytest.fixture(scope="module")
def data():
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    return X, y


@pytest.fixture(scope="module")
def store(tmp_path_factory, data):
    """A project home holding `bc` (probabilities, so answers compare as floats) and `slow`."""
    services = model_store(tmp_path_factory.mktemp("serving"), *data)
    yield services
    services.close()


@pytest.fixture(scope="module")
def servers(store):
    """The servers start together: loading MLflow is most of the wait."""
    started = {
        "bc": Server(store, "models:/bc@champion", "--name", "bc"),
        "slow": Server(
            store,
            "models:/slow/1",
            "--request-timeout",
            "2",
            "--max-body-mb",
            "1",
            env={"SLOW_STARTS": str(store.config.root_dir / "starts.txt")},
        ),
        "missing": Server(store, "models:/no-such-model@champion"),
    }
    # Asked as soon as it answers: loading MLflow and the model takes seconds.
    started["bc"].first_ready = started["bc"].answering()
    yield started
    for server in started.values():
        server.stop()


@pytest.fixture(scope="module")
def bc(servers):
    servers["bc"].wait_ready()
    return servers["bc"]


def test_a_model_that_cannot_load_exits_1_with_one_line(servers):
    """It serves /health while it loads (before MLflow is even imported), then gives up.
    First in the module: the servers start together, and this one is still loading."""
    server = servers["missing"]
    status, body = server.answering()
    assert status == 503 and body["reason"] == "loading the model"
    assert server.call("GET", "/health") == (200, b'{"status":"ok"}')
    status, body = server.post({"dataframe_split": {"columns": [], "data": []}})
    assert status == 503 and json.loads(body)["code"] == "not_ready"

    assert server.process.wait(60) == 1
    lines = server.log.read_text().strip().splitlines()
    assert lines[-1].startswith("error: cannot load model models:/no-such-model@champion: ")
    assert "no-such-model" in lines[-1].split(": ", 2)[2], lines[-1]
    assert not any("Traceback" in line for line in lines), lines


def test_ready_only_after_the_test_prediction(bc):
    status, body = bc.first_ready
    assert status == 503 and body["ready"] is False and body["reason"]
    status, body = bc.call("GET", "/ready")
    assert status == 200
    assert json.loads(body) == {
        "ready": True,
        "name": "bc",
        "model_uri": "models:/bc@champion",
        "model_version": "1",
        "run_id": json.loads(body)["run_id"],
    }
    assert bc.call("GET", "/health") == (200, b'{"status":"ok"}')


def test_every_format_answers_mlflows_predictions(bc, store, data):
    X, _ = data
    rows = X.sample(25, random_state=3)
    model = load_registered(store, "models:/bc/1")
    expected = model.predict(rows).tolist()
    schema = model.metadata.get_input_schema()
    for name, (payload, content_type, unchanged) in payloads(rows).items():
        body = payload if isinstance(payload, str) else json.dumps(payload)
        status, answer = bc.post(body, content_type)
        assert status == 200, (name, answer)
        if unchanged:
            assert json.loads(answer)["predictions"] == expected, name
        # ...and what MLflow's own scoring server answers to the same body.
        mlflows = scoring_server.invocations(body, content_type, model, schema)
        assert json.loads(answer) == json.loads(mlflows.response), name


def test_a_thousand_rows(bc, data):
    X, _ = data
    rows = X.sample(1000, replace=True, random_state=0)
    status, answer = bc.post({"dataframe_split": rows.to_dict(orient="split")})
    assert status == 200
    assert len(json.loads(answer)["predictions"]) == 1000


def test_bad_bodies_are_refused_naming_the_problem(bc, data):
    X, _ = data
    row = X.iloc[:1]
    split = row.to_dict(orient="split")
    wrong_type = {**split, "data": [[MARKER, *split["data"][0][1:]]]}
    cases = [
        ('{"dataframe_split": ', "application/json", 400, "not valid JSON"),
        (json.dumps([MARKER]), "application/json", 400, "JSON object"),
        ('{"a":' * 100_000 + "1" + "}" * 100_000, "application/json", 400, "nested too deeply"),
        (json.dumps({"rows": [MARKER]}), "application/json", 400, "dataframe_split"),
        (
            json.dumps({"dataframe_split": row.drop(columns="mean area").to_dict(orient="split")}),
            "application/json",
            400,
            "missing column 'mean area'",
        ),
        (
            json.dumps({"dataframe_records": row.drop(columns="worst radius").to_dict("records")}),
            "application/json",
            400,
            "missing column 'worst radius'",
        ),
        (json.dumps({"dataframe_split": wrong_type}), "application/json", 400, "'mean radius'"),
        # A null where the model takes numbers: was "the model could not predict (ValueError)".
        (
            json.dumps({"dataframe_split": {**split, "data": [[None, *split["data"][0][1:]]]}}),
            "application/json",
            400,
            "column 'mean radius' holds a null",
        ),
        (
            json.dumps({"dataframe_records": [{**row.iloc[0].to_dict(), "mean area": MARKER}]}),
            "application/json",
            400,
            "'mean area'",
        ),
        (
            row.assign(**{"mean texture": MARKER}).to_csv(index=False),
            "text/csv",
            400,
            "'mean texture'",
        ),
        (json.dumps({"dataframe_split": split}), "text/plain", 415, "Content-Type"),
        (json.dumps({"dataframe_split": split}), "application/json; charset=latin-1", 415, "utf-8"),
        (json.dumps({"dataframe_split": split}), None, 415, "Content-Type"),
    ]
    for body, content_type, status, named in cases:
        got, answer = bc.call("POST", "/invocations", body, content_type)
        assert got == status, (body[:80], answer)
        message = json.loads(answer)["message"]
        assert named in message, message
        text = answer.decode()
        assert MARKER not in text and "Traceback" not in text and "File " not in text, text


def test_a_slow_prediction_answers_503_at_the_request_timeout(servers):
    slow = servers["slow"]
    slow.wait_ready()
    started = time.monotonic()
    status, answer = slow.post({"dataframe_split": {"columns": ["x"], "data": [[3.5]]}})
    assert status == 503
    assert "longer than 2 s" in json.loads(answer)["message"]
    assert 1.9 < time.monotonic() - started < 3.4
    time.sleep(1.6)  # the abandoned prediction ends before the next test counts starts


def test_a_body_over_the_limit_is_413_before_it_is_read(servers):
    """`slow` takes at most 1 MiB: a larger body is refused by its length, and a chunked
    one (no length) as soon as what was read passes it; a body under it still predicts."""
    slow = servers["slow"]
    slow.wait_ready()
    big = b"x\n" + b"1.5\n" * 300_000  # 1.2 MB of CSV
    status, answer = slow.call("POST", "/invocations", big, "text/csv")
    assert status == 413
    assert "larger than 1 MiB" in json.loads(answer)["message"]

    connection = http.client.HTTPConnection("127.0.0.1", slow.port, timeout=30)
    try:
        chunks = (big[i : i + 65536] for i in range(0, len(big), 65536))
        connection.request(
            "POST",
            "/invocations",
            body=chunks,
            headers={"Content-Type": "text/csv"},
            encode_chunked=True,
        )
        response = connection.getresponse()
        assert response.status == 413
        assert "max_body_mb" in json.loads(response.read())["message"]
    finally:
        connection.close()

    status, answer = slow.post({"dataframe_split": {"columns": ["x"], "data": [[0.0]]}})
    assert status == 200, answer


def test_sigterm_answers_every_request_in_flight_and_exits_0(servers, store):
    slow = servers["slow"]
    slow.wait_ready()
    starts = store.config.root_dir / "starts.txt"
    starts.write_text("")
    answers = []

    def one():
        answers.append(slow.post({"dataframe_split": {"columns": ["x"], "data": [[1.5]]}}))

    threads = [threading.Thread(target=one) for _ in range(20)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 10
    while starts.read_text().count("start") < 20 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert starts.read_text().count("start") == 20  # all 20 inside the model
    slow.process.send_signal(signal.SIGTERM)
    time.sleep(0.3)
    with pytest.raises(OSError):  # no longer accepting
        slow.call("GET", "/health", timeout=1)
    for thread in threads:
        thread.join(15)
    assert slow.process.wait(15) == 0
    assert len(answers) == 20
    assert all(status == 200 for status, _ in answers), answers
    assert all(json.loads(body) == {"predictions": [{"x": 3.0}]} for _, body in answers)
