import tornado.web
from jupyter_server.auth.decorator import authorized

from ..base import MLOpsHandler


class StatusHandler(MLOpsHandler):
    auth_resource = "jupyter_mlops:status"

    @tornado.web.authenticated
    @authorized
    async def get(self):
        self.reply(await self.blocking(self.services.project.status))


class ChangesHandler(MLOpsHandler):
    # What a panel polls to know it must reload; it tells no more than that.
    auth_resource = "jupyter_mlops:status"

    @tornado.web.authenticated
    @authorized
    async def get(self):
        self.reply(await self.blocking(self.services.changes.tokens))
