"""Every error as ``application/problem+json`` (RFC 9457).

A body carries ``type``, ``title``, ``status``, ``detail``, the stable ``code`` a client
can branch on (the domain's refusal code, or one of the protocol codes below) and, for a
body or parameter that failed validation, ``errors``: the failing field paths with the
rule each broke. Clients should branch on ``code``, never on ``detail``'s wording.
"""

from __future__ import annotations

import logging
import re
from http import HTTPStatus
from typing import Any

import asyncpg
import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException, NotAuthorizedException, ValidationException
from litestar.openapi.datastructures import ResponseSpec

from application.errors import ConcurrencyError
from domain.errors import DomainError, NotFound, PermissionDenied

_log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "urn:khoagiao:problem:"


class FieldError(msgspec.Struct, frozen=True):
    field: str
    """Where: ``due_on``, ``tasks[0].assignee_ids``, ``query.limit``."""
    rule: str
    """What was wrong with it, in words."""


class Problem(msgspec.Struct, frozen=True, omit_defaults=True):
    type: str
    title: str
    status: int
    detail: str
    code: str
    errors: list[FieldError] | None = None


class ApiProblem(Exception):
    """A refusal decided in the HTTP layer (not by the domain)."""

    def __init__(
        self,
        status: int,
        code: str,
        detail: str,
        *,
        errors: list[FieldError] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.errors = errors
        self.headers = headers or {}


def problem_response(
    status: int,
    code: str,
    detail: str,
    *,
    errors: list[FieldError] | None = None,
    headers: dict[str, str] | None = None,
) -> Response[Problem]:
    body = Problem(
        type=TYPE_BASE + code,
        title=HTTPStatus(status).phrase,
        status=status,
        detail=detail,
        code=code,
        errors=errors,
    )
    return Response(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _domain(_: Request[Any, Any, Any], error: DomainError) -> Response[Problem]:
    status = (
        404 if isinstance(error, NotFound) else 403 if isinstance(error, PermissionDenied) else 422
    )
    return problem_response(status, error.code, str(error))


def _stale(_: Request[Any, Any, Any], error: ConcurrencyError) -> Response[Problem]:
    return problem_response(409, error.code, str(error))


def _api(_: Request[Any, Any, Any], error: ApiProblem) -> Response[Problem]:
    return problem_response(
        error.status, error.code, error.detail, errors=error.errors, headers=error.headers
    )


_UNKNOWN_FIELD = re.compile(r"unknown field `([^`]*)`")
_MISSING_FIELD = re.compile(r"missing required field `([^`]*)`")


def field_errors(extra: Any) -> list[FieldError]:
    """Litestar's validation messages as field paths: a message about an unknown or a
    missing field names the field itself, not the object holding it."""
    errors = []
    for item in extra if isinstance(extra, list) else []:
        message = str(item.get("message", "invalid"))
        key = str(item.get("key", ""))
        source = str(item.get("source", "body"))
        named = _UNKNOWN_FIELD.search(message) or _MISSING_FIELD.search(message)
        if named:
            key = named.group(1) if key in ("", "data") else f"{key}.{named.group(1)}"
        if source not in ("body", ""):
            key = f"{source}.{key}"
        errors.append(FieldError(key or "body", message))
    return errors


def _validation(_: Request[Any, Any, Any], error: ValidationException) -> Response[Problem]:
    errors = field_errors(error.extra)
    if errors:
        detail = "; ".join(f"{e.field}: {e.rule}" for e in errors)
        return problem_response(400, "invalid_request", detail, errors=errors)
    return problem_response(400, "malformed_body", str(error.detail))


def _not_utf8(_: Request[Any, Any, Any], error: UnicodeDecodeError) -> Response[Problem]:
    return problem_response(
        400, "malformed_body", f"the body is not valid UTF-8 (byte {error.start})"
    )


def _unauthorised(_: Request[Any, Any, Any], error: NotAuthorizedException) -> Response[Problem]:
    return problem_response(
        401, "unauthenticated", str(error.detail), headers={"WWW-Authenticate": "Bearer"}
    )


_HTTP_CODES = {
    400: "malformed_body",
    404: "no_such_route",
    405: "method_not_allowed",
    413: "body_too_large",
    415: "unsupported_media_type",
}


def _http(_: Request[Any, Any, Any], error: HTTPException) -> Response[Problem]:
    status = error.status_code
    code = _HTTP_CODES.get(status, "http_error")
    return problem_response(status, code, str(error.detail), headers=error.headers)


def _unstorable(_: Request[Any, Any, Any], error: asyncpg.DataError) -> Response[Problem]:
    """PostgreSQL's data exceptions (SQLSTATE class 22) come from values a client sent:
    a number out of range, a character text cannot hold."""
    return problem_response(
        400, "invalid_request", f"a value cannot be stored or compared: {error}"
    )


def _internal(request: Request[Any, Any, Any], error: Exception) -> Response[Problem]:
    _log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=error)
    return problem_response(
        500, "internal_error", "the service failed to answer: retry with the same Idempotency-Key"
    )


EXCEPTION_HANDLERS: Any = {
    DomainError: _domain,
    ConcurrencyError: _stale,
    ApiProblem: _api,
    ValidationException: _validation,
    UnicodeDecodeError: _not_utf8,
    NotAuthorizedException: _unauthorised,
    HTTPException: _http,
    asyncpg.DataError: _unstorable,
    Exception: _internal,
}
"""Most specific first is not needed: Litestar picks the handler of the nearest class in
the exception's MRO."""


def _specs(*statuses: int) -> dict[int, ResponseSpec]:
    return {
        status: ResponseSpec(
            data_container=Problem,
            media_type=PROBLEM_JSON,
            description=_MEANINGS[status],
            generate_examples=False,
        )
        for status in statuses
    }


_MEANINGS = {
    400: "Malformed request: `errors` names each failing field and its rule.",
    401: "No valid access token.",
    403: "The caller may not do this (`code` names the rule).",
    404: "No such resource, or none the caller may see.",
    409: "Stale write: the resource changed since it was read; reload and retry.",
    413: "The body is larger than the limit.",
    422: "A rule of the domain refused the command (`code` names it); nothing was written.",
    503: "The views have not reached `min_position` yet; retry shortly.",
}

READ_PROBLEMS = _specs(400, 401, 403, 404, 422, 503)
"""The problems any query may answer with."""
WRITE_PROBLEMS = _specs(400, 401, 403, 404, 409, 413, 422)
"""The problems any command may answer with."""
