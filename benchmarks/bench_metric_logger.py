"""Metric logging in a training loop: jupyter_mlops' batched logger vs MLflow.

Anchor: a loop of `mlflow.log_metric` (one synchronous write per point) on the
embedded sqlite store, measured on 2,000 points. Ours: 100,000 points (10 metrics
x 10,000 steps) through `MetricLogger`; the loop's cost per point is the enqueue,
the end-to-end cost includes writing everything and counting it back from MLflow.
MLflow's own batch API (`log_batch`, 1,000 points a call) is printed for reference.

    python benchmarks/bench_metric_logger.py [--quick]
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import mlflow
from _common import parser, result, stores
from mlflow import MlflowClient
from mlflow.entities import Metric

from jupyter_mlops.config import resolve
from jupyter_mlops.services import Services

METRICS = 10


def main() -> None:
    args = parser(__doc__).parse_args()
    steps, anchor_points = (1_000, 300) if args.quick else (10_000, 2_000)
    points = steps * METRICS
    with tempfile.TemporaryDirectory() as tmp:
        services = Services(resolve(home=Path(tmp) / ".mlops", environ={}, **stores(args)))
        tracking = services.tracking
        client = MlflowClient(tracking.config.tracking_uri)
        experiment_id = tracking.experiment_id("bench")
        mlflow.set_tracking_uri(tracking.config.tracking_uri)

        # Anchor: one mlflow.log_metric call per point.
        with mlflow.start_run(experiment_id=experiment_id):
            start = time.perf_counter()
            for i in range(anchor_points):
                mlflow.log_metric(f"m{i % METRICS}", i * 0.5, step=i // METRICS)
            anchor = (time.perf_counter() - start) / anchor_points

        # Reference: MLflow's batch API, 1,000 points a call.
        batch_run = client.create_run(experiment_id).info.run_id
        now = int(time.time() * 1000)
        batch = [Metric(f"m{i % METRICS}", i * 0.5, now, i // METRICS) for i in range(10_000)]
        start = time.perf_counter()
        for offset in range(0, len(batch), 1_000):
            client.log_batch(batch_run, metrics=batch[offset : offset + 1_000])
        log_batch = (time.perf_counter() - start) / len(batch)

        # Ours: enqueue in the loop, then flush and count back.
        run_id = client.create_run(experiment_id).info.run_id
        logger = tracking.metric_logger(run_id)
        keys = [f"m{k}" for k in range(METRICS)]
        start = time.perf_counter()
        for step in range(steps):
            logger.log_metrics({key: step * 0.5 for key in keys}, step=step)
        enqueue = (time.perf_counter() - start) / points
        logger.flush(timeout=600)
        end_to_end = (time.perf_counter() - start) / points
        counted = sum(len(client.get_metric_history(run_id, key)) for key in keys)
        lost = points - counted
        services.close()

    us = 1e6
    print(f"points: ours {points:,} ({lost} lost), anchor {anchor_points:,}")
    print(f"mlflow.log_batch reference: {log_batch * us:.1f} us/point")
    result("logger_enqueue", enqueue * us, anchor * us, "us", "ours<=10us", enqueue * us <= 10)
    result(
        "logger_end_to_end",
        end_to_end * us,
        anchor * us,
        "us",
        "ratio>=100,lost=0",
        anchor / end_to_end >= 100 and lost == 0,
    )


if __name__ == "__main__":
    main()
