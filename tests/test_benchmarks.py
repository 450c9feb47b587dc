"""The benchmarks still run (at --quick size) and report every target. No timing is
judged here: the machines are noisy, and the full runs are for people to read."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).parents[1] / "benchmarks"
RESULT = re.compile(r"^RESULT (\w+): ours=\S+ anchor=\S+ ratio=\S+ target=\S+ (met|missed)$")


@pytest.mark.parametrize(
    "script, targets",
    [
        ("bench_metric_logger.py", {"logger_enqueue", "logger_end_to_end"}),
        ("bench_run_listing.py", {"runs_first_page", "runs_full_listing"}),
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
        ("bench_ray.py", {"ray_job", "ray_jobs_2"}),
        ("bench_tuning.py", {"tuning_wall_time", "tuning_trial_epochs"}),
        (
            "bench_scoring.py",
            {"scoring_vs_mlflow_cli", "scoring_vs_pandas_loop", "scoring_peak_memory"},
        ),
    ],
)
def test_benchmark_reports_every_target(script, targets, tmp_path):
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / script), "--quick"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    reported = {m[1] for line in done.stdout.splitlines() if (m := RESULT.match(line))}
    assert reported == targets
    if script == "bench_metric_logger.py":
        assert "(0 lost)" in done.stdout
    if script == "bench_serving.py":  # it exits non-zero on different predictions
        assert "same predictions for 10 rows" in done.stdout
    if script == "bench_serving_restart.py":  # both deployments were killed under load
        assert done.stdout.count("requests failed in the 5 s after the kill") == 2
    if script == "bench_scoring.py":  # it exits non-zero on different predictions
        assert "in all three: True" in done.stdout
    if script == "bench_features.py":  # its correctness checks ran (they exit non-zero)
        assert done.stdout.count("same values as pandas") == 2
