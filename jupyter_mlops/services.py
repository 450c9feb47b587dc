"""The composition root: it builds each area once, on first use, and hands it its
collaborators in its constructor. It has no verbs of its own: doors call the areas.

Stores open lazily, so a magic or a CLI call that needs only the configuration touches
no database, and MLflow is imported only by what calls it.
"""

from __future__ import annotations

from functools import lru_cache, partial
from typing import TYPE_CHECKING

from .config import MLOpsConfig, resolve
from .jobs import executors
from .lazy import locked_cached_property
from .store import StateStore

if TYPE_CHECKING:  # imported by the builders below: MLflow costs a second to import
    from .agent import Worker
    from .changes import Changes
    from .features.service import FeatureStore
    from .jobs.lifecycle import ExecutionLifecycle
    from .jobs.service import Jobs
    from .lineage.graph import LineageGraphs
    from .monitoring.service import Monitoring
    from .project import Project
    from .registry.evaluation import Gates
    from .registry.service import Registry
    from .retraining.firings import Firings
    from .runtime.gpus import GpuInventory
    from .scoring.service import Scoring
    from .serving.deployments import Deployments
    from .tracking.service import Tracking
    from .tracking.training_sets import TrainingSetRuns
    from .tuning.service import Tuning


class Services:
    def __init__(
        self,
        config: MLOpsConfig,
        *,
        executor_class: type[executors.Executor] | None = None,
        tracking: Tracking | None = None,
    ):
        self.config = config
        # Where jobs run: an unknown name is refused here, as the configuration is read.
        self.executor_class = executor_class or executors.load(config.executor)
        self.executor_class.check(config)  # e.g. Ray's address: refused now, not per step
        if tracking is not None:  # shared with the Python API (see `default`)
            self.__dict__["tracking"] = tracking

    @classmethod
    def from_env(cls, **overrides) -> Services:
        return cls(resolve(**overrides))

    @locked_cached_property
    def store(self) -> StateStore:
        store = StateStore(self.config.state_url)
        store.migrate()
        return store

    @locked_cached_property
    def project(self) -> Project:
        from .project import Project

        return Project(self.config, self.store, self.executor_class)

    @locked_cached_property
    def gpus(self) -> GpuInventory:
        from .runtime.gpus import GpuInventory

        return GpuInventory(self.config.gpus)

    @locked_cached_property
    def job_gpus(self) -> GpuInventory:
        """The GPUs jobs may ask for: the cluster's where the executor has one."""
        return self.executor_class.inventory(self.config) or self.gpus

    @locked_cached_property
    def tracking(self) -> Tracking:
        from .tracking.service import Tracking

        return Tracking(self.config)

    @locked_cached_property
    def registry(self) -> Registry:
        from .registry.service import Registry

        return Registry(self.tracking)

    @locked_cached_property
    def gates(self) -> Gates:
        from .registry.evaluation import Gates

        def historical(entities, service: str, timestamp_field: str):
            # A holdout from a feature service: the registry does not know the store.
            return self.features.get_historical_features(
                entities, service, timestamp_field=timestamp_field
            )

        return Gates(self.config, self.registry, historical)

    @locked_cached_property
    def changes(self) -> Changes:
        from .changes import Changes

        return Changes(self.tracking, self.store)

    @locked_cached_property
    def training_sets(self) -> TrainingSetRuns:
        from .tracking.training_sets import TrainingSetRuns

        return TrainingSetRuns(self.tracking)

    @locked_cached_property
    def features(self) -> FeatureStore:
        from .features.service import FeatureStore

        return FeatureStore(self.config, self.store, self.training_sets)

    @locked_cached_property
    def job_lifecycle(self) -> ExecutionLifecycle:
        from .jobs.lifecycle import ExecutionLifecycle
        from .jobs.records import JobRecords
        from .tracking.job_runs import JobRuns

        return ExecutionLifecycle(self.config, JobRecords(self.store), JobRuns(self.tracking))

    @locked_cached_property
    def jobs(self) -> Jobs:
        from .jobs.service import Jobs

        return Jobs(self.config, self.job_lifecycle, self.job_gpus, self.executor_class.features)

    @locked_cached_property
    def scoring(self) -> Scoring:
        from .scoring.service import Scoring

        def feature_service(name: str) -> dict:
            return self.features.service_columns(name, field="input.feature_service")

        return Scoring(self.config, self.jobs, self.registry, feature_service)

    @locked_cached_property
    def tuning(self) -> Tuning:
        from .tuning.service import Tuning

        return Tuning(self.config, self.jobs, self.tracking)

    @locked_cached_property
    def deployments(self) -> Deployments:
        from .retraining import rules
        from .serving.deployments import Deployments

        # A trigger names a job: checking it needs jobs, which serving does not know.
        check = partial(rules.check, jobs=self.jobs)
        return Deployments(self.config, self.store, self.registry, self.gpus, check)

    @locked_cached_property
    def monitoring(self) -> Monitoring:
        from .monitoring.reference import References
        from .monitoring.service import Monitoring

        references = References(self.config, self.registry, self.training_sets)
        return Monitoring(self.config.home, self.store, references)

    @locked_cached_property
    def lineage(self) -> LineageGraphs:
        from .lineage.graph import LineageGraphs

        records = self.job_lifecycle.records  # the jobs' records, not a second copy
        return LineageGraphs(self.tracking, self.store, records, self.firings, self.training_sets)

    @locked_cached_property
    def firings(self) -> Firings:
        from .retraining.firings import Firings

        return Firings(self.store)

    def agent_workers(self) -> list[Worker]:
        """The duties of an agent on these services (each door that hosts one uses them):
        the job scheduler, the deployment supervisor, the retraining watcher and the
        search driver."""
        from .jobs.scheduler import JobScheduler
        from .retraining.watcher import RetrainingWatcher
        from .serving.supervisor import DeploymentSupervisor
        from .tuning.driver import SearchDriver

        executor = self.executor_class(self.config)
        return [
            # Before the scheduler: the trials it asks for start in the same tick.
            SearchDriver(self.tuning, self.jobs, self.tracking),
            JobScheduler(self.config, self.job_lifecycle, self.job_gpus, executor),
            DeploymentSupervisor(self.config, self.store),
            RetrainingWatcher(
                self.firings,
                self.jobs,
                self.registry,
                self.deployments,
                self.monitoring,
                gates=self.gates,
            ),
        ]

    def close(self) -> None:
        built = self.__dict__
        if "features" in built:
            built["features"].close()
        if "store" in built:
            built["store"].dispose()


def default() -> Services:
    """The kernel door's services, from the environment the server exported to the
    kernel. They are built on the Python API's tracking (`jupyter_mlops.tracking.default`,
    the one process-wide default), so `%%track`, `%mlops run` and `tracking.log_metrics`
    share runs and metric loggers; forgetting that default forgets these too."""
    from . import tracking

    return _services_on(tracking.default())


@lru_cache(maxsize=1)
def _services_on(shared: Tracking) -> Services:
    return Services(shared.config, tracking=shared)
