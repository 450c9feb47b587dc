"""Notebook jobs: parameters for the form, submit, executions, cancel, re-run, logs."""

import tornado.web
from jupyter_server.auth.decorator import authorized

from ..base import MLOpsHandler


class JobsHandler(MLOpsHandler):
    auth_resource = "jupyter_mlops:jobs"

    @property
    def jobs(self):
        return self.services.jobs


class ParametersHandler(JobsHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self):
        notebook = self.get_query_argument("notebook", "")
        self.reply(await self.blocking(self.jobs.parameters, notebook))


class SubmitHandler(JobsHandler):
    @tornado.web.authenticated
    @authorized
    async def post(self):
        # The job spec is validated by the service (schema, notebook, parameter types);
        # one with `search` is a search, which the tuning area runs over such jobs.
        body = self.json_body()
        if isinstance(body, dict) and "search" in body:
            submitted = await self.blocking(self.services.tuning.submit, body)
        else:
            submitted = await self.blocking(self.jobs.submit, body)
        self.wake_agent()
        self.reply(submitted, status=201)


class DefinitionsHandler(JobsHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self):
        self.reply({"definitions": await self.blocking(self.jobs.definitions)})


class ExecutionsHandler(JobsHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self):
        status = self.get_query_argument("status", None)
        limit = self.int_argument("limit", 200)
        self.reply({"executions": await self.blocking(self.jobs.executions, status, limit)})


class ExecutionHandler(JobsHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self, execution_id):
        self.reply(await self.blocking(self.jobs.execution, execution_id))


class CancelHandler(JobsHandler):
    @tornado.web.authenticated
    @authorized
    async def post(self, execution_id):
        cancelled = await self.blocking(self.jobs.cancel, execution_id)
        self.wake_agent()
        self.reply(cancelled)


class RerunHandler(JobsHandler):
    @tornado.web.authenticated
    @authorized
    async def post(self, execution_id):
        queued = await self.blocking(self.jobs.rerun, execution_id)
        self.wake_agent()
        self.reply(queued, status=201)


class LogHandler(JobsHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self, execution_id):
        offset = self.int_argument("offset", 0)
        self.reply(await self.blocking(self.jobs.logs, execution_id, offset))


class GpusHandler(JobsHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self):
        self.reply({"gpus": await self.blocking(self.jobs.gpu_inventory)})
