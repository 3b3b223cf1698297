"""Reading the organisation tree from the aggregates, as it stood on a date."""

from __future__ import annotations

from datetime import date

from application.ports import Aggregates
from domain.errors import NotFound
from domain.organisation import Organisation, organisation_id


async def organisation(aggregates: Aggregates, slug: str) -> Organisation:
    found = await aggregates.find(Organisation, organisation_id(slug))
    if found is None:
        raise NotFound(f"no organisation {slug!r}", code="organisation_not_found")
    return found


async def path_on(aggregates: Aggregates, unit: Organisation, day: date) -> list[str]:
    """The unit's ancestry on ``day``, root first, the unit itself last. Parents sit at
    higher levels, so the walk is at most four steps long."""
    path = [unit.slug]
    parent = unit.parent_on(day)
    while parent is not None:
        if parent in path:  # cannot happen by the placement rules; never loop on bad data
            break
        path.append(parent)
        parent = (await organisation(aggregates, parent)).parent_on(day)
    return path[::-1]


async def successors(aggregates: Aggregates, slug: str) -> list[str]:
    """The unit, then the unit it was merged into, and so on: the last one answers today
    for the obligations and documents of the first."""
    chain = [slug]
    unit = await organisation(aggregates, slug)
    while unit.merged_into is not None and unit.merged_into not in chain:
        chain.append(unit.merged_into)
        unit = await organisation(aggregates, unit.merged_into)
    return chain
