"""Document numbers ("128-HD/BTGTW") and committee terms.

Numbers restart from 01 per document type, per issuer, per committee term, so a
document's identity is (issuer, type, term, number), never the number alone.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import date

from domain.errors import refuse
from domain.organisation import Level


class DocumentType(enum.StrEnum):
    NQ = "NQ"  # nghị quyết, resolution
    CT = "CT"  # chỉ thị, directive
    KL = "KL"  # kết luận, conclusion
    QD = "QĐ"  # quyết định, decision
    QDI = "QĐi"  # quy định, regulation
    QC = "QC"  # quy chế, rules
    HD = "HD"  # hướng dẫn, guidance
    KH = "KH"  # kế hoạch, plan
    CTR = "CTr"  # chương trình, programme
    BC = "BC"  # báo cáo, report
    TB = "TB"  # thông báo, notice
    TTR = "TTr"  # tờ trình, submission
    CV = "CV"  # công văn, official letter


_TYPES = {t.value.upper(): t for t in DocumentType} | {
    "QD": DocumentType.QD,
    "QDI": DocumentType.QDI,
}
_NUMBER = re.compile(r"^\s*(\d{1,5})\s*-\s*([A-Za-zĐđ]{2,4})\s*/\s*([A-Za-zĐđ0-9]{2,16})\s*$")


@dataclass(frozen=True)
class DocumentNumber:
    sequence: int
    type: DocumentType
    issuer_code: str

    @classmethod
    def parse(cls, text: str) -> DocumentNumber:
        """Tolerates stray spaces ("115- HD/BTGW") and case; refuses what is not a number."""
        match = _NUMBER.match(text)
        kind = _TYPES.get(match[2].upper()) if match else None
        if match is None or kind is None or int(match[1]) == 0:
            raise refuse(
                "invalid_document_number",
                f"{text!r} is not a document number of the form <số>-<type>/<issuer code>, "
                "e.g. 128-HD/BTGTW (types: " + ", ".join(t.value for t in DocumentType) + ")",
            )
        return cls(int(match[1]), kind, match[3].upper())

    def __str__(self) -> str:
        return f"{self.sequence:02d}-{self.type}/{self.issuer_code}"


# When each level's committee terms began (đại hội). Central terms are the national
# congresses; lower levels hold their congresses in the months before. The dates are
# the usual opening of each round; a command may name its term explicitly instead.
_TERMS: dict[Level, list[tuple[date, str]]] = {
    Level.CENTRAL: [
        (date(2011, 1, 19), "XI"),
        (date(2016, 1, 28), "XII"),
        (date(2021, 2, 1), "XIII"),
        (date(2026, 1, 23), "XIV"),
    ],
    Level.PROVINCE: [
        (date(2010, 10, 1), "2010-2015"),
        (date(2015, 10, 1), "2015-2020"),
        (date(2020, 10, 1), "2020-2025"),
        (date(2025, 10, 1), "2025-2030"),
    ],
    Level.DISTRICT: [
        (date(2010, 7, 1), "2010-2015"),
        (date(2015, 7, 1), "2015-2020"),
        (date(2020, 7, 1), "2020-2025"),
        (date(2025, 7, 1), "2025-2030"),
    ],
    Level.GRASSROOTS: [
        (date(2010, 5, 1), "2010-2015"),
        (date(2015, 5, 1), "2015-2020"),
        (date(2020, 5, 1), "2020-2025"),
        (date(2025, 5, 1), "2025-2030"),
    ],
}


def committee_term(level: Level, on: date) -> str:
    """The term (khóa / nhiệm kỳ) of a committee of ``level`` on a date."""
    current = None
    for start, label in _TERMS[level]:
        if start <= on:
            current = label
    if current is None:
        raise refuse(
            "term_unknown",
            f"no {level} committee term is known for {on.isoformat()}: name the term explicitly",
        )
    return current
