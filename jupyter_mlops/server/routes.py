"""The route table: every REST route of the extension, in one place.

Patterns are relative to the server's base URL (ExtensionApp prepends it). Tornado
URL-decodes the named groups before they reach the handlers.
"""

from .handlers.deployments import (
    DeploymentHandler,
    DeploymentsHandler,
    EventsHandler,
    MetricsHandler,
    PredictHandler,
    PromoteHandler,
    RollbackHandler,
)
from .handlers.features import (
    EntitiesHandler,
    FeatureSampleHandler,
    FeatureServicesHandler,
    FeatureSnippetHandler,
    FeatureUsageHandler,
    FeatureViewHandler,
    FeatureViewsHandler,
    MaterializeHandler,
    OnlineFeaturesHandler,
)
from .handlers.jobs import (
    CancelHandler,
    DefinitionsHandler,
    ExecutionHandler,
    ExecutionsHandler,
    GpusHandler,
    LogHandler,
    ParametersHandler,
    RerunHandler,
    SubmitHandler,
)
from .handlers.monitoring import (
    DriftHandler,
    LabelsHandler,
    PerformanceHandler,
    TriggersHandler,
)
from .handlers.registry import AliasHandler, ModelsHandler, VersionsHandler, VersionTagHandler
from .handlers.schemas import SchemaHandler
from .handlers.status import StatusHandler
from .handlers.tracking import (
    ArtifactContentHandler,
    ArtifactsHandler,
    CompareHandler,
    ExperimentsHandler,
    MetricHistoryHandler,
    RunHandler,
    RunsHandler,
)

API_PREFIX = "/mlops/api"
_ID = r"(?P<{}>[^/]+)"
RUN = _ID.format("run_id")
EXECUTION = _ID.format("execution_id")
MODEL = _ID.format("name")
VIEW = _ID.format("name")
DEPLOYMENT = _ID.format("name")

ROUTES = [
    (rf"{API_PREFIX}/status", StatusHandler),
    (rf"{API_PREFIX}/schemas/{_ID.format('name')}", SchemaHandler),
    (rf"{API_PREFIX}/features/views", FeatureViewsHandler),
    (rf"{API_PREFIX}/features/views/{VIEW}", FeatureViewHandler),
    (rf"{API_PREFIX}/features/views/{VIEW}/sample", FeatureSampleHandler),
    (rf"{API_PREFIX}/features/views/{VIEW}/usage", FeatureUsageHandler),
    (rf"{API_PREFIX}/features/snippets/{_ID.format('name')}", FeatureSnippetHandler),
    (rf"{API_PREFIX}/features/services", FeatureServicesHandler),
    (rf"{API_PREFIX}/features/entities", EntitiesHandler),
    (rf"{API_PREFIX}/features/online", OnlineFeaturesHandler),
    (rf"{API_PREFIX}/features/materialize", MaterializeHandler),
    (rf"{API_PREFIX}/experiments", ExperimentsHandler),
    (rf"{API_PREFIX}/experiments/{_ID.format('experiment_id')}/runs", RunsHandler),
    (rf"{API_PREFIX}/runs/compare", CompareHandler),
    (rf"{API_PREFIX}/runs/{RUN}", RunHandler),
    (rf"{API_PREFIX}/runs/{RUN}/artifacts", ArtifactsHandler),
    (rf"{API_PREFIX}/runs/{RUN}/artifacts/content", ArtifactContentHandler),
    (rf"{API_PREFIX}/runs/{RUN}/metrics/(?P<key>.+)/history", MetricHistoryHandler),
    (rf"{API_PREFIX}/models", ModelsHandler),
    (rf"{API_PREFIX}/models/{MODEL}/versions", VersionsHandler),
    (rf"{API_PREFIX}/models/{MODEL}/aliases/{_ID.format('alias')}", AliasHandler),
    (
        rf"{API_PREFIX}/models/{MODEL}/versions/{_ID.format('version')}/tags/{_ID.format('key')}",
        VersionTagHandler,
    ),
    (rf"{API_PREFIX}/jobs", SubmitHandler),
    (rf"{API_PREFIX}/jobs/parameters", ParametersHandler),
    (rf"{API_PREFIX}/jobs/gpus", GpusHandler),
    (rf"{API_PREFIX}/jobs/definitions", DefinitionsHandler),
    (rf"{API_PREFIX}/jobs/executions", ExecutionsHandler),
    (rf"{API_PREFIX}/jobs/executions/{EXECUTION}", ExecutionHandler),
    (rf"{API_PREFIX}/jobs/executions/{EXECUTION}/cancel", CancelHandler),
    (rf"{API_PREFIX}/jobs/executions/{EXECUTION}/rerun", RerunHandler),
    (rf"{API_PREFIX}/jobs/executions/{EXECUTION}/log", LogHandler),
    (rf"{API_PREFIX}/deployments", DeploymentsHandler),
    (rf"{API_PREFIX}/deployments/{DEPLOYMENT}", DeploymentHandler),
    (rf"{API_PREFIX}/deployments/{DEPLOYMENT}/predict", PredictHandler),
    (rf"{API_PREFIX}/deployments/{DEPLOYMENT}/events", EventsHandler),
    (rf"{API_PREFIX}/deployments/{DEPLOYMENT}/promote", PromoteHandler),
    (rf"{API_PREFIX}/deployments/{DEPLOYMENT}/rollback", RollbackHandler),
    (rf"{API_PREFIX}/deployments/{DEPLOYMENT}/metrics", MetricsHandler),
    (rf"{API_PREFIX}/deployments/{DEPLOYMENT}/drift", DriftHandler),
    (rf"{API_PREFIX}/deployments/{DEPLOYMENT}/labels", LabelsHandler),
    (rf"{API_PREFIX}/deployments/{DEPLOYMENT}/performance", PerformanceHandler),
    (rf"{API_PREFIX}/deployments/{DEPLOYMENT}/triggers", TriggersHandler),
]
