"""``khoagiao demo seeds``: the real cascade of the seed documents, for a first look.

The seed units are registered (in force since 2020, entered on 15/12/2023), then each
document is issued by its issuer's officer on its own date, with its tasks and
deadlines; each implementing document fulfils its issuer's assignment. All in one
transaction: the cascade is loaded whole or not at all, so a second run finds it
complete and writes nothing.
"""

from __future__ import annotations

from datetime import date
from uuid import UUID

import msgspec

from adapters.demo.agenda import recorded_on
from adapters.demo.recorder import BatchedLog, MemoryAggregates, require_empty_log
from adapters.demo.seed_facts import CASCADE, SINCE, TREE
from adapters.store.event_store import PostgresEventStore
from adapters.store.repository import AggregateRepository
from application.commands import IssueDocument, RegisterOrganisation
from application.documents import issue_document
from application.organisations import register_organisation
from application.ports import CommandContext
from domain.organisation import Organisation, organisation_id
from domain.permissions import Actor, Role

ENTERED = date(2023, 12, 15)
_MARKER = TREE[4]  # the urban district: a unit only the seed cascade has
PLAN_YEAR = 2024


class SeedsLoaded(msgspec.Struct, frozen=True, kw_only=True):
    already: bool
    """The cascade was there before: nothing was written."""
    units: int
    documents: int
    assignments: int
    events: int


async def load_seeds(store: PostgresEventStore) -> SeedsLoaded:
    repository = AggregateRepository(store)
    marker = await repository.find(Organisation, organisation_id(_MARKER[0]))
    if marker is not None and marker.name == _MARKER[1]:
        return SeedsLoaded(already=True, units=0, documents=0, assignments=0, events=0)
    await require_empty_log(store, "demo seeds")
    assignments = 0
    async with store.transaction() as transaction:
        log = BatchedLog(transaction.append)
        aggregates = MemoryAggregates(log, repository)
        admin = CommandContext(Actor("system", Role.ADMIN, "demo-seeds"), recorded_on(ENTERED))
        for slug, name, level, kind, parent, code in TREE:
            unit = RegisterOrganisation(
                id=slug,
                name=name,
                level=level,
                kind=kind,
                parent_id=parent,
                issuer_code=code,
                effective_on=SINCE,
            )
            await register_organisation(unit, admin, aggregates)
        ids: dict[str, UUID] = {}
        for doc in CASCADE:
            officer = CommandContext(
                Actor(doc.issuer, Role.OFFICER, f"demo-seeds-{doc.issuer}"), recorded_on(doc.day)
            )
            command = IssueDocument(
                number=doc.number,
                title=doc.title,
                issuer_id=doc.issuer,
                plan_year=PLAN_YEAR,
                implements=ids[doc.implements] if doc.implements else None,
                tasks=doc.tasks,
                effective_on=doc.day,
            )
            result = await issue_document(command, officer, aggregates)
            ids[doc.number] = result.id
            assignments += sum(len(task.assignments) for task in result.tasks)
        await log.flush()
    return SeedsLoaded(
        already=False,
        units=len(TREE),
        documents=len(CASCADE),
        assignments=assignments,
        events=log.events,
    )
