"""The tasks a guidance assigns, in the words of ``TaskKind``.

- reviews: "Tổng kết 15 năm (tổ chức triển khai) thực hiện Chỉ thị số 38-CT/TW ...
  (tháng 10/2024)" at the start of an item or after a verb of doing; a review *about*
  a past one ("Kết luận ... về sơ kết 5 năm ...") is not a task;
- periodic reports: "báo cáo" with "định kỳ" or a period ("hàng quý", "06 tháng, 01
  năm"), sent to the body named after "gửi về" / "về";
- issuing an implementing document, inspection and supervision, conferences and
  training, coordination programmes: sentences of sections II and III, one task per kind
  and set of addressees (the text repeats itself), never the issuer's own duties.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from domain.calendar import Recurrence
from domain.organisation import Kind
from domain.task import Review, ReviewKind, TaskKind
from importing.addressees import kinds_named, subject
from importing.bodies import BODY
from importing.dates import day_of_last_month, deadline, due_month
from importing.draft import Concern, TaskDraft
from importing.layout import TASK_PARTS, Block, Part
from importing.numbers import NAME_OF_TYPE, mentions

_REVIEW = re.compile(r"(?i:(sơ kết|tổng kết))\s+(\d{1,2})\s+năm\b")
_DOING = re.compile(
    r"(?:^|\b(?:tiến hành|tổ chức|chuẩn bị|xây dựng kế hoạch|thực hiện|triển khai|chỉ đạo"
    r"|tham mưu|hoàn thành)(?: việc)?)\s*$"
)
_REVIEW_GAP = re.compile(r"^[^;.:()“\"]{0,60}$")
_MARKER = re.compile(r"^\s*(?:[-–+•*]\s*|\(?\d{1,2}(?:\.\d{1,2})*[.)]\s*(?:-\s*)?|[a-zđ]\)\s*)")


@dataclass(frozen=True)
class Found:
    """A task and what the extraction noticed about it."""

    task: TaskDraft
    concerns: tuple[Concern, ...] = ()


def reviews(blocks: list[Block]) -> list[TaskDraft]:
    found: dict[tuple[str, int, str], TaskDraft] = {}
    for block in blocks:
        if block.part in (Part.HEADER, Part.RECIPIENTS, Part.SIGNATURE):
            continue
        text = block.text
        phrases = list(_REVIEW.finditer(text))
        for index, phrase in enumerate(phrases):
            if not _DOING.search(_clause_before(text, phrase.start()).lower()):
                continue
            mention = next((m for m in mentions(text[phrase.end() :])), None)
            if mention is None:
                continue
            gap = text[phrase.end() : phrase.end() + mention.start]
            if not _REVIEW_GAP.match(gap):
                continue
            stop = phrases[index + 1].start() if index + 1 < len(phrases) else len(text)
            tail = text[phrase.end() + mention.end : stop]
            kind = ReviewKind.SO_KET if phrase[1].lower() == "sơ kết" else ReviewKind.TONG_KET
            years = int(phrase[2])
            name = mention.type_name or NAME_OF_TYPE[mention.number.type]
            task = TaskDraft(
                kind=TaskKind.REVIEW,
                title=f"{phrase[1].capitalize()} {years:02d} năm {name} số {mention.canonical}",
                resolution=mention.canonical,
                review=Review(kind, years),
                due_on=deadline(tail),
                due_month=due_month(tail),
            )
            key = (kind.value, years, mention.canonical)
            earlier = found.get(key)
            if earlier is None or (earlier.due_month is None and task.due_month is not None):
                found[key] = task
    return list(found.values())


def _clause_before(text: str, position: int) -> str:
    """The words before ``position`` in its clause, without a list marker."""
    start = max(text.rfind(mark, 0, position) for mark in ".;:")
    clause = text[start + 1 : position]
    return _MARKER.sub("", clause).strip()


_PERIODIC = re.compile(r"định kỳ|h[àằ]ng (?:quý|năm|tháng)|mỗi quý", re.IGNORECASE)
_QUARTER = re.compile(r"h[àằ]ng quý|mỗi quý|theo quý|quý một lần", re.IGNORECASE)
_HALF = re.compile(r"\b0?6 tháng|sáu tháng|nửa năm", re.IGNORECASE)
_YEAR = re.compile(
    r"\b(?:0?1|một) năm(?!\s*\d)|h[àằ]ng năm|cả năm|tổng kết năm|cuối năm", re.IGNORECASE
)
_MONTHLY = re.compile(r"h[àằ]ng tháng|mỗi tháng", re.IGNORECASE)
_TO = re.compile(rf"(?:gửi về|gửi|về|cho|lên)\s+({BODY})")
_LABELS = {
    Recurrence.QUARTERLY: "hằng quý",
    Recurrence.HALF_YEARLY: "6 tháng",
    Recurrence.HALF_YEAR_AND_YEAR: "6 tháng và năm",
    Recurrence.YEARLY: "năm",
}


def _recurrences(sentence: str) -> list[Recurrence | None]:
    quarterly, half, year = (bool(p.search(sentence)) for p in (_QUARTER, _HALF, _YEAR))
    if quarterly:
        return [Recurrence.QUARTERLY, Recurrence.YEARLY] if year else [Recurrence.QUARTERLY]
    if half:
        return [Recurrence.HALF_YEAR_AND_YEAR if year else Recurrence.HALF_YEARLY]
    return [Recurrence.YEARLY] if year else [None]


def reports(blocks: list[Block], subjects: dict[int, str]) -> list[Found]:
    found: list[Found] = []
    for block in blocks:
        if block.part not in TASK_PARTS:
            continue
        for sentence in _sentences(block.text):
            if "báo cáo" not in sentence.lower() or not _PERIODIC.search(sentence):
                continue
            to = _TO.search(sentence)
            day = day_of_last_month(sentence)
            hint = kinds_named(addressed(block, subjects)) or None
            for recurrence in _recurrences(sentence):
                label = f"định kỳ {_LABELS[recurrence]}" if recurrence else "định kỳ"
                title = f"Báo cáo {label}" + (f" gửi {to[1]}" if to else "")
                if day is not None and recurrence is not Recurrence.YEARLY:
                    title += f" (trước ngày {day} của tháng cuối kỳ)"
                concerns: tuple[Concern, ...] = ()
                if recurrence is None:
                    concerns = (_unknown_period(sentence),)
                task = TaskDraft(
                    kind=TaskKind.PERIODIC_REPORT,
                    title=title,
                    recurrence=recurrence,
                    due_on=deadline(sentence),
                    assignee_hint=hint,
                )
                if all(f.task != task for f in found):
                    found.append(Found(task, concerns))
    return found


def _unknown_period(sentence: str) -> Concern:
    if _MONTHLY.search(sentence):
        return Concern(
            code="report_period_unsupported",
            message="monthly reports are asked for; periods are quarters, half-years and "
            "years: choose one in the draft",
        )
    return Concern(
        code="report_period_unknown",
        message="a periodic report (định kỳ) is asked for without its period: set the "
        "recurrence in the draft (yearly is assumed when issuing)",
    )


_TRIGGERS: list[tuple[TaskKind, re.Pattern[str]]] = [
    (
        TaskKind.INSPECTION,
        re.compile(
            r"(?:xây dựng |ban hành )?kế hoạch (?:kiểm tra|giám sát)"
            r"|(?:tổ chức |tiến hành |tăng cường )?kiểm tra,?\s*(?:và\s+)?giám sát"
            r"\s+(?:việc|công tác|tình hình)"
        ),
    ),
    (
        TaskKind.IMPLEMENTING_DOCUMENT,
        re.compile(
            r"(?:ban hành|xây dựng)\s+(?:chương trình(?: hành động)?,?\s+)?"
            r"(?:kế hoạch|hướng dẫn|chương trình)\b(?!\s*(?:kiểm tra|giám sát|sơ kết|tổng kết"
            r"|phối hợp|tuyên truyền|tập huấn))"
        ),
    ),
    (
        TaskKind.ACTIVITY,
        re.compile(
            r"tổ chức (?:các |các lớp )?(?:hội nghị|hội thảo|tọa đàm|tập huấn|lớp tập huấn"
            r"|lớp bồi dưỡng|giao ban)"
        ),
    ),
    (
        TaskKind.COORDINATION,
        re.compile(
            r"(?:thực hiện|triển khai|xây dựng)(?: và tổ chức thực hiện)?(?: có hiệu quả)?"
            r"(?: các)? (?:chương trình|quy chế) phối hợp"
        ),
    ),
]
_OWN_PLAN = re.compile(
    r"(?:hướng dẫn|kế hoạch) này|công tác khoa giáo năm \d{4}|nhiệm vụ công tác khoa giáo"
)
_TITLE_END = re.compile(
    r"[.;:(]|,? (?:trên cơ sở|bảo đảm|đảm bảo|nhằm|để|gắn với|phù hợp|theo hướng dẫn|phục vụ"
    r"|trước ngày|gửi)\b"
)


def other_tasks(
    blocks: list[Block], subjects: dict[int, str], issuer_name: str | None
) -> list[TaskDraft]:
    found: dict[tuple[TaskKind, tuple[Kind, ...]], TaskDraft] = {}
    own = " ".join(issuer_name.lower().split()) if issuer_name else None
    for block in blocks:
        addressee = addressed(block, subjects)
        if block.part not in TASK_PARTS or (own and own in addressee):
            continue  # the issuer's own duties are not tasks of the units below
        hint = kinds_named(addressee) or None
        for sentence in _sentences(block.text):
            lowered = sentence.lower()
            for kind, trigger in _TRIGGERS:
                match = trigger.search(lowered)
                if match is None:
                    continue
                if kind is TaskKind.IMPLEMENTING_DOCUMENT and not _OWN_PLAN.search(lowered):
                    continue
                key = (kind, tuple(hint or ()))
                if key in found:
                    continue
                resolution = (
                    next((m.canonical for m in mentions(sentence[match.start() :])), None)
                    if kind is TaskKind.COORDINATION
                    else None
                )
                found[key] = TaskDraft(
                    kind=kind,
                    title=_title(sentence[match.start() :]),
                    resolution=resolution,
                    due_on=deadline(sentence),
                    due_month=due_month(sentence),
                    assignee_hint=hint,
                )
    return list(found.values())


def item_subjects(blocks: list[Block]) -> dict[int, str]:
    """Per numbered item, the first subject that names a unit."""
    subjects: dict[int, str] = {}
    for block in blocks:
        if block.part in TASK_PARTS and block.item not in subjects:
            found = subject(block.text)
            if kinds_named(found):
                subjects[block.item] = found
    return subjects


def addressed(block: Block, subjects: dict[int, str]) -> str:
    """Whom a paragraph addresses: its own subject, else its item's."""
    own = subject(block.text)
    return own if kinds_named(own) else subjects.get(block.item, "")


def _sentences(paragraph: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+(?=[A-ZĐÀ-Ỹ])", paragraph) if s]


def _title(clause: str) -> str:
    end = _TITLE_END.search(clause, 20)
    text = clause[: end.start() if end else len(clause)].strip(" ,")
    if len(text) > 120:
        text = text[:120].rsplit(" ", 1)[0] + "…"
    return text[:1].upper() + text[1:]
