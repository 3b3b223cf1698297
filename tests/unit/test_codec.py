"""Domain events survive the trip to stored bytes and back exactly (property-tested)."""

from __future__ import annotations

import dataclasses
import enum
import uuid
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import msgspec
import pytest
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import MapperDeserialisationError, StoredEvent
from hypothesis import given
from hypothesis import strategies as st

from adapters.store.codec import MsgspecMapper


class Level(enum.Enum):
    CENTRAL = "central"
    PROVINCE = "province"


class Attachment(msgspec.Struct, frozen=True):
    name: str
    size: int
    sha256: str


@dataclasses.dataclass(frozen=True)
class Period:
    year: int
    quarter: int | None


class Sample(Aggregate):
    class Recorded(Aggregate.Event):
        ref: uuid.UUID
        on: date
        at: datetime
        amount: Decimal
        level: Level
        attachments: tuple[Attachment, ...]
        period: Period
        figures: dict[str, float]
        note: str | None

    def record(self, **fields: object) -> None:
        self.trigger_event(self.Recorded, **fields)


texts = st.text(max_size=40)
instants = st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1)).flatmap(
    lambda naive: st.sampled_from(
        [
            naive.replace(tzinfo=UTC),
            naive.replace(tzinfo=timezone(timedelta(hours=7))),
            naive.replace(tzinfo=timezone(timedelta(hours=-3, minutes=-30))),
        ]
    )
)
fields = st.fixed_dictionaries(
    {
        "ref": st.uuids(),
        "on": st.dates(),
        "at": instants,
        "amount": st.decimals(allow_nan=False, allow_infinity=False),
        "level": st.sampled_from(Level),
        "attachments": st.lists(
            st.builds(Attachment, texts, st.integers(0, 2**53), st.text("0123456789abcdef")),
            max_size=3,
        ).map(tuple),
        "period": st.builds(Period, st.integers(1990, 2100), st.none() | st.integers(1, 4)),
        "figures": st.dictionaries(
            texts, st.floats(allow_nan=False, allow_infinity=False), max_size=4
        ),
        "note": st.none() | texts,
    }
)


@given(fields)
def test_every_field_round_trips_exactly(values: dict[str, object]) -> None:
    mapper = MsgspecMapper()
    aggregate = Sample()
    aggregate.record(**values)
    created, recorded = aggregate.collect_events()

    for event in (created, recorded):
        stored = mapper.to_stored_event(event)
        back = mapper.to_domain_event(stored)
        assert type(back) is type(event)
        assert back.__dict__ == event.__dict__
        for name, value in event.__dict__.items():
            assert type(back.__dict__[name]) is type(value), name
    # Decimal equality ignores the exponent; the stored form must keep it ("1.50").
    assert str(mapper.to_domain_event(mapper.to_stored_event(recorded)).__dict__["amount"]) == str(
        values["amount"]
    )


def test_the_payload_is_plain_json_without_type_tags() -> None:
    aggregate = Sample()
    aggregate.record(
        ref=uuid.UUID(int=7),
        on=date(2024, 10, 31),
        at=datetime(2024, 1, 5, 8, tzinfo=UTC),
        amount=Decimal("1.50"),
        level=Level.PROVINCE,
        attachments=(Attachment("bc.pdf", 10, "ab"),),
        period=Period(2024, 1),
        figures={"trained": 120.0},
        note=None,
    )
    stored = MsgspecMapper().to_stored_event(aggregate.collect_events()[1])
    payload = msgspec.json.decode(stored.state)
    assert payload["on"] == "2024-10-31"
    assert payload["amount"] == "1.50"
    assert payload["level"] == "province"
    assert payload["attachments"] == [{"name": "bc.pdf", "size": 10, "sha256": "ab"}]
    assert "_type_" not in stored.state.decode()


def test_a_payload_that_does_not_fit_its_class_is_a_clear_error() -> None:
    aggregate = Sample()
    stored = MsgspecMapper().to_stored_event(aggregate.collect_events()[0])
    broken = StoredEvent(stored.originator_id, 1, stored.topic, b'{"timestamp": 5}')
    with pytest.raises(MapperDeserialisationError, match="timestamp"):
        MsgspecMapper().to_domain_event(broken)


class Versioned(Aggregate):
    class Noted(Aggregate.Event):
        text: str
        urgent: bool

        class_version = 2

        @staticmethod
        def upcast_v1_v2(state: dict[str, object]) -> None:
            state["urgent"] = False


def test_old_payloads_are_upcast_before_their_types_are_restored() -> None:
    created = Versioned()
    event_id = created.id
    old = StoredEvent(event_id, 2, "tests.unit.test_codec:Versioned.Noted", b"")
    old = StoredEvent(
        event_id,
        2,
        old.topic,
        msgspec.json.encode({"timestamp": "2024-01-05T08:00:00+00:00", "text": "đôn đốc"}),
    )
    event = MsgspecMapper().to_domain_event(old)
    assert event.__dict__["urgent"] is False
    assert event.__dict__["text"] == "đôn đốc"
    assert event.__dict__["timestamp"] == datetime(2024, 1, 5, 8, tzinfo=UTC)
