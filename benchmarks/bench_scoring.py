"""Batch scoring: jupyter_mlops' scorer vs `mlflow models predict` (MLflow's own batch CLI)
and vs a hand-written pandas loop in chunks, on one CSV of N rows x 30 features
(5,000,000 rows; 200,000 with --quick) and one scikit-learn model (a Ridge regression,
logged with its signature, registered as `models:/scorer/1` in a temporary sqlite store).

Each contender runs as a process of its own, from its start to its output written, so
each pays its imports and model load: ours (`jupyter_mlops.scoring.batch.score`, 100,000
rows a batch, parquet parts), MLflow's CLI (`--env-manager local`, JSON out), and the
pandas loop (`read_csv(chunksize=100_000)`, predict, parquet). Peak memory is each
process's maximum resident set (from wait4), against a process that loads the whole
input with pandas and predicts it at once. All must give the same predictions, else the
benchmark exits non-zero. A last process only reads the CSV with pyarrow (no model, no
output): no CSV scorer can beat it, so it says how far the ratio to MLflow's CLI can go.

    python benchmarks/bench_scoring.py [--quick]
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
from _common import parser, result
from mlflow.models import infer_signature
from sklearn.linear_model import Ridge

FEATURES = [f"x{i}" for i in range(30)]
BATCH = 100_000

OURS = """
import sys
from pathlib import Path
import mlflow
from jupyter_mlops.scoring.batch import score
model = mlflow.pyfunc.load_model(sys.argv[1])
score(model, Path(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4]))
"""

PANDAS_LOOP = """
import sys
from pathlib import Path
import mlflow, pandas as pd
model = mlflow.pyfunc.load_model(sys.argv[1])
out = Path(sys.argv[3]); out.mkdir()
for index, chunk in enumerate(pd.read_csv(sys.argv[2], chunksize=int(sys.argv[4]))):
    frame = chunk[["id"]].copy()
    frame["prediction"] = model.predict(chunk.drop(columns=["id"]))
    frame.to_parquet(out / f"part-{index:05d}.parquet", index=False)
"""

# The floor under any CSV scorer here: pyarrow reading the CSV on every core, no model,
# no output. Ours cannot be faster than this, which bounds the ratio to MLflow's CLI.
READ_ONLY = """
import sys
import pyarrow.dataset as ds
for batch in ds.dataset(sys.argv[1], format="csv").to_batches():
    pass
"""

WHOLE = """
import sys
import mlflow, pandas as pd
model = mlflow.pyfunc.load_model(sys.argv[1])
data = pd.read_csv(sys.argv[2])
model.predict(data.drop(columns=["id"]))
"""


def write_input(path: Path, rows: int) -> None:
    """The CSV, written in slices so this process stays small."""
    rng = np.random.default_rng(7)
    with pacsv.CSVWriter(
        path, pa.schema([("id", pa.int64())] + [(f, pa.float64()) for f in FEATURES])
    ) as writer:
        for start in range(0, rows, 500_000):
            count = min(500_000, rows - start)
            columns = {"id": np.arange(start, start + count)}
            columns.update({f: rng.normal(size=count) for f in FEATURES})
            writer.write_table(pa.table(columns))


def timed(argv: list[str], env: dict) -> tuple[float, int]:
    """(seconds, peak RSS in bytes) of a process run to its end."""
    started = time.perf_counter()
    process = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise SystemExit(f"{argv[:4]} failed: {process.stderr.read().decode()[-2000:]}")
    return seconds, usage.ru_maxrss * 1024


def main() -> int:
    args = parser(__doc__.splitlines()[0]).parse_args()
    rows = 200_000 if args.quick else 5_000_000
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        uri = f"sqlite:///{work / 'mlflow.db'}"
        mlflow.set_tracking_uri(uri)
        rng = np.random.default_rng(0)
        train = pd.DataFrame(rng.normal(size=(5_000, 30)), columns=FEATURES)
        model = Ridge().fit(train, train.sum(axis=1) + rng.normal(size=5_000))
        with mlflow.start_run() as run:
            mlflow.sklearn.log_model(
                model,
                name="model",
                signature=infer_signature(train, model.predict(train)),
                pip_requirements=["scikit-learn"],
            )
        mlflow.register_model(f"runs:/{run.info.run_id}/model", "scorer")
        data = work / "input.csv"
        write_input(data, rows)
        print(f"{rows:,} rows x 30 features: {data.stat().st_size / 2**20:,.0f} MiB of CSV")

        env = {**os.environ, "MLFLOW_TRACKING_URI": uri, "PYTHONWARNINGS": "ignore"}
        python = [sys.executable, "-c"]
        model_uri = "models:/scorer/1"
        ours = timed([*python, OURS, model_uri, str(data), str(work / "ours"), str(BATCH)], env)
        mlflow_cli = timed(
            [
                str(Path(sys.executable).parent / "mlflow"),
                "models",
                "predict",
                "-m",
                model_uri,
                "-i",
                str(data),
                "-o",
                str(work / "mlflow.json"),
                "-t",
                "csv",
                "--env-manager",
                "local",
            ],
            env,
        )
        loop = timed(
            [*python, PANDAS_LOOP, model_uri, str(data), str(work / "loop"), str(BATCH)], env
        )
        whole = timed([*python, WHOLE, model_uri, str(data)], env)
        floor = timed([*python, READ_ONLY, str(data)], env)

        scored = pd.read_parquet(work / "ours")
        looped = pd.read_parquet(work / "loop")
        answered = json.loads((work / "mlflow.json").read_text())["predictions"]
        same = (
            scored["id"].tolist() == looped["id"].tolist()
            and np.allclose(scored["prediction"], looped["prediction"])
            and np.allclose(scored["prediction"], np.asarray(answered, dtype=float))
        )
        print(f"same predictions for {len(scored):,} rows in all three: {same}")
        for name, (seconds, peak) in (
            ("ours", ours),
            ("mlflow models predict", mlflow_cli),
            ("pandas loop", loop),
            ("pandas whole input", whole),
            ("reading the CSV alone", floor),
        ):
            print(f"  {name:>22}: {seconds:7.2f} s, peak {peak / 2**20:7.0f} MiB")
        print(
            f"the most any CSV scorer could reach here: {mlflow_cli[0] / floor[0]:.2f}x "
            f"MLflow's CLI (its time over reading the CSV alone); ours: "
            f"{mlflow_cli[0] / ours[0]:.2f}x"
        )

    result(
        "scoring_vs_mlflow_cli", ours[0], mlflow_cli[0], "s", ">=3x", mlflow_cli[0] >= 3 * ours[0]
    )
    result("scoring_vs_pandas_loop", ours[0], loop[0], "s", ">=1x", loop[0] >= ours[0])
    mib = 2**20
    result(
        "scoring_peak_memory", ours[1] / mib, whole[1] / mib, "MiB", ">=4x", whole[1] >= 4 * ours[1]
    )
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
