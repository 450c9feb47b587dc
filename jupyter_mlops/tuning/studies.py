"""Where searches' Optuna studies live, and how one is opened with its sampler and pruner.

Optuna's RDB storage gives its tables generic names (`studies`, `trials`) and versions
them with alembic's default version table, `alembic_version`, which MLflow's tables use
too (the state DB's is `jupyter_mlops_version`), so they get a place of their own:
embedded, a sqlite file beside the state DB (`<home>/optuna.db`); on PostgreSQL, the
same database under a schema of their own (`optuna`). A study is the search's record: its
name is the search id, its user attributes hold the job spec, the search, the parent run
and the status.
"""

from __future__ import annotations

from ..config import MLOpsConfig

SCHEMA = "optuna"


def storage(config: MLOpsConfig):
    """The RDB storage of this project's searches (its tables made on first use)."""
    import optuna
    from sqlalchemy import create_engine, text

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    if config.state_url.startswith("sqlite"):
        return optuna.storages.RDBStorage(
            f"sqlite:///{config.home / 'optuna.db'}",
            engine_kwargs={"connect_args": {"timeout": 30}},
        )
    engine = create_engine(config.state_url)
    try:
        with engine.begin() as connection:
            connection.execute(text(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}"))
    finally:
        engine.dispose()
    return optuna.storages.RDBStorage(
        config.state_url,
        engine_kwargs={"connect_args": {"options": f"-csearch_path={SCHEMA}"}},
    )


def sampler(search: dict, started: int):
    """The search's sampler. Its seed moves on with the trials already asked for, so a
    search resumed after a restart does not draw its first points again."""
    import optuna

    seed = None if search.get("seed") is None else search["seed"] + started
    kind = search["sampler"]
    if kind == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    if kind == "grid":
        grid = {name: d["choices"] for name, d in search["space"].items()}
        return optuna.samplers.GridSampler(grid, seed=seed)
    if kind == "cmaes":
        return optuna.samplers.CmaEsSampler(seed=seed)
    return optuna.samplers.TPESampler(seed=seed)


def pruner(search: dict):
    import optuna

    if search["pruner"] == "median":
        return optuna.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=1)
    if search["pruner"] == "hyperband":
        return optuna.pruners.HyperbandPruner()
    return optuna.pruners.NopPruner()
