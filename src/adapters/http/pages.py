"""Pagination by keyset, never by offset: a page ends with ``next_after``, the key of its
last item, and the next request passes it back as ``after``. Keys are short readable
strings (``2024-01-05~<uuid>``); clients should treat them as opaque."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from litestar.params import QueryParameter

from adapters.http.problems import ApiProblem, FieldError

A = TypeVar("A")
B = TypeVar("B")

_SEPARATOR = "~"

Limit = Annotated[int, QueryParameter(ge=1, le=1000, description="Items per page (1 to 1000).")]


def encode_key(*parts: Any) -> str:
    return _SEPARATOR.join(str(part) for part in parts)


def decode_key(
    after: str | None,
    first: A,
    second: B,
    parse_first: Callable[[str], A],
    parse_second: Callable[[str], B],
) -> tuple[A, B]:
    """The two parts of an ``after`` key, or the defaults when there is none."""
    if after is None:
        return first, second
    head, separator, tail = after.partition(_SEPARATOR)
    try:
        if not separator:
            raise ValueError(after)
        return parse_first(head), parse_second(tail)
    except ValueError:
        raise ApiProblem(
            400,
            "invalid_request",
            f"after {after!r} is not a key this endpoint returned as next_after",
            errors=[FieldError("query.after", "must be a next_after value from a previous page")],
        ) from None
