"""eventsourcing aggregates saved to and loaded from the PostgreSQL log."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest
from eventsourcing.domain import Aggregate, event

from adapters.store.event_store import PostgresEventStore
from adapters.store.repository import AggregateNotFound, AggregateRepository
from application.errors import ConcurrencyError
from tests.support import context

AT = datetime(2024, 1, 24, 9, 30, tzinfo=UTC)


class Guidance(Aggregate):
    @event("Issued")
    def __init__(self, number: str, issued_on: date) -> None:
        self.number = number
        self.issued_on = issued_on
        self.amendments: list[str] = []

    @event("Amended")
    def amend(self, change: str) -> None:
        self.amendments.append(change)


async def test_an_aggregate_is_rebuilt_from_its_stream(store: PostgresEventStore) -> None:
    repository = AggregateRepository(store)
    guidance = Guidance("76-HD/BTGTU", date(2024, 1, 24))
    guidance.amend("deadline of section II moved")
    positions = await repository.save(guidance, context=context())

    loaded = await repository.get(Guidance, guidance.id)

    assert len(positions) == 2
    assert loaded.number == "76-HD/BTGTU"
    assert loaded.issued_on == date(2024, 1, 24)
    assert loaded.amendments == ["deadline of section II moved"]
    assert loaded.version == 2
    assert loaded.created_on == guidance.created_on


async def test_an_aggregate_loads_as_it_stood_at_a_version_or_a_position(
    store: PostgresEventStore,
) -> None:
    repository = AggregateRepository(store)
    guidance = Guidance("25-HD/BTGQU", date(2024, 1, 30))
    [issued] = await repository.save(guidance, context=context())
    guidance.amend("first")
    [first] = await repository.save(guidance, context=context())
    guidance.amend("second")
    await repository.save(guidance, context=context())

    assert (await repository.get(Guidance, guidance.id, version=1)).amendments == []
    assert (await repository.get(Guidance, guidance.id, position=issued)).amendments == []
    assert (await repository.get(Guidance, guidance.id, position=first)).amendments == ["first"]
    assert (await repository.get(Guidance, guidance.id)).amendments == ["first", "second"]


async def test_a_save_from_a_stale_copy_is_refused_and_stores_nothing(
    store: PostgresEventStore,
) -> None:
    repository = AggregateRepository(store)
    guidance = Guidance("128-HD/BTGTW", date(2023, 12, 22))
    await repository.save(guidance, context=context())
    mine = await repository.get(Guidance, guidance.id)
    theirs = await repository.get(Guidance, guidance.id)
    other = Guidance("102-HD/BTGTU", date(2024, 1, 5))

    theirs.amend("theirs")
    await repository.save(theirs, context=context())
    mine.amend("mine")
    with pytest.raises(ConcurrencyError) as refused:
        await repository.save(other, mine, context=context())

    assert (refused.value.stream_id, refused.value.expected, refused.value.actual) == (
        guidance.id,
        1,
        2,
    )
    assert (await repository.get(Guidance, guidance.id)).amendments == ["theirs"]
    with pytest.raises(AggregateNotFound):
        await repository.get(Guidance, other.id)


async def test_an_unknown_id_is_not_found(store: PostgresEventStore) -> None:
    with pytest.raises(AggregateNotFound):
        await AggregateRepository(store).get(Guidance, uuid.uuid4())
