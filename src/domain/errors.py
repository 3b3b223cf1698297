"""Refusals. Every refused command raises a DomainError with a stable ``code`` (the API
puts it in problem+json) and a message a commissioner can read, with the Vietnamese term
where users know the thing by it. Guards run before any event is triggered, so a refused
command leaves nothing behind."""

from __future__ import annotations


class DomainError(Exception):
    """A business rule refused a command."""

    code = "rule_broken"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code


class RuleBroken(DomainError):
    """A rule of the domain (HTTP 422)."""


class PermissionDenied(DomainError):
    """The actor may not do this to this unit (HTTP 403)."""

    code = "permission_denied"


class NotFound(DomainError):
    """No such thing, or none the actor may see (HTTP 404)."""

    code = "not_found"


def refuse(code: str, message: str) -> RuleBroken:
    return RuleBroken(message, code=code)
