"""Where events go in NATS: subjects that follow the organisation tree, and the stream
that keeps them.

An event about a unit is published on ``<prefix>.events.<path>.<Type>``: ``<path>`` is the
ids of the organisations from the root down to that unit (as the audit index recorded it
when the event happened), ``<Type>`` the event's domain name without its dot
(``Assignment.Submitted`` → ``AssignmentSubmitted``: a dot would be a subject separator).
A committee receives everything at and below itself with one subscription,
``<prefix>.events.<its path>.>``; a sibling's subtree never matches.
"""

from __future__ import annotations

from collections.abc import Sequence


def stream_name(prefix: str) -> str:
    """``KHOAGIAO_EVENTS`` for the default prefix; each prefix has a stream of its own, so
    two deployments (or two test runs) can share one NATS server."""
    return f"{prefix.upper()}_EVENTS"


def stream_subjects(prefix: str) -> str:
    return f"{prefix}.events.>"


def type_token(event_type: str) -> str:
    """``Assignment.Submitted`` → ``AssignmentSubmitted``."""
    return event_type.replace(".", "")


def event_subject(prefix: str, path: Sequence[str], event_type: str) -> str:
    """The subject of an event about the unit at ``path`` (root first). An event that
    concerns no unit goes on ``<prefix>.events.<Type>``: in the stream, below no one."""
    return ".".join((prefix, "events", *path, type_token(event_type)))


def subtree_subject(prefix: str, path: Sequence[str]) -> str:
    """What a unit at ``path`` subscribes to for itself and every unit below it."""
    return ".".join((prefix, "events", *path, ">"))


def durable_name(organisation: str) -> str:
    """The durable consumer ``khoagiao watch`` keeps for an organisation."""
    return f"watch-{organisation}"
