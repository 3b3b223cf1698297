"""The Litestar application: routes, OpenAPI, and the services they use."""

from __future__ import annotations

from collections.abc import Sequence

from litestar import Litestar
from litestar.datastructures import State
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin

from adapters.http.health import health
from adapters.nats.connection import NatsLink
from adapters.store.event_store import PostgresEventStore


def create_app(
    *, store: PostgresEventStore, nats: NatsLink, projections: Sequence[str] = ()
) -> Litestar:
    return Litestar(
        route_handlers=[health],
        state=State({"store": store, "nats": nats, "projections": list(projections)}),
        openapi_config=OpenAPIConfig(
            title="khoagiao",
            version="1",
            description=(
                "Tracking how the yearly khoa giáo guidance is carried out down the "
                "hierarchy of party committees."
            ),
            path="/schema",
            render_plugins=[SwaggerRenderPlugin(path="/")],
        ),
    )
