"""Organisations: register, read (with path and children), rename, move, merge, dissolve."""

from __future__ import annotations

from datetime import date
from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, JSONBody

from adapters.http.api import ApiService, Body, Caller, MinPosition, visible_path
from adapters.http.problems import READ_PROBLEMS, WRITE_PROBLEMS
from adapters.http.writes import Sight, sight_of
from application.commands import (
    DissolveOrganisation,
    MergeOrganisation,
    MoveOrganisation,
    RegisterOrganisation,
    RenameOrganisation,
)
from application.organisations import (
    dissolve_organisation,
    merge_organisation,
    move_organisation,
    register_organisation,
    rename_organisation,
)
from application.results import OrganisationWritten
from domain.organisation import Kind, Level, Organisation, organisation_id


class NewOrganization(Body, frozen=True, kw_only=True):
    id: str
    """A permanent slug: lowercase letters, digits and hyphens (``btg-hai-phong``)."""
    name: str
    level: Level
    kind: Kind
    parent_id: str | None = None
    issuer_code: str | None = None
    """The code after the slash in its document numbers (``BTGTU``)."""
    effective_on: date | None = None


class Renaming(Body, frozen=True, kw_only=True):
    name: str
    issuer_code: str | None = None
    effective_on: date | None = None


class Move(Body, frozen=True, kw_only=True):
    parent_id: str
    effective_on: date | None = None


class Merger(Body, frozen=True, kw_only=True):
    into_id: str
    effective_on: date


class Dissolution(Body, frozen=True, kw_only=True):
    effective_on: date


class OrganizationRef(msgspec.Struct, frozen=True):
    id: str
    name: str
    level: str
    kind: str


class Organization(msgspec.Struct, frozen=True):
    id: str
    name: str
    level: str
    kind: str
    issuer_code: str | None
    parent_id: str | None
    path: list[str]
    """The ids from the root down to this unit."""
    children: list[OrganizationRef]
    """Units below it now (merged and dissolved ones no longer listed)."""
    valid_from: date
    valid_to: date | None
    merged_into: str | None


def _sight(slug: str) -> Sight:
    return sight_of(Organisation, organisation_id(slug))


class OrganizationsController(Controller):
    path = "/api/v1/organizations"
    tags = ["organizations"]  # noqa: RUF012 (Litestar reads it as an instance attribute)

    @post(
        "/",
        operation_id="registerOrganization",
        summary="Register an organisation below its parent",
        status_code=201,
        responses=WRITE_PROBLEMS,
    )
    async def register(
        self,
        request: Request[Any, Any, Any],
        api: ApiService,
        actor: Caller,
        data: JSONBody[NewOrganization],
    ) -> Response[OrganisationWritten]:
        """The parent's officers register units below it (admins register the root)."""
        command = RegisterOrganisation(
            id=data.id,
            name=data.name,
            level=data.level,
            kind=data.kind,
            parent_id=data.parent_id,
            issuer_code=data.issuer_code,
            effective_on=data.effective_on,
        )
        sight = _sight(data.parent_id) if data.parent_id else None
        return await api.writer.run(
            request, actor, register_organisation, command, sight=sight, status=201
        )

    @get(
        "/{organization_id:str}",
        operation_id="getOrganization",
        summary="One organisation",
        responses=READ_PROBLEMS,
    )
    async def read(
        self,
        api: ApiService,
        actor: Caller,
        organization_id: FromPath[str],
        min_position: MinPosition = None,
    ) -> Organization:
        async with api.store.pool.acquire() as connection:
            await api.caught_up(connection, min_position)
            path = await visible_path(connection, actor, organization_id)
            row = await connection.fetchrow(
                "SELECT * FROM org_units WHERE id = $1", organization_id
            )
            children = await connection.fetch(
                "SELECT id, name, level, kind FROM org_units"
                " WHERE parent = $1 AND valid_to IS NULL ORDER BY id",
                organization_id,
            )
        assert row is not None  # visible_path found it; units are never deleted
        return Organization(
            id=row["id"],
            name=row["name"],
            level=row["level"],
            kind=row["kind"],
            issuer_code=row["issuer_code"],
            parent_id=row["parent"],
            path=path,
            children=[OrganizationRef(*child) for child in children],
            valid_from=row["valid_from"],
            valid_to=row["valid_to"],
            merged_into=row["merged_into"],
        )

    @post(
        "/{organization_id:str}/renaming",
        status_code=200,
        operation_id="renameOrganization",
        summary="Rename, with a new issuer code from a date",
        responses=WRITE_PROBLEMS,
    )
    async def rename(
        self,
        request: Request[Any, Any, Any],
        api: ApiService,
        actor: Caller,
        organization_id: FromPath[str],
        data: JSONBody[Renaming],
    ) -> Response[OrganisationWritten]:
        command = RenameOrganisation(
            id=organization_id,
            name=data.name,
            issuer_code=data.issuer_code,
            effective_on=data.effective_on,
        )
        return await api.writer.run(
            request, actor, rename_organisation, command, sight=_sight(organization_id)
        )

    @post(
        "/{organization_id:str}/move",
        status_code=200,
        operation_id="moveOrganization",
        summary="Place the unit under another parent",
        responses=WRITE_PROBLEMS,
    )
    async def move(
        self,
        request: Request[Any, Any, Any],
        api: ApiService,
        actor: Caller,
        organization_id: FromPath[str],
        data: JSONBody[Move],
    ) -> Response[OrganisationWritten]:
        command = MoveOrganisation(
            id=organization_id, parent_id=data.parent_id, effective_on=data.effective_on
        )
        return await api.writer.run(
            request, actor, move_organisation, command, sight=_sight(organization_id)
        )

    @post(
        "/{organization_id:str}/merge",
        status_code=200,
        operation_id="mergeOrganization",
        summary="Merge the unit into another (sáp nhập)",
        responses=WRITE_PROBLEMS,
    )
    async def merge(
        self,
        request: Request[Any, Any, Any],
        api: ApiService,
        actor: Caller,
        organization_id: FromPath[str],
        data: JSONBody[Merger],
    ) -> Response[OrganisationWritten]:
        """Its open assignments pass to the survivor, its children move under it, and the
        history stays dated."""
        command = MergeOrganisation(
            id=organization_id, into_id=data.into_id, effective_on=data.effective_on
        )
        return await api.writer.run(
            request, actor, merge_organisation, command, sight=_sight(organization_id)
        )

    @post(
        "/{organization_id:str}/dissolution",
        status_code=200,
        operation_id="dissolveOrganization",
        summary="Dissolve the unit (giải thể)",
        responses=WRITE_PROBLEMS,
    )
    async def dissolve(
        self,
        request: Request[Any, Any, Any],
        api: ApiService,
        actor: Caller,
        organization_id: FromPath[str],
        data: JSONBody[Dissolution],
    ) -> Response[OrganisationWritten]:
        command = DissolveOrganisation(id=organization_id, effective_on=data.effective_on)
        return await api.writer.run(
            request, actor, dissolve_organisation, command, sight=_sight(organization_id)
        )
