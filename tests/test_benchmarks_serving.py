"""The benchmarks of jobs, features and serving still run (at --quick size) and report
every target (see test_benchmarks.py)."""

import pytest
from benchmark_helpers import reports_every_target


@pytest.mark.parametrize(
    "script, targets",
    [
        (
            "bench_jobs.py",
            {"job_submit_to_finished", "job_submit_to_finished_no_pool", "jobs_4_concurrency_2"},
        ),
        (
            "bench_features.py",
            {
                "pit_join_vs_pandas",
                "pit_join_vs_duckdb",
                "pit_join_ties_vs_pandas",
                "online_lookup_p99_in_process",
                "online_lookup_p99_rest",
            },
        ),
        (
            "bench_serving.py",
            {
                "serving_throughput",
                "serving_p99",
                "serving_batch_1000",
                "serving_throughput_logging_on",
                "serving_p99_logging_on",
                "serving_logging_overhead",
                "deployment_throughput",
                "deployment_p99",
            },
        ),
        ("bench_serving_restart.py", {"serving_kill_under_load"}),
    ],
)
def test_benchmark_reports_every_target(script, targets, tmp_path):
    reports_every_target(script, targets, tmp_path)
