"""The jupyter-server extension: configuration, services, routes and the hosted agent."""

from __future__ import annotations

import asyncio
import os

from jupyter_server.extension.application import ExtensionApp
from traitlets import Bool, Float, Int, List, TraitError, Type, Unicode, validate

from ..agent import Agent
from ..config import resolve
from ..errors import InvalidInput
from ..jobs import executors
from ..redact import guard_log
from ..services import Services
from . import openapi
from .routes import ROUTES


class MLOpsApp(ExtensionApp):
    name = "jupyter_mlops"

    home = Unicode(
        None,
        allow_none=True,
        config=True,
        help="The MLOps home folder. Default: $JUPYTER_MLOPS_HOME, else <root_dir>/.mlops.",
    )
    tracking_uri = Unicode(
        None,
        allow_none=True,
        config=True,
        help="MLflow tracking URI. $MLFLOW_TRACKING_URI wins. Default: sqlite under the home.",
    )
    state_url = Unicode(
        None,
        allow_none=True,
        config=True,
        help="SQLAlchemy URL of the state DB (a PostgreSQL URL for teams). Default: sqlite.",
    )
    executor = Unicode(
        None,
        allow_none=True,
        config=True,
        help="Where jobs run: the name of a registered executor ('local', or one a package "
        "registers under the entry-point group jupyter_mlops.executors). Default: "
        "$JUPYTER_MLOPS_EXECUTOR, else local.",
    )
    executor_class = Type(
        default_value=None,
        klass=executors.Executor,
        allow_none=True,
        config=True,
        help="An executor class to use instead of a registered name.",
    )
    ray_address = Unicode(
        None,
        allow_none=True,
        config=True,
        help="For executor 'ray': the Ray cluster's Jobs API, its dashboard address "
        "(http://HOST:8265). Default: $JUPYTER_MLOPS_RAY_ADDRESS.",
    )
    gpus = List(
        Unicode(),
        default_value=None,
        allow_none=True,
        config=True,
        help="GPU ids jobs may use (CUDA device indexes). Default: $JUPYTER_MLOPS_GPUS, "
        "else detected with nvidia-smi. An empty list: no GPUs.",
    )
    max_concurrent_jobs = Int(
        None, allow_none=True, config=True, help="Jobs run at once (default 2)."
    )
    job_pool_size = Int(
        None,
        allow_none=True,
        config=True,
        help="Warm job workers with a fresh kernel each, waiting for jobs (default 2; 0: none).",
    )
    agent_enabled = Bool(
        True,
        config=True,
        help="Host the agent in this server. Turn off when `jupyter mlops agent` runs elsewhere.",
    )
    validate_responses = Bool(
        False,
        config=True,
        help="Check every JSON answer against its route's response schema and answer 500 "
        "(logging the route and the bad field) when it does not match. For tests and "
        "development: the check runs on the event loop.",
    )
    agent_interval = Float(1.0, config=True, help="Seconds between two agent steps.")
    agent_lease_seconds = Float(
        15.0, config=True, help="How long the agent lease lasts without renewal."
    )
    services_class = Type(
        default_value=Services, klass=Services, config=True, help="The domain services."
    )
    agent_class = Type(default_value=Agent, klass=Agent, config=True, help="The agent.")

    @validate("executor")
    def _valid_executor(self, proposal):
        try:
            return executors.check(proposal["value"]) if proposal["value"] else None
        except InvalidInput as err:
            raise TraitError(err.message) from None

    def initialize_settings(self):
        config = resolve(
            home=self.home,
            tracking_uri=self.tracking_uri,
            state_url=self.state_url,
            executor=self.executor,
            root_dir=self.serverapp.root_dir,
            gpus=self.gpus,
            max_concurrent_jobs=self.max_concurrent_jobs,
            job_pool_size=self.job_pool_size,
            ray_address=self.ray_address,
        )
        # Kernels inherit the server's environment: this is how a magic finds the
        # same stores as the panel without a server URL or token.
        os.environ.update(config.env())
        self.services = self.services_class(config, executor_class=self.executor_class)
        self._agent_stop = asyncio.Event()
        self._agent_task: asyncio.Task | None = None
        self.agent: Agent | None = None
        self._warmup: asyncio.Task | None = None
        self._api_document: dict | None = None
        # Tracebacks of MLflow and driver errors may quote a URL with its password.
        guard_log(self.log)
        self.log.info("jupyter_mlops: home %s", config.home)

    def initialize_handlers(self):
        self.handlers.extend(ROUTES)

    def api_document(self) -> dict:
        """This server's OpenAPI document, built on first use (it reads every schema)."""
        if self._api_document is None:
            self._api_document = openapi.document(ROUTES, self.serverapp.base_url)
        return self._api_document

    async def _start_jupyter_server_extension(self, serverapp):
        # Create MLflow's store now, with the home's artifact root, before a kernel's
        # plain `mlflow` call can create it with MLflow's `./mlruns` default.
        self._warmup = asyncio.create_task(asyncio.to_thread(lambda: self.services.tracking.client))
        if self.agent_enabled:
            # The agent builds (and migrates) the store itself, off the event loop: on a
            # full disk or an unwritable DB it waits, says so once, and starts when it can,
            # instead of the extension failing to load.
            self.agent = self.agent_class(
                lambda: self.services.store,
                self.services.agent_workers,
                lease_seconds=self.agent_lease_seconds,
                interval=self.agent_interval,
            )
            self._agent_task = asyncio.create_task(self.agent.run(self._agent_stop))

    async def stop_extension(self):
        self._agent_stop.set()
        for task in (self._warmup, self._agent_task):
            if task is not None:
                await task
        self.services.close()
