"""A command sent without an ``Idempotency-Key`` runs without a transaction of its own:
its reads take pooled connections one at a time and its events go in one append, which
is all or nothing by itself. So it may append once only."""

from __future__ import annotations

import pytest
from eventsourcing.domain import Aggregate, event

from adapters.http.writes import OneAppend
from adapters.store.event_store import PostgresEventStore
from adapters.store.repository import AggregateRepository
from tests.support import context


class Note(Aggregate):
    @event("Written")
    def __init__(self, text: str) -> None:
        self.text = text


async def test_a_second_save_of_one_command_is_refused_and_writes_nothing(
    store: PostgresEventStore,
) -> None:
    aggregates = OneAppend(AggregateRepository(store))
    first, second = Note("first"), Note("second")
    [position] = await aggregates.save(first, context=context())

    with pytest.raises(RuntimeError, match="once"):
        await aggregates.save(second, context=context())

    assert await store.last_position() == position
    assert (await aggregates.get(Note, first.id)).text == "first"
    assert await aggregates.find(Note, second.id) is None
