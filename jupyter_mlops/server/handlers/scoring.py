"""Batch scoring: submit a scoring job, list the outputs and their versions."""

import tornado.web
from jupyter_server.auth.decorator import authorized

from ..base import MLOpsHandler


class ScoringArea(MLOpsHandler):
    auth_resource = "jupyter_mlops:scoring"

    @property
    def scoring(self):
        return self.services.scoring


class ScoringHandler(ScoringArea):
    @tornado.web.authenticated
    @authorized
    async def get(self):
        self.reply({"outputs": await self.blocking(self.scoring.output_names)})

    @tornado.web.authenticated
    @authorized
    async def post(self):
        # Validated whole by the service (schema, model, input, output name).
        submitted = await self.blocking(self.scoring.submit, self.json_body())
        self.wake_agent()
        self.reply(submitted, status=201)


class ScoringOutputHandler(ScoringArea):
    @tornado.web.authenticated
    @authorized
    async def get(self, name):
        versions = await self.blocking(self.scoring.output_versions, name)
        self.reply({"outputs": [{"name": name, "versions": versions}]})
