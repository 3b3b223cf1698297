"""The mapper's shortcuts change nothing: events become the same stored events as
eventsourcing's own Mapper makes them, and events decoded from rows carry plain
``uuid.UUID`` ids, whatever asyncpg handed over."""

from __future__ import annotations

import pickle
import uuid

from asyncpg.pgproto.pgproto import UUID as AsyncpgUUID
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import Mapper, StoredEvent
from hypothesis import given
from hypothesis import strategies as st

from adapters.store.codec import MsgspecMapper


class Tally(Aggregate):
    @event("Counted")
    def count(self, amount: int) -> None:
        pass

    class Renamed(Aggregate.Event):
        class_version = 2
        name: str

        @staticmethod
        def upcast_v1_v2(state: dict[str, object]) -> None:
            state["name"] = state.pop("title", "")

    def rename(self, name: str) -> None:
        self.trigger_event(self.Renamed, name=name)


@given(st.integers(), st.text())
def test_an_event_is_stored_as_eventsourcings_mapper_stores_it(amount: int, name: str) -> None:
    mapper = MsgspecMapper()
    tally = Tally()
    tally.count(amount)
    tally.rename(name)
    for domain_event in tally.collect_events():
        assert mapper.to_stored_event(domain_event) == Mapper.to_stored_event(mapper, domain_event)


@given(st.uuids(), st.sampled_from(["asyncpg", "plain", "text"]))
def test_a_decoded_event_has_a_plain_uuid_equal_to_the_stored_one(
    value: uuid.UUID, given_as: str
) -> None:
    mapper = MsgspecMapper()
    tally = Tally()
    tally.count(3)
    stored = mapper.to_stored_event(tally.collect_events()[-1])
    forms: dict[str, uuid.UUID | str] = {
        "asyncpg": AsyncpgUUID(value.bytes),
        "plain": value,
        "text": str(value),
    }
    originator = forms[given_as]

    event = mapper.to_domain_event(StoredEvent(originator, 2, stored.topic, stored.state))

    decoded = event.originator_id
    assert type(decoded) is uuid.UUID
    assert decoded == value and hash(decoded) == hash(value) and str(decoded) == str(value)
    assert decoded.version == value.version and decoded.is_safe is value.is_safe
    assert pickle.loads(pickle.dumps(decoded)) == value
    assert event.__dict__["amount"] == 3
