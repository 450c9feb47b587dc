"""The API description, assembled from the route table and the schemas."""

import tornado.web
from jupyter_server.auth.decorator import authorized

from ..base import MLOpsHandler


class OpenAPIHandler(MLOpsHandler):
    auth_resource = "jupyter_mlops:status"

    @tornado.web.authenticated
    @authorized
    async def get(self):
        # Built once per server (it reads every schema file), in a thread.
        self.reply(await self.blocking(self.extensionapp.api_document))
