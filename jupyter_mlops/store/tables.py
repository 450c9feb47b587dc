"""Tables of the state DB as the code sees them; migrations/ creates and alters them."""

from sqlalchemy import JSON, Boolean, Column, Float, ForeignKey, Integer, MetaData, String, Table

metadata = MetaData()

agent_lease = Table(
    "agent_lease",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("holder", String(255)),
    Column("host", String(255)),
    Column("pid", Integer),
    Column("acquired_at", Float),
    Column("renewed_at", Float),
    Column("expires_at", Float, nullable=False),
)

job_definitions = Table(
    "job_definitions",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("spec", JSON, nullable=False),
    Column("cron", String(120)),
    Column("timezone", String(64), nullable=False),
    Column("catchup", String(16), nullable=False),
    Column("next_run_at", Float),
    Column("enabled", Boolean, nullable=False),
    Column("created_at", Float, nullable=False),
)

job_executions = Table(
    "job_executions",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("definition_id", String(32), ForeignKey("job_definitions.id")),
    Column("spec", JSON, nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempt", Integer, nullable=False, default=1),
    Column("retry_of", String(32)),
    Column("rerun_of", String(32)),
    Column("gpus", Integer, nullable=False, default=0),
    Column("gpu_ids", JSON),
    Column("host", String(255)),
    Column("pid", Integer),
    Column("pid_started", String(32)),
    Column("queued_at", Float, nullable=False),
    Column("not_before", Float, nullable=False, default=0.0),
    Column("started_at", Float),
    Column("finished_at", Float),
    Column("cancel_requested", Boolean, nullable=False, default=False),
    Column("mlflow_run_id", String(32)),
    Column("output_path", String(1024)),
    Column("cells_done", Integer, nullable=False, default=0),
    Column("cells_total", Integer, nullable=False, default=0),
    Column("error", JSON),
    Column("inputs", JSON),
)

feature_definitions = Table(
    "feature_definitions",
    metadata,
    Column("kind", String(16), primary_key=True),
    Column("name", String(200), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("spec", JSON, nullable=False),
    Column("stats", JSON),
    Column("created_at", Float, nullable=False),
)

feature_batches = Table(
    "feature_batches",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("view", String(200), nullable=False),
    Column("version", Integer, nullable=False),
    Column("rows", Integer, nullable=False),
    Column("min_event", Float),
    Column("max_event", Float),
    Column("ingested_at", Float, nullable=False),
)

feature_rule_results = Table(
    "feature_rule_results",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("view", String(200), nullable=False),
    Column("version", Integer, nullable=False),
    Column("batch", Integer, nullable=False),
    Column("rule", String(32), nullable=False),
    Column("column", String(1000), nullable=False),
    Column("severity", String(8), nullable=False),
    Column("bound", JSON),
    Column("observed", JSON),
    Column("passed", Boolean, nullable=False),
    Column("failing_rows", Integer, nullable=False),
    Column("examples", JSON, nullable=False),
    Column("checked_at", Float, nullable=False),
)

feature_materializations = Table(
    "feature_materializations",
    metadata,
    Column("view", String(200), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("start", Float, nullable=False),
    Column("end", Float, nullable=False),
    Column("rows", Integer, nullable=False),
    Column("materialized_at", Float, nullable=False),
)

deployments = Table(
    "deployments",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("spec", JSON, nullable=False),
    Column("model_name", String(200), nullable=False),
    Column("model_version", String(32), nullable=False),
    Column("status", String(16), nullable=False),
    Column("node", String(255)),
    Column("pid", Integer),
    Column("pid_started", String(32)),
    Column("host", String(255)),
    Column("port", Integer),
    Column("started_at", Float),
    Column("ready_at", Float),
    Column("restarts", Integer, nullable=False, default=0),
    Column("fast_crashes", Integer, nullable=False, default=0),
    Column("error", String(2000)),
    Column("candidate", JSON),
    Column("router", JSON),
    Column("retiring", JSON, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
)

deployment_events = Table(
    "deployment_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("deployment", String(64), nullable=False),
    Column("at", Float, nullable=False),
    Column("kind", String(32), nullable=False),
    Column("message", String(2000), nullable=False),
)

deployment_triggers = Table(
    "deployment_triggers",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("deployment", String(64), nullable=False),
    Column("fired_at", Float, nullable=False),
    Column("reason", String(2000), nullable=False),
    Column("window_start", String(40), nullable=False),
    Column("window_end", String(40), nullable=False),
    Column("status", String(16), nullable=False),
    Column("execution_id", String(32)),
    Column("model_version", String(32)),
    Column("message", String(2000)),
    Column("updated_at", Float, nullable=False),
)
