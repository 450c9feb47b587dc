"""Hyperparameter search: jupyter_mlops' search (the agent's search driver and job
scheduler, warm pool of 2, TPE and the median pruner, one trial at a time) vs the same
search written as a plain Optuna loop calling papermill per trial (the anchor: TPE, no
pruning, since papermill runs a notebook to its end).

The toy notebook trains for `epochs` epochs of `epoch_seconds` each (1 s; 0.1 s with
--quick), logging `loss = |x - 2| + 1 / (epoch + 1)` by step, so a bad `x` stays bad and
a pruner can tell early. 40 trials (4 with --quick) of x in [-5, 5], seed 7, on each
side. Reported: the wall time to the last trial, the best value each reached, and the
trial-epochs run (ours: the steps its trials logged; the anchor: every epoch of every
trial): targets, ours within 1.1x of the anchor's wall time, and pruning saving 30% of
the trial-epochs.

    python benchmarks/bench_tuning.py [--quick]
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

import mlflow
import nbformat
import optuna
import papermill
from _common import parser, result

from jupyter_mlops.config import resolve
from jupyter_mlops.services import Services

TRAIN = (
    "import time\nimport mlflow\n"
    "for epoch in range(epochs):\n"
    "    time.sleep(epoch_seconds)\n"
    "    mlflow.log_metric('loss', abs(x - 2.0) + 1.0 / (epoch + 1), step=epoch)\n"
)


def write_notebook(path: Path, epochs: int, seconds: float) -> None:
    nb = nbformat.v4.new_notebook()
    parameters = nbformat.v4.new_code_cell(f"x = 0.0\nepochs = {epochs}\nepoch_seconds = {seconds}")
    parameters.metadata["tags"] = ["parameters"]
    nb.cells = [parameters, nbformat.v4.new_code_cell(TRAIN)]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, path)


def ours(root: Path, trials: int) -> tuple[float, float, int]:
    services = Services(resolve(root_dir=root, gpus=[], job_pool_size=2, environ={}))
    workers = {w.name: w for w in services.agent_workers()}
    started = time.perf_counter()
    search_id = services.tuning.submit(
        {
            "notebook": "toy.ipynb",
            "search": {
                "metric": "loss",
                "space": {"x": {"low": -5.0, "high": 5.0}},
                "trials": trials,
                "parallel": 1,
                "sampler": "tpe",
                "pruner": "median",
                "seed": 7,
            },
        }
    )["search"]["id"]
    try:
        while services.tuning.search(search_id)["status"] != "finished":
            workers["tuning"].tick()
            workers["jobs"].tick()
            time.sleep(0.5)  # the agent's own pace (its interval is 1 s; woken by submits)
        seconds = time.perf_counter() - started
    finally:
        workers["jobs"].close()
    search = services.tuning.search(search_id)
    client = services.tracking.client
    epochs = sum(
        len(client.get_metric_history(t["run_id"], "loss")) for t in search["trials"] if t["run_id"]
    )
    print(f"ours: {search['counts']}")
    services.close()
    return seconds, search["best"]["value"], epochs


def anchor(root: Path, trials: int, epochs: int) -> tuple[float, float, int]:
    mlflow.set_tracking_uri(f"sqlite:///{root / 'anchor.db'}")
    client = mlflow.MlflowClient()
    experiment = client.create_experiment("anchor")

    def objective(trial: optuna.Trial) -> float:
        x = trial.suggest_float("x", -5.0, 5.0)
        run = client.create_run(experiment)
        os.environ["MLFLOW_RUN_ID"] = run.info.run_id  # the kernel papermill starts sees it
        papermill.execute_notebook(
            str(root / "toy.ipynb"),
            str(root / f"anchor-{trial.number}.ipynb"),
            parameters={"x": x},
            kernel_name="python3",
            progress_bar=False,
        )
        return client.get_run(run.info.run_id).data.metrics["loss"]

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=7))
    started = time.perf_counter()
    study.optimize(objective, n_trials=trials)
    os.environ.pop("MLFLOW_RUN_ID", None)
    return time.perf_counter() - started, study.best_value, trials * epochs


def main() -> int:
    args = parser(__doc__.splitlines()[0]).parse_args()
    trials, epochs, seconds = (4, 3, 0.1) if args.quick else (40, 5, 1.0)
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        write_notebook(root / "toy.ipynb", epochs, seconds)
        (root / "ours").mkdir()
        write_notebook(root / "ours" / "toy.ipynb", epochs, seconds)
        anchor_seconds, anchor_best, anchor_epochs = anchor(root, trials, epochs)
        ours_seconds, ours_best, ours_epochs = ours(root / "ours", trials)
    print(f"{trials} trials of {epochs} epochs of {seconds} s")
    print(f"  ours:   {ours_seconds:7.1f} s, best loss {ours_best:.4f}, {ours_epochs} trial-epochs")
    print(
        f"  anchor: {anchor_seconds:7.1f} s, best loss {anchor_best:.4f}, "
        f"{anchor_epochs} trial-epochs"
    )
    result(
        "tuning_wall_time",
        ours_seconds,
        anchor_seconds,
        "s",
        "<=1.1x",
        ours_seconds <= 1.1 * anchor_seconds,
    )
    result(
        "tuning_trial_epochs",
        ours_epochs,
        anchor_epochs,
        "",
        ">=30%_saved",
        ours_epochs <= 0.7 * anchor_epochs,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
