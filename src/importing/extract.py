"""``extract``: from the text of a guidance or plan to a draft of the document and its
tasks. Deterministic, pure, and never refusing: what cannot be read is null and named
in the warnings, for the reviewer to fill in."""

from __future__ import annotations

from datetime import date

from importing import references as cited
from importing.bodies import issuer_code
from importing.dates import plan_year
from importing.draft import Concern, DocumentDraft, Draft
from importing.fields import fields_of
from importing.header import Header, read_header
from importing.layout import layout
from importing.normalise import paragraphs
from importing.numbers import mentions
from importing.recipients import recipients
from importing.tasks import item_subjects, other_tasks, reports, reviews


def extract(text: str) -> Draft:
    blocks = layout(paragraphs(text))
    header = read_header(blocks)
    body = "\n".join(block.text for block in blocks)
    own = str(header.number) if header.number else None
    parent = header.implements
    exclude: list[tuple[str, date | None]] = [(own, None)] if own else []
    if parent:
        exclude.append((parent.number, parent.issued_on))
    references, reference_concerns = cited.collect(mentions(body), exclude=exclude)
    subjects = item_subjects(blocks)
    found_reports = reports(blocks, subjects)
    tasks = [
        *reviews(blocks),
        *(found.task for found in found_reports),
        *other_tasks(blocks, subjects, header.issuer_name),
    ]
    warnings = [
        *header.concerns,
        *_missing(header),
        *_doubtful(header),
        *reference_concerns,
        *cited.after_issue(references, header.issued_on),
        *(concern for found in found_reports for concern in found.concerns),
    ]
    return Draft(
        document=DocumentDraft(
            number=own,
            type=header.type,
            issuer_code=header.issuer_code,
            issuer_name=header.issuer_name,
            place=header.place,
            issued_on=header.issued_on,
            title=header.title,
            signer=header.signer,
            implements=parent,
            references=references,
            fields=fields_of(body),
            recipients=recipients(blocks),
        ),
        tasks=tasks,
        warnings=warnings,
    )


def _missing(header: Header) -> list[Concern]:
    missing = {
        "number_not_found": (header.number, "no document number (số) was found: fill it in"),
        "issued_on_not_found": (header.issued_on, "no date of issue was found: fill it in"),
        "issuer_not_found": (header.issuer_name, "no issuing body was found: name it"),
        "title_not_found": (header.title, "no title (trích yếu) was found: fill it in"),
    }
    return [
        Concern(code=code, message=text) for code, (value, text) in missing.items() if not value
    ]


def _doubtful(header: Header) -> list[Concern]:
    concerns = []
    expected = issuer_code(header.issuer_name) if header.issuer_name else None
    if header.number and expected and expected != header.number.issuer_code:
        concerns.append(
            Concern(
                code="issuer_code_mismatch",
                message=f"number {header.number} carries {header.number.issuer_code}, but "
                f"{header.issuer_name} numbers its documents /{expected}",
            )
        )
    parent = header.implements
    if header.issued_on and parent and parent.issued_on and header.issued_on < parent.issued_on:
        concerns.append(
            Concern(
                code="issued_before_parent",
                message=f"dated {header.issued_on.isoformat()}, before {parent.number} "
                f"({parent.issued_on.isoformat()}) which it implements: check the year",
            )
        )
    year = plan_year(header.title)
    if header.issued_on and year and not _plausible(header.issued_on, year):
        concerns.append(
            Concern(
                code="issued_year_mismatch",
                message=f"a document for {year} dated {header.issued_on.isoformat()}: "
                f"check the year (plans are issued from October of the year before)",
            )
        )
    return concerns


def _plausible(issued_on: date, year: int) -> bool:
    """A plan for ``year`` is issued in that year or in the last quarter before it."""
    return issued_on.year == year or (issued_on.year == year - 1 and issued_on.month >= 10)
