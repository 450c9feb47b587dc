"""Hyperparameter searches: list, one with Optuna's figures, cancel. A search is
submitted as a job spec with `search` (`POST jobs`)."""

import tornado.web
from jupyter_server.auth.decorator import authorized

from ..base import MLOpsHandler


class SearchArea(MLOpsHandler):
    auth_resource = "jupyter_mlops:jobs"

    @property
    def tuning(self):
        return self.services.tuning


class SearchesHandler(SearchArea):
    @tornado.web.authenticated
    @authorized
    async def get(self):
        self.reply({"searches": await self.blocking(self.tuning.searches)})


class SearchHandler(SearchArea):
    @tornado.web.authenticated
    @authorized
    async def get(self, search_id):
        figures = self.get_query_argument("figures", "0") not in ("0", "false", "")
        self.reply(await self.blocking(self.tuning.search, search_id, figures=figures))


class SearchCancelHandler(SearchArea):
    @tornado.web.authenticated
    @authorized
    async def post(self, search_id):
        self.reply(await self.blocking(self.tuning.cancel, search_id))
