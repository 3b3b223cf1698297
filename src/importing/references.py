"""The documents a text cites, each once, with its date; and what looks wrong about them.

The same number may name two documents: numbers restart every committee term, so
36-NQ/TW of 2014 and 36-NQ/TW of 2023 are different resolutions, and a reference is
(number, date). A mention without a date is the dated reference of the same number
when there is one. Two dates for one number within one term of its issuer cannot both
be right, nor can a central body's resolution numbered with a provincial code.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from domain.errors import DomainError
from domain.numbers import committee_term
from domain.organisation import Level
from importing.bodies import issuer_code
from importing.draft import Concern, Reference
from importing.numbers import Mention

_LEVELS = [
    ("TW", Level.CENTRAL),
    ("ĐUK", Level.DISTRICT),
    ("TU", Level.PROVINCE),
    ("HU", Level.DISTRICT),
    ("QU", Level.DISTRICT),
    ("ĐU", Level.GRASSROOTS),
]


def collect(
    found: Iterable[Mention], *, exclude: Iterable[tuple[str, date | None]] = ()
) -> tuple[list[Reference], list[Concern]]:
    """References in order of first mention, without the ``exclude``d (number, date)
    pairs (the document itself, its parent); a pair with no date excludes the number."""
    excluded = list(exclude)
    dated: dict[str, list[date]] = {}
    order: list[str] = []
    concerns: dict[str, Concern] = {}
    for mention in found:
        number = mention.canonical
        if any(n == number and (d is None or d == mention.issued_on) for n, d in excluded):
            continue
        if number not in dated:
            dated[number] = []
            order.append(number)
        if mention.issued_on and mention.issued_on not in dated[number]:
            dated[number].append(mention.issued_on)
        concern = _attribution(mention)
        if concern:
            concerns.setdefault(f"attribution:{number}", concern)
    references: list[Reference] = []
    for number in order:
        days = dated[number]
        references += [Reference(number=number, issued_on=day) for day in days] or [
            Reference(number=number, issued_on=None)
        ]
        conflict = _same_term(number, days)
        if conflict:
            concerns[f"conflict:{number}"] = conflict
        if not days:
            concerns[f"undated:{number}"] = Concern(
                code="reference_without_date",
                message=f"{number} is cited without a date: numbers restart every term, so "
                "the date tells which document it is",
            )
    return references, list(concerns.values())


def _attribution(mention: Mention) -> Concern | None:
    body = " ".join((mention.body or "").split())
    expected = issuer_code(body) if body else None
    if expected is None or expected == mention.number.issuer_code:
        return None
    return Concern(
        code="reference_issuer_mismatch",
        message=f"{mention.canonical} is attributed to {body}, "
        f"whose numbers carry /{expected}: check the number",
    )


def _same_term(number: str, days: list[date]) -> Concern | None:
    if len(days) < 2:
        return None
    code = number.rsplit("/", 1)[1]
    level = next((lvl for suffix, lvl in _LEVELS if code.endswith(suffix)), None)
    if level is None:
        return None
    try:
        terms = {committee_term(level, day) for day in days}
    except DomainError:
        return None
    if len(terms) == len(days):
        return None
    spelled = ", ".join(day.isoformat() for day in sorted(days))
    return Concern(
        code="reference_date_conflict",
        message=f"{number} is cited with the dates {spelled}, in one term of its issuer: "
        "a number is used once per term, so one of them is wrong",
    )


def after_issue(references: list[Reference], issued_on: date | None) -> list[Concern]:
    """References dated after the document itself (a typo in a year, usually)."""
    if issued_on is None:
        return []
    return [
        Concern(
            code="reference_after_issue",
            message=f"{r.number} is dated {r.issued_on.isoformat()}, after the document "
            f"itself ({issued_on.isoformat()})",
        )
        for r in references
        if r.issued_on and r.issued_on > issued_on
    ]
