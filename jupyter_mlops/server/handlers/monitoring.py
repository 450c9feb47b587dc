"""Monitoring of deployments: drift, ground-truth labels, live performance."""

import tornado.web
from jupyter_server.auth.decorator import authorized

from ..base import MLOpsHandler


class MonitoringBaseHandler(MLOpsHandler):
    # Monitoring reads and labels a deployment's traffic: the deployments' permission.
    auth_resource = "jupyter_mlops:deployments"

    @property
    def monitoring(self):
        return self.services.monitoring

    def version_argument(self):
        return self.get_query_argument("version", None) or None


class DriftHandler(MonitoringBaseHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self, name):
        window = self.int_argument("window", 3600)
        version = self.version_argument()
        self.reply(await self.blocking(self.monitoring.drift, name, window, version, figures=True))


class ReferenceHandler(MonitoringBaseHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self, name):
        self.reply(await self.blocking(self.monitoring.reference, name))

    @tornado.web.authenticated
    @authorized
    async def put(self, name):
        body = self.body("set-drift-reference")
        self.reply(await self.blocking(self.monitoring.set_reference, name, body["reference"]))


class LabelsHandler(MonitoringBaseHandler):
    @tornado.web.authenticated
    @authorized
    async def post(self, name):
        # {"labels": [{"request_id", "row", "label"}, ...]}, checked whole by the service.
        items = self.json_body().get("labels")
        self.reply(await self.blocking(self.monitoring.post_labels, name, items), status=201)


class PerformanceHandler(MonitoringBaseHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self, name):
        window = self.int_argument("window", 3600)
        self.reply(
            await self.blocking(self.monitoring.performance, name, window, self.version_argument())
        )


class TriggersHandler(MonitoringBaseHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self, name):
        limit = self.int_argument("limit", 100)
        self.reply(await self.blocking(self.services.firings.view, name, limit))
