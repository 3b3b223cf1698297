"""Access tokens: issue (the token is shown once) and revoke."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, delete, post
from litestar.params import FromPath, JSONBody

from adapters.http.api import ApiService, Body, Caller
from adapters.http.problems import WRITE_PROBLEMS
from adapters.http.writes import sight_of, sight_of_units
from application.access import issue_token, revoke_token
from application.commands import IssueToken, RevokeToken
from application.results import TokenIssued, Written
from domain.access import AccessToken
from domain.permissions import Role


class NewToken(Body, frozen=True, kw_only=True):
    organization_id: FromPath[str]
    role: Role
    label: str
    """Whose or what it is for (``Phần mềm báo cáo Sở Y tế``), shown in the audit trail."""


class TokensController(Controller):
    path = "/api/v1/tokens"
    tags = ["tokens"]  # noqa: RUF012 (Litestar reads it as an instance attribute)

    @post(
        "/",
        operation_id="issueToken",
        summary="Issue an access token",
        status_code=201,
        responses=WRITE_PROBLEMS,
    )
    async def issue(
        self,
        request: Request[Any, Any, Any],
        api: ApiService,
        actor: Caller,
        data: JSONBody[NewToken],
    ) -> Response[TokenIssued]:
        """An admin issues any token; an officer issues tokens for its own organisation
        (not admin ones). The `token` is in this response only: keep it; only its digest
        is stored."""
        command = IssueToken(organization_id=data.organization_id, role=data.role, label=data.label)
        return await api.writer.run(
            request,
            actor,
            issue_token,
            command,
            sight=sight_of_units(data.organization_id),
            status=201,
        )

    @delete(
        "/{token_id:uuid}",
        operation_id="revokeToken",
        summary="Revoke an access token",
        status_code=200,
        responses=WRITE_PROBLEMS,
    )
    async def revoke(
        self,
        request: Request[Any, Any, Any],
        api: ApiService,
        actor: Caller,
        token_id: FromPath[UUID],
    ) -> Response[Written]:
        response = await api.writer.run(
            request,
            actor,
            revoke_token,
            RevokeToken(token_id=token_id),
            sight=sight_of(AccessToken, token_id),
        )
        api.auth.forget(token_id)
        return response
