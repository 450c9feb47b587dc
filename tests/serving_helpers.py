"""Shared by the serving tests: a project home with models, and the serving process run
as deployments run it (`python -m jupyter_mlops.serving.model_server` on 127.0.0.1)."""

import http.client
import json
import os
import socket
import subprocess
import sys
import time

import mlflow
import pandas as pd
from sklearn.linear_model import LogisticRegression

from jupyter_mlops.config import resolve
from jupyter_mlops.services import Services

SERVER = [sys.executable, "-m", "jupyter_mlops.serving.model_server"]

SLOW_MODEL = '''
import os
import time

import mlflow


class Slow(mlflow.pyfunc.PythonModel):
    """Sleeps x seconds for a frame with x > 0, noting each start in a file."""

    def predict(self, context, model_input, params=None):
        seconds = float(model_input["x"].iloc[0])
        if seconds > 0:
            with open(os.environ["SLOW_STARTS"], "a") as starts:
                starts.write("start\\n")
            time.sleep(seconds)
        return model_input["x"] * 2


mlflow.models.set_model(Slow())
'''


def model_store(root, X, y) -> Services:
    """A project home at `root` holding `bc` (a LogisticRegression on X answering class
    probabilities, so answers compare as floats; alias champion) and `slow`."""
    services = Services(resolve(root_dir=root, environ={}))
    services.tracking.client  # noqa: B018 - our store first, as the server does
    mlflow.set_tracking_uri(services.config.tracking_uri)
    model = LogisticRegression(max_iter=5000).fit(X, y)
    (root / "slow_model.py").write_text(SLOW_MODEL)
    # An explicit experiment: MLflow remembers the last active one across tests.
    experiment_id = services.tracking.experiment_id("serving")
    with mlflow.start_run(experiment_id=experiment_id) as run:
        # Declared requirements: inferring them runs the model in a subprocess (seconds).
        mlflow.sklearn.log_model(
            model,
            name="bc",
            input_example=X.iloc[:3],
            pyfunc_predict_fn="predict_proba",
            pip_requirements=["scikit-learn"],
        )
        mlflow.pyfunc.log_model(
            name="slow",
            python_model=str(root / "slow_model.py"),
            input_example=pd.DataFrame({"x": [0.0]}),
            pip_requirements=["mlflow"],
        )
    services.registry.register(f"runs:/{run.info.run_id}/bc", "bc", alias="champion")
    services.registry.register(f"runs:/{run.info.run_id}/slow", "slow")
    return services


class Server:
    def __init__(self, store, model_uri, *args, env=None):
        self.port = free_port()
        # A file, not a pipe: a pipe nobody reads would block a server that logs much.
        self.log = store.config.root_dir / f"server-{self.port}.log"
        with self.log.open("w") as log:
            self.process = subprocess.Popen(
                [*SERVER, "--model-uri", model_uri, "--port", str(self.port), *args],
                env={**os.environ, **store.config.env(), **(env or {})},
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def exchange(self, method, path, body=None, headers=None, timeout=30):
        """(status, headers with lower-case names, body) of one request."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            answer = response.read()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, answer
        finally:
            connection.close()

    def call(self, method, path, body=None, content_type=None, timeout=30):
        headers = {"Content-Type": content_type} if content_type else {}
        status, _, answer = self.exchange(method, path, body, headers, timeout)
        return status, answer

    def post(self, payload, content_type="application/json"):
        body = payload if isinstance(payload, (str, bytes)) else json.dumps(payload)
        return self.call("POST", "/invocations", body, content_type)

    def answering(self, timeout=30):
        """Wait until the port answers; then the first `/ready` answer (status, body)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                status, body = self.call("GET", "/ready", timeout=1)
                return status, json.loads(body)
            except OSError:
                assert self.process.poll() is None, self.log.read_text()
                assert time.monotonic() < deadline, "the server never answered"
                time.sleep(0.02)

    def wait_ready(self, timeout=60):
        deadline = time.monotonic() + timeout
        while (answer := self.answering())[0] != 200:
            assert time.monotonic() < deadline, f"the server did not become ready: {answer}"
            time.sleep(0.05)
        return answer[1]

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(30)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def payloads(rows: pd.DataFrame) -> dict:
    """name: (body, content type, whether it carries `rows`' values unchanged)."""
    records = rows.to_dict(orient="records")
    split = rows.to_dict(orient="split")
    shuffled = rows[list(reversed(rows.columns))]
    # MLflow's parser reads ints and bools as doubles, and numbers written as strings.
    coerced = [[True, *(int(v) for v in row[1:])] for row in split["data"]]
    return {
        "dataframe_split": ({"dataframe_split": split}, "application/json", True),
        "split, columns reordered": (
            {"dataframe_split": shuffled.to_dict(orient="split")},
            "application/json",
            True,
        ),
        "split, ints and a bool": (
            {"dataframe_split": {"columns": split["columns"], "data": coerced}},
            "application/json; charset=utf-8",
            False,
        ),
        "split, numbers as strings": (
            {"dataframe_split": {**split, "data": [[str(v) for v in r] for r in split["data"]]}},
            "application/json",
            True,
        ),
        "dataframe_records": ({"dataframe_records": records}, "application/json", True),
        "instances": ({"instances": records}, "application/json", True),
        "inputs": ({"inputs": rows.to_dict(orient="list")}, "application/json", True),
        "csv": (rows.to_csv(index=False), "text/csv", True),
    }


def load_registered(services: Services, uri: str):
    """A registered model loaded for the tests' expected answers, from this home's stores
    alone: MLflow 3 reads the tracking store too, and with that URI unset (as each test
    leaves it) it made an empty ./mlflow.db in the working directory."""
    mlflow.set_tracking_uri(services.config.tracking_uri)
    mlflow.set_registry_uri(services.config.tracking_uri)
    return mlflow.pyfunc.load_model(uri)
