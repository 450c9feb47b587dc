"""Listing runs for the panel: jupyter_mlops vs `mlflow.search_runs`.

One experiment with 5,000 runs of 5 params and 5 metrics each, on the embedded
sqlite store. Anchor: `mlflow.search_runs` over all of them (what a notebook user
calls to list runs). Ours: the first page of 100 the panel asks for, and the full
listing, through the same service the REST route calls.

    python benchmarks/bench_run_listing.py [--quick]
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import mlflow
from _common import median_seconds, parser, result, stores
from mlflow import MlflowClient
from mlflow.entities import Metric, Param

from jupyter_mlops.config import resolve
from jupyter_mlops.services import Services


def seed(client: MlflowClient, experiment_id: str, runs: int) -> None:
    now = int(time.time() * 1000)
    for i in range(runs):
        run_id = client.create_run(experiment_id, run_name=f"run-{i}").info.run_id
        client.log_batch(
            run_id,
            metrics=[Metric(f"metric_{k}", i * 0.1 + k, now, 0) for k in range(5)],
            params=[Param(f"param_{k}", str(i % (k + 2))) for k in range(5)],
        )
        client.set_terminated(run_id)


def main() -> None:
    args = parser(__doc__).parse_args()
    runs, repeat = (500, 3) if args.quick else (5_000, 5)
    with tempfile.TemporaryDirectory() as tmp:
        services = Services(resolve(home=Path(tmp) / ".mlops", environ={}, **stores(args)))
        tracking = services.tracking
        client = MlflowClient(tracking.config.tracking_uri)
        experiment_id = tracking.experiment_id("listing")
        start = time.perf_counter()
        seed(client, experiment_id, runs)
        print(f"seeded {runs:,} runs in {time.perf_counter() - start:.1f}s")
        mlflow.set_tracking_uri(tracking.config.tracking_uri)

        anchor = median_seconds(lambda: mlflow.search_runs([experiment_id]), repeat)
        listed = len(tracking.all_runs(experiment_id))
        assert listed == len(mlflow.search_runs([experiment_id])) == runs, listed
        first_page = median_seconds(lambda: tracking.runs(experiment_id, max_results=100), repeat)
        full = median_seconds(lambda: tracking.all_runs(experiment_id), repeat)
        services.close()

    ms = 1e3
    result(
        "runs_first_page",
        first_page * ms,
        anchor * ms,
        "ms",
        "ratio>=10",
        anchor / first_page >= 10,
    )
    result("runs_full_listing", full * ms, anchor * ms, "ms", "ratio>=4", anchor / full >= 4)


if __name__ == "__main__":
    main()
