"""The line ``khoagiao watch`` prints for an event, and the notification settings."""

from __future__ import annotations

import inspect
import uuid
from datetime import UTC, datetime
from typing import Any

import msgspec
import pytest
from eventsourcing.domain import AggregateEvent
from hypothesis import given
from hypothesis import strategies as st

from adapters.nats.messages import EventMessage, MessageActor, decode, encode
from adapters.nats.notices import _SAYS, notice, what_happened
from domain import access, assignment, document, inspection, organisation
from khoagiao.config import ConfigError, Settings


def message(event_type: str, data: Any, unit: str | None = "btg-ngo-quyen") -> EventMessage:
    return EventMessage(
        id=uuid.uuid4(),
        position=7,
        type=event_type,
        stream_id=uuid.uuid4(),
        organization_id=unit,
        actor=MessageActor("btg-ngo-quyen", "token-1"),
        recorded_at=datetime(2024, 3, 1, 17, 30, tzinfo=UTC),
        data=msgspec.Raw(msgspec.json.encode(data)),
    )


def domain_facts() -> set[str]:
    facts = set()
    for module in (organisation, document, assignment, inspection, access):
        for cls in vars(module).values():
            if inspect.isclass(cls) and cls.__module__ == module.__name__:
                for event in vars(cls).values():
                    if inspect.isclass(event) and issubclass(event, AggregateEvent):
                        facts.add(event.__qualname__)
    return {fact for fact in facts if not fact.endswith((".Event", ".Created"))}


def test_every_fact_a_commissioner_follows_has_words() -> None:
    tokens = {"AccessToken.Issued", "AccessToken.Revoked"}  # named as they are
    assert domain_facts() - tokens <= set(_SAYS)


def test_a_line_says_when_in_vietnam_time_which_unit_and_what_happened() -> None:
    overdue = message("Assignment.MarkedOverdue", {"due_on": "2024-02-29", "on": "2024-03-02"})
    names = {"btg-ngo-quyen": "Ban Tuyên giáo Quận ủy Ngô Quyền"}
    assert notice(overdue, names) == (
        "02/03/2024 00:30  Ban Tuyên giáo Quận ủy Ngô Quyền (btg-ngo-quyen)  "
        "QUÁ HẠN: nhiệm vụ hạn 29/02/2024 chưa hoàn thành"
    )
    assert notice(message("Tested", {}, unit=None), {}).endswith("  —  Tested")


_FIELDS = ["name", "parent", "into", "effective_on", "child", "assignment_ids", "number"]
_FIELDS += ["title", "summary", "reason", "by", "by_number", "period", "due_on", "from_unit"]
_FIELDS += ["days_before", "kind", "targets", "finding", "rating", "remediation_due_on"]
_FIELDS += ["text", "submission", "resubmission", "transferred_from"]
_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=8)),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(_FIELDS), inner, max_size=3)
    ),
    max_leaves=6,
)


@given(
    st.sampled_from(sorted(_SAYS)),
    st.one_of(st.dictionaries(st.sampled_from(_FIELDS), _VALUES), _VALUES),
)
def test_an_unexpected_payload_is_named_never_a_crash(event_type: str, data: Any) -> None:
    said = what_happened(message(event_type, data))
    assert said and "\n" not in said


def test_a_message_goes_and_comes_back_with_its_payload_verbatim() -> None:
    sent = message("Document.Issued", {"number": "128-HD/BTGTW", "title": "Công tác khoa giáo"})
    assert decode(encode(sent)) == sent


@pytest.mark.parametrize(
    ("env", "phrase"),
    [
        ({"KHOAGIAO_NATS_DUPLICATE_WINDOW_SECONDS": "0"}, "at least 1"),
        (
            {
                "KHOAGIAO_EVENT_RETENTION_DAYS": "1",
                "KHOAGIAO_NATS_DUPLICATE_WINDOW_SECONDS": "90000",
            },
            "must not be longer than the retention",
        ),
        ({"KHOAGIAO_DEADLINE_WATCH_SECONDS": "soon"}, "not a whole number"),
    ],
)
def test_notification_settings_refuse_what_cannot_work(env: dict[str, str], phrase: str) -> None:
    with pytest.raises(ConfigError, match=phrase):
        Settings.from_env(env)


def test_notification_settings_default_to_ten_minutes_and_a_minute() -> None:
    settings = Settings.from_env({})
    assert (settings.nats_duplicate_window_seconds, settings.deadline_watch_seconds) == (600, 60)
