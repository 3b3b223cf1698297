"""Handlers for access tokens: issue one for an organisation and a role, revoke it.

An admin issues any token; an officer issues tokens for its own organisation (never an
admin token) — a provincial commission manages its own staff and systems. The token
string is ``kg_<token id>_<secret>``: the id finds the token's stream, the secret proves
possession; it is shown once, in the issuing response.
"""

from __future__ import annotations

import secrets
import uuid
from uuid import UUID

from application.commands import IssueToken, RevokeToken
from application.ports import Aggregates, CommandContext
from application.results import TokenIssued, Written
from application.tree import organisation
from domain.access import AccessToken, digest
from domain.errors import NotFound, PermissionDenied
from domain.permissions import Role, check_acts_for

PREFIX = "kg"


def token_string(token_id: UUID, secret: str) -> str:
    return f"{PREFIX}_{token_id.hex}_{secret}"


def parse_token(token: str) -> tuple[UUID, str] | None:
    """The token id and secret of a well-formed token string, else None."""
    prefix, _, rest = token.partition("_")
    hex_id, _, secret = rest.partition("_")
    if prefix != PREFIX or len(hex_id) != 32 or not secret:
        return None
    try:
        return UUID(hex=hex_id), secret
    except ValueError:
        return None


async def issue_token(
    command: IssueToken, context: CommandContext, aggregates: Aggregates
) -> TokenIssued:
    if command.role is Role.ADMIN and not context.actor.admin:
        raise PermissionDenied(
            "only an admin can issue an admin token", code="admin_token_needs_admin"
        )
    check_acts_for(context.actor, command.organization_id, (Role.OFFICER,), "issue access tokens")
    await organisation(aggregates, command.organization_id)
    secret = secrets.token_urlsafe(32)
    token = AccessToken(
        token_id=uuid.uuid4(),
        organisation=command.organization_id,
        role=command.role,
        label=command.label,
        secret_digest=digest(secret),
        issued_by=context.actor.token_id,
        timestamp=context.recorded_at,
    )
    positions = await aggregates.save(token, context=context)
    return TokenIssued(
        id=token.id,
        token=token_string(token.id, secret),
        organization_id=token.organisation,
        role=token.role,
        label=token.label,
        position=Written.last(positions),
    )


async def revoke_token(
    command: RevokeToken, context: CommandContext, aggregates: Aggregates
) -> Written:
    token = await aggregates.find(AccessToken, command.token_id)
    if token is None:
        raise NotFound(f"no token {command.token_id}", code="token_not_found")
    check_acts_for(context.actor, token.organisation, (Role.OFFICER,), "revoke access tokens")
    token.revoke(context.actor.token_id, context.recorded_at)
    return Written(position=Written.last(await aggregates.save(token, context=context)))
