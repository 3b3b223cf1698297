"""Which kinds of body may issue which document types, as the rules stood on a date.

The rules are themselves versioned: Quy định 66-QĐ/TW (2017) on types and authority for
Party documents, replaced by Quy định 399-QĐ/TW from 09/01/2026. Each version is a
table of data; a document is checked against the version in force on its issue date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from domain.errors import refuse
from domain.numbers import DocumentType as T
from domain.organisation import Kind


@dataclass(frozen=True)
class IssuingRules:
    regulation: str
    in_force_from: date
    allowed: dict[Kind, frozenset[T]]


_COMMITTEE = frozenset(
    {T.NQ, T.CT, T.KL, T.QD, T.QDI, T.QC, T.HD, T.KH, T.CTR, T.BC, T.TB, T.TTR, T.CV}
)
_ADVISORY_BODY = frozenset({T.QD, T.QDI, T.QC, T.HD, T.KH, T.CTR, T.BC, T.TB, T.TTR, T.CV})
_GRASSROOTS = frozenset({T.NQ, T.QD, T.KH, T.CTR, T.BC, T.TB, T.TTR, T.CV})
_INSPECTION = frozenset({T.QD, T.KL, T.HD, T.KH, T.CTR, T.BC, T.TB, T.TTR, T.CV})
_REPORTING = frozenset({T.KH, T.BC, T.CV})

_66_QD_TW = {
    Kind.PARTY_COMMITTEE: _COMMITTEE,
    Kind.BLOC_COMMITTEE: _COMMITTEE,
    Kind.PROPAGANDA_COMMISSION: _ADVISORY_BODY,
    Kind.INSPECTION_COMMITTEE: _INSPECTION,
    Kind.GRASSROOTS_PARTY: _GRASSROOTS,
    Kind.STATE_AGENCY: _REPORTING,
    Kind.FRONT: _REPORTING,
    Kind.SOCIO_POLITICAL: _REPORTING,
}

RULES = [
    IssuingRules("66-QĐ/TW", date(2017, 2, 6), _66_QD_TW),
    # 399-QĐ/TW keeps the authority of these bodies over the types tracked here; its
    # changes concern layout. A difference in authority goes in this table as data.
    IssuingRules("399-QĐ/TW", date(2026, 1, 9), dict(_66_QD_TW)),
]


def rules_on(day: date) -> IssuingRules:
    in_force = [r for r in RULES if r.in_force_from <= day]
    return in_force[-1] if in_force else RULES[0]


def check_may_issue(kind: Kind, document_type: T, on: date) -> None:
    rules = rules_on(on)
    if document_type not in rules.allowed.get(kind, frozenset()):
        raise refuse(
            "document_type_not_allowed",
            f"under {rules.regulation} a {kind} does not issue {document_type} documents",
        )
