"""Experiments, runs, artifacts, metric histories and run comparison."""

import tornado.web
from jupyter_server.auth.decorator import authorized

from ...tracking.compare import compare
from ..base import MLOpsHandler


class TrackingHandler(MLOpsHandler):
    auth_resource = "jupyter_mlops:runs"

    @property
    def tracking(self):
        return self.services.tracking


class ExperimentsHandler(TrackingHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self):
        self.reply({"experiments": await self.blocking(self.tracking.experiments)})


class RunsHandler(TrackingHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self, experiment_id):
        page = await self.blocking(
            self.tracking.runs,
            experiment_id,
            filter=self.get_query_argument("filter", None),
            order_by=self.get_query_argument("order_by", None),
            max_results=self.int_argument("max_results", 100),
            page_token=self.get_query_argument("page_token", None),
        )
        self.reply(page)


class RunHandler(TrackingHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self, run_id):
        self.reply(await self.blocking(self.tracking.run, run_id))


class ArtifactsHandler(TrackingHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self, run_id):
        path = self.get_query_argument("path", None)
        self.reply({"files": await self.blocking(self.tracking.artifacts, run_id, path)})


class ArtifactContentHandler(TrackingHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self, run_id):
        path = self.get_query_argument("path", "")
        self.reply(await self.blocking(self.tracking.artifact_content, run_id, path))


class MetricHistoryHandler(TrackingHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self, run_id, key):
        self.reply(await self.blocking(self.tracking.metric_history, run_id, key))


class CompareHandler(TrackingHandler):
    @tornado.web.authenticated
    @authorized
    async def post(self):
        body = self.body("compare-runs")
        self.reply(await self.blocking(compare, self.tracking, body["run_ids"]))
