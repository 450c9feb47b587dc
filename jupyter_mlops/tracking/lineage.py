"""Lineage tags: one format, set by every door, so a model version leads back to its
run, its notebook, its job and its inputs. Documented in the README."""

from __future__ import annotations

SOURCE_NOTEBOOK = "mlops.source.notebook"  # server-root-relative path of the notebook
SNAPSHOT = "mlops.source.snapshot"  # artifact path of the notebook snapshot in the run
# What the snapshot was made from: "kernel history" (what ran) or "saved file".
SNAPSHOT_FROM = "mlops.source.snapshot_from"
JOB_ID = "mlops.job.id"  # set when the run is a job execution
# On a job's run, which of its logged params the execution set (the rest are the
# parameters cell's defaults), comma-separated.
PARAMS_OVERRIDDEN = "mlops.params.overridden"
HOME = "mlops.home"
KERNEL = "mlops.kernel"
PYTHON = "mlops.python"
GIT_COMMIT = "mlops.git.commit"
GIT_DIRTY = "mlops.git.dirty"
RUN_ID = "mlops.run_id"  # on a model version: the run it was registered from
# Comma-separated `view@version`s a run's training sets came from (see training_sets.py).
FEATURES = "mlops.features"
# A search's runs: its id on the parent and each trial, the trial's number, and the
# metric it optimizes on the parent (read by `tracking.report` in a trial).
SEARCH = "mlops.search.id"
SEARCH_TRIAL = "mlops.search.trial"
SEARCH_METRIC = "mlops.search.metric"
TRAINING_SET = "features/training_set.json"  # the record of the last training set
SAMPLE_DIR, SAMPLE_FILE = "features", "training_sample.parquet"
SAMPLE = f"{SAMPLE_DIR}/{SAMPLE_FILE}"  # a sample of it: monitoring's reference

# MLflow's own tags, set alongside so MLflow's UI shows the same source.
MLFLOW_SOURCE_NAME = "mlflow.source.name"
MLFLOW_SOURCE_TYPE = "mlflow.source.type"
MLFLOW_GIT_COMMIT = "mlflow.source.git.commit"
DESCRIPTION = "mlflow.note.content"  # a run's description, as MLflow's UI edits it
# MLflow's tags too large for lists of runs (a model's history, a long note); one run's
# answer keeps them.
HEAVY_TAGS = ("mlflow.log-model.history", DESCRIPTION)

# Copied from a run onto the model versions registered from it.
INHERITED_BY_MODELS = (SOURCE_NOTEBOOK, JOB_ID, FEATURES, GIT_COMMIT)
