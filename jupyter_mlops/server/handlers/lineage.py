"""The lineage graph around a run, an execution, a model version, a deployment or a
feature view."""

import tornado.web
from jupyter_server.auth.decorator import authorized

from ..base import MLOpsHandler


class LineageHandler(MLOpsHandler):
    # It reads runs, models, jobs, deployments and features alike: an area of its own.
    auth_resource = "jupyter_mlops:lineage"

    @tornado.web.authenticated
    @authorized
    async def get(self):
        kind = self.get_query_argument("kind", "")
        key = self.get_query_argument("id", "")
        self.reply(await self.blocking(self._graph, kind, key))

    def _graph(self, kind: str, key: str) -> dict:
        from ...lineage.figure import lineage_figure

        graph = self.services.lineage.graph(kind, key)
        return {**graph, "figure": lineage_figure(graph)}
