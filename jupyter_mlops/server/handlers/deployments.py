"""Model deployments: deploy, list, get, undeploy, predict, promote, rollback, metrics,
events."""

import tornado.web
from jupyter_server.auth.decorator import authorized

from ..base import MLOpsHandler


class DeploymentsBaseHandler(MLOpsHandler):
    auth_resource = "jupyter_mlops:deployments"

    @property
    def deployments(self):
        return self.services.deployments


class DeploymentsHandler(DeploymentsBaseHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self):
        self.reply({"deployments": await self.blocking(self.deployments.deployments)})

    @tornado.web.authenticated
    @authorized
    async def post(self):
        # The spec is validated by the service (schema, model URI, strategy, port).
        deployed = await self.blocking(self.deployments.deploy, self.json_body())
        self.wake_agent()
        self.reply(deployed, status=201)


class DeploymentHandler(DeploymentsBaseHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self, name):
        self.reply(await self.blocking(self.deployments.get, name))

    @tornado.web.authenticated
    @authorized
    async def delete(self, name):
        stopping = await self.blocking(self.deployments.undeploy, name)
        self.wake_agent()
        self.reply(stopping)


class PredictHandler(DeploymentsBaseHandler):
    @tornado.web.authenticated
    @authorized
    async def post(self, name):
        # The body is an MLflow scoring payload; the serving process checks it against
        # the model's signature and its message comes back as a 400.
        self.reply(await self.blocking(self.deployments.predict, name, self.json_body()))


class EventsHandler(DeploymentsBaseHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self, name):
        limit = self.int_argument("limit", 200)
        self.reply({"events": await self.blocking(self.deployments.events, name, limit)})


class PromoteHandler(DeploymentsBaseHandler):
    @tornado.web.authenticated
    @authorized
    async def post(self, name):
        promoted = await self.blocking(self.deployments.promote, name)
        self.wake_agent()
        self.reply(promoted)


class RollbackHandler(DeploymentsBaseHandler):
    @tornado.web.authenticated
    @authorized
    async def post(self, name):
        rolled_back = await self.blocking(self.deployments.rollback, name)
        self.wake_agent()
        self.reply(rolled_back)


class MetricsHandler(DeploymentsBaseHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self, name):
        self.reply(await self.blocking(self.deployments.metrics, name))
