"""The subject scheme on a real nats-server: for any tree of valid organisation ids and any
event types, a unit's subtree subscription receives exactly the events of the units at
and below it — never a sibling's whose id merely starts the same."""

from __future__ import annotations

import asyncio

import nats
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.nats.subjects import event_subject, subtree_subject
from domain.organisation import SLUG

_ID = st.from_regex(SLUG, fullmatch=True).filter(lambda s: len(s) <= 12)
_TYPE = st.sampled_from(
    [
        "Assignment.Submitted",
        "Document.Issued",
        "Inspection.MarkedOverdue",
        "Organisation.Registered",
    ]
)


@st.composite
def trees(draw: st.DrawFn) -> list[tuple[str, ...]]:
    """Paths from the root, each unit's parent listed before it; ids unique, some of them
    prefixes of others (``btg-hai`` and ``btg-hai-phong``)."""
    ids = draw(st.lists(_ID, min_size=2, max_size=9, unique=True))
    ids += [f"{ids[1]}-x"] if f"{ids[1]}-x" not in ids else []
    paths: list[tuple[str, ...]] = [(ids[0],)]
    for unit in ids[1:]:
        parent = draw(st.sampled_from(paths))
        if len(parent) < 5:
            paths.append((*parent, unit))
    return paths


async def _received_by_each(
    url: str, prefix: str, paths: list[tuple[str, ...]], events: list[tuple[int, str]]
) -> dict[tuple[str, ...], set[int]]:
    """Each subscription's deliveries. After the events, every unit gets a last message of
    its own; NATS keeps one publisher's order, so a subscription that received its own
    last message has received everything sent to it before."""
    client = await nats.connect(url, allow_reconnect=False)
    try:
        received: dict[tuple[str, ...], set[int]] = {path: set() for path in paths}
        ends: list[asyncio.Event] = []
        for path in paths:
            end, last = asyncio.Event(), event_subject(prefix, path, "End")

            async def got(
                message: nats.aio.msg.Msg,
                into: set[int] = received[path],
                last: str = last,
                end: asyncio.Event = end,
            ) -> None:
                if message.data != b"end":
                    into.add(int(message.data))
                elif message.subject == last:
                    end.set()

            await client.subscribe(subtree_subject(prefix, path), cb=got)
            ends.append(end)
        await client.flush()
        for n, (unit, event_type) in enumerate(events):
            await client.publish(event_subject(prefix, paths[unit], event_type), str(n).encode())
        for path in paths:
            await client.publish(event_subject(prefix, path, "End"), b"end")
        await asyncio.wait_for(asyncio.gather(*(end.wait() for end in ends)), 10)
        return received
    finally:
        await client.close()


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(paths=trees(), data=st.data())
def test_a_subtree_subscription_receives_its_subtree_and_nothing_else(
    nats_url: str, nats_prefix: str, paths: list[tuple[str, ...]], data: st.DataObject
) -> None:
    events = data.draw(
        st.lists(st.tuples(st.integers(0, len(paths) - 1), _TYPE), min_size=1, max_size=20)
    )
    received = asyncio.run(_received_by_each(nats_url, f"{nats_prefix}subj", paths, events))
    for path in paths:
        below = {n for n, (unit, _) in enumerate(events) if paths[unit][: len(path)] == path}
        assert received[path] == below, path
