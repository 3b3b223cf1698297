"""Document numbers as they appear in running text, and the names of document types.

A mention is "<type name> số <số>-<type>/<issuer code>", optionally dated (", ngày
24/11/2023") and attributed ("của Bộ Chính trị"): "Nghị quyết số 45-NQ/TW, ngày
24/11/2023 của Hội nghị lần thứ tám Ban Chấp hành Trung ương". The number itself is
parsed by ``domain.numbers.DocumentNumber`` (which tolerates "272- KL/TU"), so a
number read here is spelled exactly as the document register spells it.
Government numbers ("450/QĐ-TTg") are another register and are not mentions.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from domain.errors import DomainError
from domain.numbers import DocumentNumber, DocumentType
from importing.bodies import BODY
from importing.dates import DATE, parse_date

TYPE_NAMES: dict[str, DocumentType] = {
    "nghị quyết": DocumentType.NQ,
    "chỉ thị": DocumentType.CT,
    "kết luận": DocumentType.KL,
    "quyết định": DocumentType.QD,
    "quy định": DocumentType.QDI,
    "quy chế": DocumentType.QC,
    "hướng dẫn": DocumentType.HD,
    "kế hoạch": DocumentType.KH,
    "chương trình hành động": DocumentType.CTR,
    "chương trình phối hợp": DocumentType.CTR,
    "chương trình": DocumentType.CTR,
    "báo cáo": DocumentType.BC,
    "thông báo": DocumentType.TB,
    "tờ trình": DocumentType.TTR,
    "công văn": DocumentType.CV,
}
"""Vietnamese type names, longest first where one starts another."""

NAME_OF_TYPE = {
    kind: name[:1].upper() + name[1:] for name, kind in reversed(list(TYPE_NAMES.items()))
}
"""The usual name of each type ("Nghị quyết"), for titles the importer writes."""

TYPE_WORD = "|".join(re.escape(name) for name in TYPE_NAMES)
NUMBER = r"\d{1,5}\s*-\s*[A-Za-zĐđ]{2,4}\s*/\s*[A-ZĐ][A-ZĐ0-9]{1,15}(?![\wĐđ])"

_MENTION = re.compile(
    rf"(?:(?P<word>(?i:{TYPE_WORD}))\s+(?:(?i:số)\s*[:.]?\s*)?|\b(?i:số)\s*[:.]?\s*)?"
    rf"(?P<number>{NUMBER})"
    rf"(?:\s*,?\s*(?:ban hành\s+)?(?P<date>(?i:{DATE})))?"
    rf"(?:\s*,?\s*(?:(?:của|do)\s+)?(?P<body>{BODY}))?"
)


@dataclass(frozen=True)
class Mention:
    number: DocumentNumber
    type_name: str | None
    issued_on: date | None
    body: str | None
    """The body the text attributes the document to ("Bộ Chính trị"), when it says."""
    start: int
    end: int

    @property
    def canonical(self) -> str:
        return str(self.number)


def parse_number(text: str) -> DocumentNumber | None:
    try:
        return DocumentNumber.parse(text)
    except DomainError:
        return None


def mentions(text: str) -> Iterator[Mention]:
    """Every Party document number in ``text``, in order."""
    for found in _MENTION.finditer(text):
        number = parse_number(found["number"])
        if number is None:
            continue
        word = found["word"]
        yield Mention(
            number=number,
            type_name=word[:1].upper() + word[1:].lower() if word else None,
            issued_on=parse_date(found["date"]) if found["date"] else None,
            body=found["body"],
            start=found.start(),
            end=found.end(),
        )


def type_named(name: str) -> DocumentType | None:
    """ "HƯỚNG DẪN", "Kế hoạch" → the type; None for anything else."""
    return TYPE_NAMES.get(" ".join(name.split()).lower())
