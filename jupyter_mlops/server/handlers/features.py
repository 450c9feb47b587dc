"""Feature views, entities and services: browse, sample, snippets, online lookup, materialize."""

import tornado.web
from jupyter_server.auth.decorator import authorized

from ..base import MLOpsHandler


class FeaturesHandler(MLOpsHandler):
    auth_resource = "jupyter_mlops:features"

    @property
    def features(self):
        return self.services.features


class FeatureViewsHandler(FeaturesHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self):
        query = self.get_query_argument("q", "")
        self.reply({"views": await self.blocking(self.features.views, query)})


class FeatureViewHandler(FeaturesHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self, name):
        version = self.int_argument("version", None)  # None: the newest
        self.reply(await self.blocking(self.features.view, name, version, figures=True))


class FeatureQualityHandler(FeaturesHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self, name):
        version = self.int_argument("version", None)  # None: the newest
        limit = self.int_argument("limit", 50)
        self.reply(
            await self.blocking(self.features.quality, name, version, limit=limit, figures=True)
        )


class FeatureSampleHandler(FeaturesHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self, name):
        limit = self.int_argument("limit", 20)
        self.reply(await self.blocking(self.features.sample, name, limit))


class FeatureUsageHandler(FeaturesHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self, name):
        self.reply(await self.blocking(self.features.usage, name))


class FeatureSnippetHandler(FeaturesHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self, name):
        self.reply({"code": await self.blocking(self.features.snippet, name)})


class FeatureServicesHandler(FeaturesHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self):
        self.reply({"services": await self.blocking(self.features.feature_services)})


class EntitiesHandler(FeaturesHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self):
        self.reply({"entities": await self.blocking(self.features.entities)})


class OnlineFeaturesHandler(FeaturesHandler):
    @tornado.web.authenticated
    @authorized
    async def post(self):
        body = self.body("feature-lookup")
        found = await self.blocking(
            self.features.get_online_features, body["entity_rows"], body["features"]
        )
        self.reply({"features": found})


class MaterializeHandler(FeaturesHandler):
    @tornado.web.authenticated
    @authorized
    async def post(self):
        body = self.body("feature-materialize")
        done = await self.blocking(
            self.features.materialize, body["start"], body["end"], body.get("views")
        )
        self.reply({"materialized": done})
