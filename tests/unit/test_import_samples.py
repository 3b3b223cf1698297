"""The importer on guidance documents written for these tests (tests/import_samples/):
other provinces, other years, other document types, a missing header, a wrong year, a
hard-wrapped text with a footnote cut into a sentence, Markdown remnants. Each expected
fact below was read off the sample by hand, not off the importer's output."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pytest

from domain.calendar import Recurrence
from domain.numbers import DocumentType
from domain.organisation import Kind
from domain.task import ReviewKind, TaskKind
from importing import Draft, extract, read_text, to_json
from importing.normalise import paragraphs

SAMPLES = Path(__file__).resolve().parents[1] / "import_samples"
SK, TK = ReviewKind.SO_KET, ReviewKind.TONG_KET
Ref = tuple[str, date | None]
Rv = tuple[ReviewKind, int, str, str | None]  # kind, years, resolution, due month


@dataclass(frozen=True)
class Expected:
    number: str | None
    type: DocumentType | None
    issuer_code: str | None
    issued_on: date | None
    place: str | None
    parent: Ref | None
    references: set[Ref]
    reviews: set[Rv]
    warnings: set[str] = field(default_factory=set)


def found_references(draft: Draft) -> set[Ref]:
    return {(r.number, r.issued_on) for r in draft.document.references}


def found_reviews(draft: Draft) -> set[Rv]:
    return {
        (t.review.kind, t.review.years, t.resolution or "", t.due_month)
        for t in draft.tasks
        if t.kind is TaskKind.REVIEW and t.review
    }


def check_header(draft: Draft, expected: Expected) -> None:
    document = draft.document
    assert document.number == expected.number
    assert document.type == expected.type
    assert document.issuer_code == expected.issuer_code
    assert document.issued_on == expected.issued_on
    assert document.place == expected.place
    parent = document.implements
    assert ((parent.number, parent.issued_on) if parent else None) == expected.parent


def scores(pairs: list[tuple[set[object], set[object]]]) -> tuple[float, float]:
    """Micro-averaged precision and recall of (found, expected) sets."""
    true = sum(len(found & expected) for found, expected in pairs)
    found = sum(len(found) for found, _ in pairs)
    expected = sum(len(expected) for _, expected in pairs)
    return (true / found if found else 1.0), (true / expected if expected else 1.0)


SAMPLE_FACTS = {
    "province-57-HD-BTGTU-2025.txt": Expected(
        number="57-HD/BTGTU",
        type=DocumentType.HD,
        issuer_code="BTGTU",
        issued_on=date(2025, 1, 8),
        place="Quảng Ngãi",
        parent=("140-HD/BTGTW", date(2024, 12, 20)),
        references={
            ("57-NQ/TW", date(2024, 12, 22)),
            ("91-KL/TW", date(2024, 8, 12)),
            ("29-NQ/TW", None),
            ("25-CT/TW", date(2023, 10, 25)),
            ("88-CTr/TU", date(2024, 3, 14)),
            ("15-KL/TU", None),
            ("05-NQ/TU", date(2021, 6, 30)),
            ("52-NQ/TW", date(2019, 9, 27)),
            ("06-CT/TW", date(2005, 1, 22)),
            ("02-NQ/TU", date(2015, 5, 5)),
        },
        reviews={
            (SK, 5, "52-NQ/TW", "2025-09"),
            (TK, 20, "06-CT/TW", "2025-11"),
            (TK, 10, "02-NQ/TU", None),  # due on 30/06/2025, a date, not a month
        },
        warnings={"reference_without_date"},
    ),
    "bloc-31-KH-BTGDUK-2025.md": Expected(
        number="31-KH/BTGĐUK",
        type=DocumentType.KH,
        issuer_code="BTGĐUK",
        issued_on=date(2024, 1, 10),  # as printed: the wrong year, warned about
        place="Quy Nhơn",
        parent=("96-HD/BTGTU", date(2024, 12, 20)),
        references={
            ("238-QĐ/TW", None),
            ("35-CT/TW", date(2024, 5, 30)),
            ("80-KL/TW", None),
            ("12-KH/ĐUK", date(2020, 3, 3)),
        },
        reviews={(SK, 5, "12-KH/ĐUK", "2025-10")},
        warnings={
            "issued_before_parent",
            "issued_year_mismatch",
            "reference_without_date",
            "reference_after_issue",
            "report_period_unknown",
        },
    ),
    "town-09-HD-BTGTU-2023.txt": Expected(
        number="09-HD/BTGTU",  # printed "09- HD/BTGTU", and only in the appendix
        type=DocumentType.HD,
        issuer_code="BTGTU",
        issued_on=date(2023, 1, 16),
        place=None,
        parent=("64-HD/BTGTU", date(2022, 12, 29)),
        references={
            ("45-NQ/TW", date(2023, 11, 24)),
            ("25-CT/TW", date(2023, 10, 25)),
            ("29-CT/TW", date(2013, 12, 5)),
            ("25-KL/TW", date(2017, 12, 30)),
            ("20-NQ/TW", date(2017, 10, 25)),
            ("21-NQ/TW", date(2017, 10, 25)),
            ("14-CT/TU", None),
        },
        reviews={(TK, 10, "29-CT/TW", "2023-08"), (SK, 5, "25-KL/TW", "2023-10")},
        warnings={"header_missing", "reference_without_date", "reference_after_issue"},
    ),
    "district-18-HD-2025.txt": Expected(
        number="18-HD/BTGTU",  # a district commission's number with a province's code
        type=DocumentType.HD,
        issuer_code="BTGTU",
        issued_on=date(2025, 1, 21),
        place="Sơn Tịnh",
        parent=("57-HD/BTGTU", date(2025, 1, 8)),
        references={("57-NQ/TW", date(2024, 12, 22)), ("52-NQ/TW", date(2019, 9, 27))},
        reviews={(SK, 5, "52-NQ/TW", "2025-08")},
        warnings={"issuer_code_mismatch"},
    ),
}


def sample(name: str) -> Draft:
    return extract(read_text(name, (SAMPLES / name).read_bytes()))


@pytest.mark.parametrize("name", sorted(SAMPLE_FACTS))
def test_each_sample_yields_its_header_parent_references_reviews_and_warnings(
    name: str,
) -> None:
    draft = sample(name)
    expected = SAMPLE_FACTS[name]
    check_header(draft, expected)
    assert found_references(draft) == expected.references
    assert found_reviews(draft) == expected.reviews
    assert {w.code for w in draft.warnings} == expected.warnings


def test_precision_and_recall_on_the_samples_reach_095() -> None:
    drafts = {name: sample(name) for name in SAMPLE_FACTS}
    references = scores(
        [(found_references(d), SAMPLE_FACTS[n].references) for n, d in drafts.items()]
    )
    reviews = scores([(found_reviews(d), SAMPLE_FACTS[n].reviews) for n, d in drafts.items()])
    print(
        f"samples: references P={references[0]:.3f} R={references[1]:.3f}; "
        f"reviews P={reviews[0]:.3f} R={reviews[1]:.3f}"
    )
    assert min(*references, *reviews) >= 0.95


def test_the_header_signer_title_and_recipients_of_a_formal_document() -> None:
    document = sample("province-57-HD-BTGTU-2025.txt").document
    assert document.issuer_name == "Ban Tuyên giáo Tỉnh ủy Quảng Ngãi"
    assert document.title == "Hướng dẫn công tác khoa giáo năm 2025"
    assert document.signer == "Đinh Thị Thu Hà"
    assert [(r.name, r.for_reporting) for r in document.recipients] == [
        ("Ban Tuyên giáo Trung ương", True),
        ("Thường trực Tỉnh ủy", True),
        ("Các huyện ủy, thị ủy, thành ủy, đảng ủy trực thuộc", False),
        ("Ban tuyên giáo các huyện ủy, thị ủy, thành ủy", False),
    ]  # "Lưu VT" is the archive copy, not a recipient


def test_a_review_about_a_past_review_is_not_a_task() -> None:
    """ "Kết luận số 15-KL/TU ... về sơ kết 3 năm thực hiện Nghị quyết số 05-NQ/TU" is a
    conclusion already drawn, not a review to hold."""
    draft = sample("province-57-HD-BTGTU-2025.txt")
    assert all(t.resolution != "05-NQ/TU" for t in draft.tasks)


def test_reports_carry_their_period_deadline_and_addressees() -> None:
    quarterly = [
        t
        for t in sample("province-57-HD-BTGTU-2025.txt").tasks
        if t.kind is TaskKind.PERIODIC_REPORT
    ]
    assert [(t.recurrence, t.assignee_hint) for t in quarterly] == [(Recurrence.QUARTERLY, None)]
    assert "Ban Tuyên giáo Tỉnh ủy" in quarterly[0].title
    assert "trước ngày 15 của tháng cuối kỳ" in quarterly[0].title
    town = [
        t for t in sample("town-09-HD-BTGTU-2023.txt").tasks if t.kind is TaskKind.PERIODIC_REPORT
    ]
    assert [(t.recurrence, t.assignee_hint) for t in town] == [
        (Recurrence.HALF_YEAR_AND_YEAR, [Kind.STATE_AGENCY])
    ]
    bloc = [
        t for t in sample("bloc-31-KH-BTGDUK-2025.md").tasks if t.kind is TaskKind.PERIODIC_REPORT
    ]
    assert [(t.recurrence, t.assignee_hint) for t in bloc] == [
        (Recurrence.HALF_YEARLY, [Kind.GRASSROOTS_PARTY]),
        (None, [Kind.SOCIO_POLITICAL]),  # "định kỳ" with no period: warned about
    ]


def test_other_tasks_name_their_kind_addressees_and_dates() -> None:
    tasks = {t.kind: t for t in sample("province-57-HD-BTGTU-2025.txt").tasks}
    plan = tasks[TaskKind.IMPLEMENTING_DOCUMENT]
    assert plan.due_on == date(2025, 2, 28)
    assert plan.assignee_hint and Kind.PARTY_COMMITTEE in plan.assignee_hint
    assert tasks[TaskKind.ACTIVITY].assignee_hint == [Kind.PROPAGANDA_COMMISSION]
    assert TaskKind.INSPECTION in tasks
    district = sample("district-18-HD-2025.txt").tasks
    assert [t.kind for t in district if t.kind is TaskKind.IMPLEMENTING_DOCUMENT] == [
        TaskKind.IMPLEMENTING_DOCUMENT
    ]


def test_a_footnote_cut_into_a_sentence_is_moved_out_of_it() -> None:
    draft = sample("town-09-HD-BTGTU-2023.txt")
    assert ("45-NQ/TW", date(2023, 11, 24)) in found_references(draft)
    text = read_text("x.txt", (SAMPLES / "town-09-HD-BTGTU-2023.txt").read_bytes())
    joined = [p for p in paragraphs(text) if p.startswith("Ban Tuyên giáo Thị ủy chủ động")]
    assert joined and joined[0].endswith("về khoa giáo(1).")


def test_nul_characters_in_a_file_never_reach_the_draft() -> None:
    text = (SAMPLES / "province-57-HD-BTGTU-2025.txt").read_text()
    poisoned = text.replace("KHOA GIÁO NĂM", "KHOA\x00GIÁO NĂM").replace("Kết luận", "Kết\x00luận")

    draft = extract(read_text("57.txt", poisoned.encode()))

    assert "\\u0000" not in to_json(draft).decode()
    assert draft.document.number == "57-HD/BTGTU"
