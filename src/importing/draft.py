"""The draft an import produces: what the text says, in the vocabulary of the commands,
for a person to review before anything is issued.

Its JSON is the shape integrators see (``khoagiao import --dry-run --json``, and the
HTTP import): null where the text does not say, dates in ISO form, enum values as the
commands spell them (``TaskKind``, ``Review``, ``Recurrence``, ``Kind``, ``DocumentType``).
A reviewed draft comes back in the same shape, so decoding it validates it.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

import msgspec

from domain.calendar import Recurrence
from domain.numbers import DocumentType
from domain.organisation import Kind
from domain.task import Review, TaskKind

Month = Annotated[str, msgspec.Meta(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")]
"""A due month, "2024-10" for "(tháng 10/2024)": due by the end of that month."""


class Parent(msgspec.Struct, frozen=True, kw_only=True):
    """The document this one implements (căn cứ / thực hiện ...)."""

    number: str
    issued_on: date | None
    issuer_name: str | None


class Reference(msgspec.Struct, frozen=True, kw_only=True):
    """A Party document the text cites (its number as the register spells it)."""

    number: str
    issued_on: date | None


class Addressee(msgspec.Struct, frozen=True, kw_only=True):
    """A line of Nơi nhận; ``for_reporting`` when marked "(b/c)", "(để b/c)", "(báo cáo)"."""

    name: str
    for_reporting: bool


class DocumentDraft(msgspec.Struct, frozen=True, kw_only=True):
    number: str | None
    type: DocumentType | None
    issuer_code: str | None
    issuer_name: str | None
    place: str | None
    issued_on: date | None
    title: str | None
    signer: str | None
    implements: Parent | None
    references: list[Reference]
    fields: list[str]
    recipients: list[Addressee]


class TaskDraft(msgspec.Struct, frozen=True, kw_only=True):
    """A task as the text states it. ``assignee_hint``: the kinds of unit the text
    addresses it to (None when it names none); ``due_month`` when only a month is given."""

    kind: TaskKind
    title: str
    resolution: str | None = None
    review: Review | None = None
    due_on: date | None = None
    due_month: Month | None = None
    recurrence: Recurrence | None = None
    assignee_hint: list[Kind] | None = None


class Concern(msgspec.Struct, frozen=True, kw_only=True):
    """Something that looks wrong or is missing; ``code`` is stable, ``message`` says what."""

    code: str
    message: str


class Draft(msgspec.Struct, frozen=True, kw_only=True):
    document: DocumentDraft
    tasks: list[TaskDraft]
    warnings: list[Concern]


def to_json(draft: Draft) -> bytes:
    return msgspec.json.encode(draft)


def from_json(data: bytes | str) -> Draft:
    """A reviewed draft; raises ``msgspec.ValidationError`` naming the field at fault."""
    return msgspec.json.decode(data, type=Draft)
