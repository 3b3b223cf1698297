"""Who may do what, decided from the actor's organisation and role and the target's
place in the tree (on the relevant date).

A unit reads its own subtree and what is addressed to it; it writes only for itself: an
issuer manages its own documents and tasks and reviews their submissions, an assignee
submits only for itself, an inspector acts in its own subtree. An admin may act for any
unit (entering a paper report for it, say); the record still names the admin's token.
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from domain.errors import PermissionDenied


class Role(enum.StrEnum):
    ADMIN = "admin"  # the whole system
    OFFICER = "officer"  # issues, reviews, inspects for its organisation
    REPORTER = "reporter"  # submits for its organisation
    INSPECTOR = "inspector"  # inspects its subtree
    READER = "reader"  # reads its subtree


@dataclass(frozen=True)
class Actor:
    organisation: str
    role: Role
    token_id: str | None = None

    @property
    def admin(self) -> bool:
        return self.role is Role.ADMIN


def check_acts_for(actor: Actor, unit: str, roles: Collection[Role], action: str) -> None:
    """The actor works for ``unit`` with one of ``roles`` (or is an admin)."""
    if actor.admin:
        return
    if actor.organisation != unit:
        raise PermissionDenied(
            f"{actor.organisation} cannot {action} for {unit}: a unit acts only for itself",
            code="acts_only_for_itself",
        )
    if actor.role not in roles:
        raise PermissionDenied(
            f"a {actor.role} cannot {action}; this needs "
            + " or ".join(sorted(r.value for r in roles)),
            code="role_not_allowed",
        )


def can_read(actor: Actor, path: Sequence[str], addressed_to: Collection[str] = ()) -> bool:
    """A unit reads its own subtree (``path`` is the target's ancestry, root first, itself
    last) and whatever is addressed to it."""
    return actor.admin or actor.organisation in path or actor.organisation in addressed_to
