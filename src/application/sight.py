"""What an actor may know exists. A unit sees its own subtree and what is addressed to
it; anything else is answered as if it did not exist (404, not 403), so that probing ids
tells an outsider nothing. Decided on the aggregates, so a thing written a moment ago is
seen at once (the read models may not have it yet)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from uuid import UUID

from eventsourcing.domain import BaseAggregate

from application.ports import Aggregates
from application.tree import path_on
from domain.access import AccessToken
from domain.assignment import Assignment
from domain.document import Document
from domain.inspection import Inspection
from domain.organisation import Organisation, organisation_id
from domain.permissions import Actor


async def sees_any(aggregates: Aggregates, actor: Actor, units: Iterable[str], day: date) -> bool:
    """Whether one of ``units`` lies in the actor's subtree (on ``day``)."""
    if actor.admin:
        return True
    for slug in units:
        unit = await aggregates.find(Organisation, organisation_id(slug))
        if unit is not None and actor.organisation in await path_on(aggregates, unit, day):
            return True
    return False


async def units_of(
    aggregates: Aggregates, cls: type[BaseAggregate[UUID]], stream_id: UUID
) -> list[str]:
    """The units whose subtrees may see this aggregate (empty when it does not exist)."""
    found = await aggregates.find(cls, stream_id)
    match found:
        case Assignment():
            return [found.assignee, found.original_assignee, found.issuer]
        case Document():
            return [found.issuer.slug, *found.addressed_to]
        case Inspection():
            return [found.inspector, *found.targets]
        case AccessToken():
            return [found.organisation]
        case Organisation():
            return [found.slug]
    return []
