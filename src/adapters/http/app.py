"""The Litestar application: routes, OpenAPI, errors as problem+json, the services."""

from __future__ import annotations

from litestar import Litestar, Router
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme

from adapters.http.api import Api, provide_actor, provide_api
from adapters.http.health import health
from adapters.http.problems import EXCEPTION_HANDLERS
from adapters.http.routes.assignments import AssignmentsController
from adapters.http.routes.audit import AuditController
from adapters.http.routes.documents import DocumentsController
from adapters.http.routes.imports import ImportsController
from adapters.http.routes.inspections import InspectionsController, UnitInspectionsController
from adapters.http.routes.organizations import OrganizationsController
from adapters.http.routes.tokens import TokensController
from adapters.http.routes.views import ViewsController
from adapters.nats.connection import NatsLink

MAX_BODY_BYTES = 1_000_000
"""Requests are JSON commands; a megabyte is far more than a guidance with its tasks."""

DESCRIPTION = """
Tracking how the yearly khoa giáo guidance is carried out down the hierarchy of party
committees: documents, tasks and assignments, reports, reviews and inspections, and how
compliant each level is.

* **Authentication**: `Authorization: Bearer <token>`. A token acts for one organisation
  in one role (admin, officer, reporter, inspector, reader).
* **Sight**: a unit reads its own subtree and what is addressed to it; anything else
  answers 404. It writes only for itself (403 names the rule).
* **Errors** are `application/problem+json` with a stable `code`; validation errors list
  the failing field paths in `errors`. A stale write is a 409. A failed request writes
  nothing.
* **Retries**: every POST honours `Idempotency-Key` (kept at least 24 hours).
* **Read your writes**: writes return `position`; pass it as `min_position` to a query.
* **Pagination** is by position or keyset (`after`, `next_after`), never by offset.
"""


def create_app(*, api: Api, nats: NatsLink) -> Litestar:
    v1 = Router(
        path="/",
        route_handlers=[
            OrganizationsController,
            TokensController,
            DocumentsController,
            AssignmentsController,
            ViewsController,
            AuditController,
            InspectionsController,
            UnitInspectionsController,
            ImportsController,
        ],
        dependencies={"api": provide_api(api), "actor": Provide(provide_actor)},
        security=[{"bearer": []}],
    )
    return Litestar(
        route_handlers=[health, v1],
        state=State(
            {"api": api, "store": api.store, "nats": nats, "projections": list(api.projections)}
        ),
        exception_handlers=EXCEPTION_HANDLERS,
        request_max_body_size=MAX_BODY_BYTES,
        openapi_config=OpenAPIConfig(
            title="khoagiao",
            version="1",
            description=DESCRIPTION,
            path="/schema",
            render_plugins=[SwaggerRenderPlugin(path="/")],
            components=Components(
                security_schemes={
                    "bearer": SecurityScheme(
                        type="http", scheme="bearer", description="kg_<id>_<secret>"
                    )
                }
            ),
        ),
    )
