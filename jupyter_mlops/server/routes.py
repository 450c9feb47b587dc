"""The route table: every REST route of the extension, in one place, each verb with what
it takes and answers (see `operations.py`): the API description is assembled from it.

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
    FeatureQualityHandler,
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
from .handlers.lineage import LineageHandler
from .handlers.monitoring import (
    DriftHandler,
    LabelsHandler,
    PerformanceHandler,
    ReferenceHandler,
    TriggersHandler,
)
from .handlers.openapi import OpenAPIHandler
from .handlers.registry import (
    AliasHandler,
    EvaluateHandler,
    GateHandler,
    ModelsHandler,
    VersionsHandler,
    VersionTagHandler,
)
from .handlers.schemas import SchemaHandler
from .handlers.scoring import ScoringHandler, ScoringOutputHandler
from .handlers.status import ChangesHandler, StatusHandler
from .handlers.tracking import (
    ArtifactContentHandler,
    ArtifactsHandler,
    CompareHandler,
    ExperimentsHandler,
    MetricHistoryHandler,
    RunHandler,
    RunsHandler,
)
from .handlers.tuning import SearchCancelHandler, SearchesHandler, SearchHandler
from .operations import Operation, Query, integer, route, string

API_PREFIX = "/mlops/api"
_ID = r"(?P<{}>[^/]+)"
RUN = _ID.format("run_id")
EXECUTION = _ID.format("execution_id")
MODEL = _ID.format("name")
VIEW = _ID.format("name")
DEPLOYMENT = _ID.format("name")

WINDOW = integer("window", "Seconds up to now the report covers (default 3600)", minimum=1)
VERSION = string("version", "Another version than the serving one: a candidate, a shadow")
PATH = string("path", "Artifact path, relative to the run")


def limit(default: int) -> Query:
    return integer("limit", f"At most this many, newest first (default {default})", 1)


def api(pattern: str, handler, **operations: Operation) -> tuple:
    return route(API_PREFIX + pattern, handler, **operations)


def deployment(summary: str, status: int = 200) -> Operation:
    return Operation(summary, "deployment-view", status=status)


def execution(summary: str, status: int = 200) -> Operation:
    return Operation(summary, "execution", status=status)


ROUTES = [
    # Project -------------------------------------------------------------------------
    api("/status", StatusHandler, get=Operation("Configuration and agent state", "status")),
    api(
        "/changes",
        ChangesHandler,
        get=Operation(
            "Tokens that change when an experiment or a feature definition or batch does: "
            "what a panel polls to know it must reload",
            "changes",
        ),
    ),
    api(
        f"/schemas/{_ID.format('name')}",
        SchemaHandler,
        get=Operation("A request-body JSON Schema, for forms", "json-schema"),
    ),
    api(
        "/openapi.json",
        OpenAPIHandler,
        get=Operation("This API's description (OpenAPI 3.1)", "openapi-document"),
    ),
    # Features ------------------------------------------------------------------------
    api(
        "/features/views",
        FeatureViewsHandler,
        get=Operation(
            "The newest version of every feature view",
            "feature-views",
            query=(string("q", "Only views whose name, description, tags... contain this"),),
        ),
    ),
    api(
        f"/features/views/{VIEW}",
        FeatureViewHandler,
        get=Operation(
            "A feature view: spec, versions, statistics, freshness",
            "feature-view",
            query=(integer("version", "The version to show (default: the newest)", 1),),
        ),
    ),
    api(
        f"/features/views/{VIEW}/quality",
        FeatureQualityHandler,
        get=Operation(
            "A view's data rules and their results over its newest checked batches",
            "feature-quality",
            query=(
                integer("version", "The version whose rules to show (default: the newest)", 1),
                integer("limit", "Checked batches, 1 to 1000 (default 50)", 1),
            ),
        ),
    ),
    api(
        f"/features/views/{VIEW}/sample",
        FeatureSampleHandler,
        get=Operation(
            "A view's newest rows",
            "feature-sample",
            query=(integer("limit", "Rows, 1 to 1000 (default 20)", 1),),
        ),
    ),
    api(
        f"/features/views/{VIEW}/usage",
        FeatureUsageHandler,
        get=Operation("The runs and models built from a view", "feature-usage"),
    ),
    api(
        f"/features/snippets/{_ID.format('name')}",
        FeatureSnippetHandler,
        get=Operation("Training-set code for a view or a feature service", "feature-snippet"),
    ),
    api(
        "/features/services",
        FeatureServicesHandler,
        get=Operation("The newest version of every feature service", "feature-services"),
    ),
    api(
        "/features/entities",
        EntitiesHandler,
        get=Operation("The newest version of every entity", "feature-entities"),
    ),
    api(
        "/features/online",
        OnlineFeaturesHandler,
        post=Operation("Look up online features", "online-features", request="feature-lookup"),
    ),
    api(
        "/features/materialize",
        MaterializeHandler,
        post=Operation(
            "Load the latest values into the online store",
            "materialized",
            request="feature-materialize",
        ),
    ),
    # Experiments and runs ------------------------------------------------------------
    api(
        "/experiments",
        ExperimentsHandler,
        get=Operation("Active experiments, by name", "experiments"),
    ),
    api(
        f"/experiments/{_ID.format('experiment_id')}/runs",
        RunsHandler,
        get=Operation(
            "One page of an experiment's runs",
            "run-page",
            query=(
                string("filter", "MLflow search syntax: metrics.acc > 0.9 and params.lr = '0.1'"),
                string("order_by", "e.g. metrics.acc DESC (default: newest first)"),
                integer("max_results", "Runs per page, 1 to 1000 (default 100)", 1),
                string("page_token", "The next_page_token of the previous page"),
            ),
        ),
    ),
    api(
        "/runs/compare",
        CompareHandler,
        post=Operation(
            "Figures and a diff of 2 to 20 runs", "run-comparison", request="compare-runs"
        ),
    ),
    api(
        f"/runs/{RUN}",
        RunHandler,
        get=Operation("A run with its artifacts, logged models and notebook", "run-detail"),
    ),
    api(
        f"/runs/{RUN}/artifacts",
        ArtifactsHandler,
        get=Operation(
            "A run's artifacts",
            "artifacts",
            query=(string("path", "A folder of the run's artifacts (default: the top)"),),
        ),
    ),
    api(
        f"/runs/{RUN}/artifacts/content",
        ArtifactContentHandler,
        get=Operation(
            "One artifact file's content (at most 20 MB)", "artifact-content", query=(PATH,)
        ),
    ),
    api(
        f"/runs/{RUN}/metrics/(?P<key>.+)/history",
        MetricHistoryHandler,
        get=Operation("Every logged point of one metric", "metric-history"),
    ),
    # Model registry ------------------------------------------------------------------
    api(
        "/models",
        ModelsHandler,
        get=Operation("Registered models, by name", "registered-models"),
        post=Operation(
            "Register a logged model as a new version",
            "registered-version",
            status=201,
            request="register-model",
        ),
    ),
    api(
        f"/models/{MODEL}/versions",
        VersionsHandler,
        get=Operation("A registered model's versions, newest first", "model-versions"),
    ),
    api(
        f"/models/{MODEL}/aliases/{_ID.format('alias')}",
        AliasHandler,
        put=Operation("Point an alias at a version", "model-alias", request="set-alias"),
        delete=Operation("Delete an alias", None, status=204),
    ),
    api(
        f"/models/{MODEL}/versions/{_ID.format('version')}/tags/{_ID.format('key')}",
        VersionTagHandler,
        put=Operation("Set a tag on a model version", "version-tag", request="set-tag"),
    ),
    api(
        f"/models/{MODEL}/gate",
        GateHandler,
        get=Operation("A registered model's gate (null: none)", "model-gate"),
        put=Operation(
            "Set the gate a version must pass before the gated alias points at it",
            "model-gate",
            request="set-gate",
        ),
    ),
    api(
        f"/models/{MODEL}/versions/{_ID.format('version')}/evaluate",
        EvaluateHandler,
        post=Operation(
            "Evaluate a version against the gate (and the gated alias's version) on the "
            "holdout; the verdict, also kept on the version's tags",
            "gate-verdict",
        ),
    ),
    # Hyperparameter searches ---------------------------------------------------------
    api("/searches", SearchesHandler, get=Operation("Hyperparameter searches", "search-views")),
    api(
        f"/searches/{_ID.format('search_id')}",
        SearchHandler,
        get=Operation(
            "A search: its trials, and Optuna's figures",
            "search-view",
            query=(string("figures", "1: include Optuna's figures (Plotly JSON)"),),
        ),
    ),
    api(
        f"/searches/{_ID.format('search_id')}/cancel",
        SearchCancelHandler,
        post=Operation("Cancel a search: no new trial, the running ones cancelled", "search-view"),
    ),
    # Batch scoring -------------------------------------------------------------------
    api(
        "/scoring",
        ScoringHandler,
        get=Operation("Scoring outputs and their versions", "scoring-outputs"),
        post=Operation(
            "Score a dataset with a model, as a job: queued now or scheduled",
            "job-submission",
            status=201,
            request="score-request",
        ),
    ),
    api(
        f"/scoring/{_ID.format('name')}",
        ScoringOutputHandler,
        get=Operation("One scoring output's versions", "scoring-outputs"),
    ),
    # Jobs ----------------------------------------------------------------------------
    api(
        "/jobs",
        SubmitHandler,
        post=Operation(
            "Submit a job: queued now, scheduled, a sweep, or (with search) a search",
            "job-submission",
            status=201,
            request="job-spec",
        ),
    ),
    api(
        "/jobs/parameters",
        ParametersHandler,
        get=Operation(
            "A notebook's parameters, for a job form",
            "notebook-parameters",
            query=(string("notebook", "Notebook path relative to the server root"),),
        ),
    ),
    api("/jobs/gpus", GpusHandler, get=Operation("The GPUs jobs can ask for", "gpus")),
    api(
        "/jobs/definitions",
        DefinitionsHandler,
        get=Operation("Scheduled job definitions, newest first", "job-definitions"),
    ),
    api(
        "/jobs/executions",
        ExecutionsHandler,
        get=Operation(
            "Job executions, newest first",
            "executions",
            query=(string("status", "Only these statuses, comma-separated"), limit(200)),
        ),
    ),
    api(f"/jobs/executions/{EXECUTION}", ExecutionHandler, get=execution("A job execution")),
    api(
        f"/jobs/executions/{EXECUTION}/cancel",
        CancelHandler,
        post=execution("Cancel a queued execution, or ask the agent to stop a running one"),
    ),
    api(
        f"/jobs/executions/{EXECUTION}/rerun",
        RerunHandler,
        post=execution("Queue a new execution with the recorded spec", status=201),
    ),
    api(
        f"/jobs/executions/{EXECUTION}/log",
        LogHandler,
        get=Operation(
            "An execution's log from a byte offset",
            "log-chunk",
            query=(integer("offset", "Byte offset to read from (default 0)"),),
        ),
    ),
    # Deployments and monitoring ------------------------------------------------------
    api(
        "/deployments",
        DeploymentsHandler,
        get=Operation("Deployments, by name", "deployments"),
        post=Operation(
            "Deploy a model version, or roll a new one out under a deployed name",
            "deployment-view",
            status=201,
            request="deployment",
        ),
    ),
    api(
        f"/deployments/{DEPLOYMENT}",
        DeploymentHandler,
        get=deployment("A deployment"),
        delete=deployment("Undeploy: stop serving; the record stays, stopped"),
    ),
    api(
        f"/deployments/{DEPLOYMENT}/predict",
        PredictHandler,
        post=Operation(
            "Predict with the serving version",
            "predictions",
            body="An MLflow scoring payload (dataframe_split, dataframe_records, instances or "
            "inputs), checked against the model's signature by the serving process",
        ),
    ),
    api(
        f"/deployments/{DEPLOYMENT}/events",
        EventsHandler,
        get=Operation(
            "A deployment's history, newest first", "deployment-events", query=(limit(200),)
        ),
    ),
    api(
        f"/deployments/{DEPLOYMENT}/promote",
        PromoteHandler,
        post=deployment("Make the candidate the serving version"),
    ),
    api(
        f"/deployments/{DEPLOYMENT}/rollback",
        RollbackHandler,
        post=deployment("Drop the candidate; the serving version takes every request"),
    ),
    api(
        f"/deployments/{DEPLOYMENT}/metrics",
        MetricsHandler,
        get=Operation("Requests, errors and latency per version", "deployment-metrics"),
    ),
    api(
        f"/deployments/{DEPLOYMENT}/drift",
        DriftHandler,
        get=Operation(
            "Drift of recent traffic against the reference data",
            "drift-report",
            query=(WINDOW, VERSION),
        ),
    ),
    api(
        f"/deployments/{DEPLOYMENT}/reference",
        ReferenceHandler,
        get=Operation("What drift compares the serving version's traffic with", "drift-reference"),
        put=Operation(
            "Set what drift compares traffic with: a file, a run's artifact, baseline or null",
            "drift-reference",
            request="set-drift-reference",
        ),
    ),
    api(
        f"/deployments/{DEPLOYMENT}/labels",
        LabelsHandler,
        post=Operation(
            "Post ground-truth labels of served predictions",
            "labels-posted",
            status=201,
            body='{"labels": [{"request_id", "row", "label"}, ...]}: the request id a '
            "prediction was answered with, the row of its input, and the true value",
        ),
    ),
    api(
        f"/deployments/{DEPLOYMENT}/performance",
        PerformanceHandler,
        get=Operation(
            "Accuracy or error of recent labelled predictions",
            "performance-report",
            query=(WINDOW, VERSION),
        ),
    ),
    # Lineage ------------------------------------------------------------------------
    api(
        "/lineage",
        LineageHandler,
        get=Operation(
            "The lineage graph around a run, job execution, model version, deployment, "
            "feature view or batch output, with its figure",
            "lineage-graph",
            query=(
                string("kind", "run, execution, model_version, deployment, feature_view or output"),
                string(
                    "id", "its id: a run id, NAME/VERSION, NAME, VIEW[@VERSION] or OUTPUT/VERSION"
                ),
            ),
        ),
    ),
    api(
        f"/deployments/{DEPLOYMENT}/triggers",
        TriggersHandler,
        get=Operation(
            "A deployment's retraining trigger and its firings",
            "trigger-history",
            query=(limit(100),),
        ),
    ),
]
