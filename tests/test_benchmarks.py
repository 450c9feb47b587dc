"""The benchmarks still run (at --quick size) and report every target. No timing is
judged here: the machines are noisy, and the full runs are for people to read. Jobs,
features and serving are in test_benchmarks_serving.py."""

import pytest
from benchmark_helpers import reports_every_target


@pytest.mark.parametrize(
    "script, targets",
    [
        ("bench_metric_logger.py", {"logger_enqueue", "logger_end_to_end"}),
        ("bench_run_listing.py", {"runs_first_page", "runs_full_listing"}),
        ("bench_ray.py", {"ray_job", "ray_jobs_2"}),
        ("bench_tuning.py", {"tuning_wall_time", "tuning_trial_epochs"}),
        (
            "bench_scoring.py",
            {"scoring_vs_mlflow_cli", "scoring_vs_pandas_loop", "scoring_peak_memory"},
        ),
    ],
)
def test_benchmark_reports_every_target(script, targets, tmp_path):
    reports_every_target(script, targets, tmp_path)
