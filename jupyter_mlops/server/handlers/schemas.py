"""The request-body schemas, for the frontend's forms."""

import tornado.web
from jupyter_server.auth.decorator import authorized

from ... import schemas
from ..base import MLOpsHandler


class SchemaHandler(MLOpsHandler):
    auth_resource = "jupyter_mlops:schemas"

    @tornado.web.authenticated
    @authorized
    async def get(self, name):
        self.reply(schemas.load(name))
