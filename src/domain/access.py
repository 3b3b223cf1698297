"""Access tokens: the keys other systems and staff use to act for one organisation in
one role. Issuing and revoking are facts on the token's own stream, so the audit trail
shows who let whom in and when; the secret itself is never recorded, only its digest.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.errors import refuse
from domain.permissions import Role


def digest(secret: str) -> str:
    """The digest kept in place of a secret. Secrets are 256 random bits, so a plain
    SHA-256 is enough: there is nothing to brute-force that a slow hash would protect."""
    return hashlib.sha256(secret.encode()).hexdigest()


class AccessToken(Aggregate):
    @staticmethod
    def create_id(token_id: UUID, **_: object) -> UUID:
        """Chosen by the issuer, because it is part of the token string it hands out."""
        return token_id

    @event("Issued")
    def __init__(
        self,
        token_id: UUID,
        organisation: str,
        role: Role,
        label: str,
        secret_digest: str,
        issued_by: str | None,
        timestamp: datetime,
    ) -> None:
        self.organisation = organisation
        self.role = role
        self.label = label
        self.secret_digest = secret_digest
        self.issued_by = issued_by
        self.revoked_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def opens_with(self, secret: str) -> bool:
        return self.active and hmac.compare_digest(self.secret_digest, digest(secret))

    def revoke(self, by: str | None, at: datetime) -> None:
        if not self.active:
            raise refuse("token_revoked", f"token {self.id} is already revoked")
        self._revoked(by=by, timestamp=at)

    @event("Revoked")
    def _revoked(self, by: str | None, timestamp: datetime) -> None:
        self.revoked_at = timestamp
