"""The serving process: one model behind HTTP until SIGTERM.

    python -m jupyter_mlops.serving.model_server --model-uri models:/churn@champion \\
        --host 127.0.0.1 --port 8080 [--request-timeout 30] [--name churn] \\
        [--log-dir PATH]

The tracking and registry URI come from the environment, resolved as every door
resolves them (`MLFLOW_TRACKING_URI`, else the project's home). A model that cannot be
loaded ends the process with status 1 and one line on stderr saying why. SIGTERM stops
accepting connections, answers the requests in flight, writes the predictions not yet
logged (with --log-dir: see prediction_log.py), and exits 0.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
from pathlib import Path

import uvicorn

from ..config import resolve
from ..errors import MLOpsError
from .model_app import DEFAULT_MAX_BODY_MB, DEFAULT_THREADS, DEFAULT_TIMEOUT, ServingApp


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        project = resolve()
    except MLOpsError as err:
        print(f"error: {err.message}", file=sys.stderr, flush=True)
        return 2
    # Progress bars would fill the serving log with carriage returns.
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    workdir = tempfile.TemporaryDirectory(prefix="mlops-serving-")

    def load():
        # MLflow: imported while /health already answers.
        from ..registry.service import Registry
        from ..tracking.service import Tracking
        from .predictor import Predictor

        return Predictor.load(args.model_uri, Registry(Tracking(project)), Path(workdir.name))

    failure: list[str] = []
    app = ServingApp(
        args.model_uri,
        load,
        name=args.name,
        request_timeout=args.request_timeout,
        threads=args.threads,
        max_body_mb=args.max_body_mb,
        log_dir=args.log_dir,
    )
    config = uvicorn.Config(
        app.asgi,
        host=args.host,
        port=args.port,
        # uvloop and httptools when installed, else asyncio and h11.
        loop="auto",
        http="auto",
        lifespan="on",
        # One log line a request costs more than a small model's prediction.
        access_log=False,
        log_level="warning",
        timeout_graceful_shutdown=None,  # in-flight requests end by their own timeout
    )
    server = _Server(config)

    def fatal(message: str) -> None:
        failure.append(message)
        server.should_exit = True

    app.on_fatal = fatal
    try:
        server.run()
    finally:
        workdir.cleanup()
    if failure:
        print(f"error: {failure[0]}", file=sys.stderr, flush=True)
        return 1
    return 0


class _Server(uvicorn.Server):
    def handle_exit(self, sig, frame) -> None:
        super().handle_exit(sig, frame)
        # uvicorn re-raises the signal it stopped on once it has shut down, so the process
        # would end killed by SIGTERM; a graceful stop is a normal exit, status 0.
        getattr(self, "_captured_signals", []).clear()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m jupyter_mlops.serving.model_server",
        description="Serve one MLflow model over HTTP (MLflow's /invocations formats).",
    )
    parser.add_argument("--model-uri", required=True, help="models:/name@alias, runs:/id/name")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument(
        "--request-timeout",
        type=_positive,
        default=DEFAULT_TIMEOUT,
        help="seconds a prediction may take before the request answers 503",
    )
    parser.add_argument(
        "--max-body-mb",
        type=_positive,
        default=DEFAULT_MAX_BODY_MB,
        help="a larger request body is refused with 413 before it is held in memory",
    )
    parser.add_argument("--name", help="the deployment's name, shown by /ready")
    parser.add_argument(
        "--threads", type=int, default=DEFAULT_THREADS, help="predictions run at once"
    )
    parser.add_argument(
        "--log-dir",
        type=Path,
        help="log every prediction as parquet under this folder (none when absent)",
    )
    return parser


def _positive(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError("must be more than 0")
    return value


if __name__ == "__main__":
    sys.exit(main())
