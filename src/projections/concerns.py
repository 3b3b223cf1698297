"""Which organisation an event concerns: the unit it is *about*, whose subtree it
belongs to in the audit trail and in notifications.

The submitting unit for a submission, the assignee for an assignment, the target for a
finding, a self-assessment, a conclusion or a remediation, the inspector for the rest
of an inspection, the issuer for a document, the unit itself for an organisation, the
organisation a token acts for.
"""

from __future__ import annotations

from typing import Any


def concerned_unit(name: str, event: Any, stream_unit: str | None) -> str | None:
    """``stream_unit`` is the unit the stream was about before this event (None for a
    stream's first event); the result is the unit this event is about."""
    aggregate, _, fact = name.partition(".")
    match aggregate:
        case "Organisation":
            return str(event.slug) if fact == "Registered" else stream_unit
        case "Document":
            return str(event.issuer.slug) if fact == "Issued" else stream_unit
        case "DocumentRegister":
            return str(event.issuer) if fact == "Opened" else stream_unit
        case "Assignment":
            if fact == "Assigned":
                return str(event.assignee)
            if fact == "Submitted":
                return str(event.submission.submitted_by)
            if fact == "Transferred":
                return str(event.to_unit)
            return stream_unit
        case "AccessToken":
            return str(event.organisation) if fact == "Issued" else stream_unit
        case "Inspection":
            target = getattr(event, "target", None)
            if isinstance(target, str):
                return target
            return str(event.inspector) if fact == "Planned" else stream_unit
    return stream_unit


def stream_unit_after(
    name: str, event: Any, before: str | None, concerned: str | None
) -> str | None:
    """The unit a stream is about after an event: set by its first event, changed only
    when an assignment is transferred."""
    if before is None or name == "Assignment.Transferred":
        return concerned
    return before
