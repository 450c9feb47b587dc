"""Running a benchmark at --quick size and checking what it reports (the benchmarks are
split over two test files so that parallel workers share them out)."""

import re
import subprocess
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).parents[1] / "benchmarks"
RESULT = re.compile(r"^RESULT (\w+): ours=\S+ anchor=\S+ ratio=\S+ target=\S+ (met|missed)$")


def reports_every_target(script: str, targets: set[str], tmp_path: Path) -> None:
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
