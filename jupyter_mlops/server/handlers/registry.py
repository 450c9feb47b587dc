"""Registered models, versions, aliases and version tags."""

import tornado.web
from jupyter_server.auth.decorator import authorized

from ..base import MLOpsHandler


class RegistryHandler(MLOpsHandler):
    auth_resource = "jupyter_mlops:models"

    @property
    def registry(self):
        return self.services.registry


class ModelsHandler(RegistryHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self):
        self.reply({"models": await self.blocking(self.registry.models)})

    @tornado.web.authenticated
    @authorized
    async def post(self):
        body = self.body("register-model")
        created = await self.blocking(
            self.registry.register, body["source"], body["name"], body.get("alias")
        )
        self.reply(created, status=201)


class VersionsHandler(RegistryHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self, name):
        self.reply({"versions": await self.blocking(self.registry.versions, name)})


class AliasHandler(RegistryHandler):
    @tornado.web.authenticated
    @authorized
    async def put(self, name, alias):
        body = self.body("set-alias")
        moved = await self.blocking(
            self.registry.set_alias,
            name,
            alias,
            str(body["version"]),
            force=body.get("force", False),
            reason=body.get("reason"),
            who=self.who(),
        )
        self.reply(moved)

    def who(self) -> str | None:
        """The server's identity of the caller, recorded with a forced move."""
        user = self.current_user
        return getattr(user, "username", None) or getattr(user, "name", None)

    @tornado.web.authenticated
    @authorized
    async def delete(self, name, alias):
        await self.blocking(self.registry.delete_alias, name, alias)
        self.no_content()


class VersionTagHandler(RegistryHandler):
    @tornado.web.authenticated
    @authorized
    async def put(self, name, version, key):
        body = self.body("set-tag")
        self.reply(
            await self.blocking(self.registry.set_version_tag, name, version, key, body["value"])
        )


class GateHandler(RegistryHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self, name):
        self.reply(await self.blocking(self.services.gates.get, name))

    @tornado.web.authenticated
    @authorized
    async def put(self, name):
        body = self.body("set-gate")
        self.reply(await self.blocking(self.services.gates.set, name, body))


class EvaluateHandler(RegistryHandler):
    @tornado.web.authenticated
    @authorized
    async def post(self, name, version):
        self.reply(await self.blocking(self.services.gates.evaluate, name, version))
