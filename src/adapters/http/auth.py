"""Who is calling: ``Authorization: Bearer <token>`` turned into the domain's Actor.

A token is ``kg_<token id>_<secret>``; the id finds the token's stream, so checking one
costs one small read and no table of secrets. Verified tokens are cached for a few
seconds: a revocation takes effect at once on the instance that recorded it and within
``ttl`` seconds on the others (each HTTP process of ``khoagiao serve`` is one). The
bootstrap admin token (``KHOAGIAO_ADMIN_TOKEN`` or the generated ``<data
dir>/admin-token``) is not a stored token: it exists so that the first organisations and
tokens can be created, and acts as the system.
"""

from __future__ import annotations

import hmac
import time
from uuid import UUID

from litestar.exceptions import NotAuthorizedException

from adapters.store.repository import AggregateRepository
from application.access import parse_token
from domain.access import AccessToken
from domain.permissions import Actor, Role

BOOTSTRAP_ORGANISATION = "system"
BOOTSTRAP_TOKEN_ID = "bootstrap-admin"
_CACHE_LIMIT = 10_000


class Authenticator:
    def __init__(
        self, repository: AggregateRepository, admin_token: str, *, ttl: float = 5.0
    ) -> None:
        self._repository = repository
        self._admin_token = admin_token
        self._ttl = ttl
        self._cache: dict[UUID, tuple[float, AccessToken | None]] = {}
        self._callers: dict[str, tuple[float, Actor]] = {}
        """Token strings verified against the stored token read at that moment: a
        caller's next requests within ``ttl`` skip parsing and hashing the secret."""

    async def actor(self, authorization: str | None) -> Actor:
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise NotAuthorizedException("send an access token: 'Authorization: Bearer <token>'")
        token = token.strip()
        if hmac.compare_digest(token.encode(), self._admin_token.encode()):
            return Actor(BOOTSTRAP_ORGANISATION, Role.ADMIN, BOOTSTRAP_TOKEN_ID)
        known = self._callers.get(token)
        if known is not None and time.monotonic() - known[0] < self._ttl:
            return known[1]
        parsed = parse_token(token)
        read_at, stored = await self._token(parsed[0]) if parsed else (0.0, None)
        if parsed is None or stored is None or not stored.opens_with(parsed[1]):
            raise NotAuthorizedException("the access token is unknown, malformed or revoked")
        actor = Actor(stored.organisation, stored.role, str(stored.id))
        if len(self._callers) >= _CACHE_LIMIT:
            self._callers.clear()
        self._callers[token] = (read_at, actor)
        return actor

    def forget(self, token_id: UUID) -> None:
        """Drop a token from the cache (after this instance revoked it)."""
        self._cache.pop(token_id, None)
        revoked = str(token_id)
        for token in [t for t, (_, actor) in self._callers.items() if actor.token_id == revoked]:
            del self._callers[token]

    async def _token(self, token_id: UUID) -> tuple[float, AccessToken | None]:
        """The stored token, and when it was read."""
        now = time.monotonic()
        cached = self._cache.get(token_id)
        if cached is not None and now - cached[0] < self._ttl:
            return cached
        found = await self._repository.find(AccessToken, token_id)
        if len(self._cache) >= _CACHE_LIMIT:
            self._cache.clear()
        self._cache[token_id] = (now, found)
        return now, found
