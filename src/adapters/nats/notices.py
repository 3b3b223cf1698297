"""A published event in one line a commissioner reads: when (Vietnam time), which unit,
what happened — in Vietnamese, the language of the people following the cascade.

The wording reads only the message (its ``data`` is the event's stored payload), so it
works for any subscriber; unit names come from the caller, who may know them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

import msgspec

from adapters.nats.messages import EventMessage
from domain.calendar import VIETNAM

Facts = dict[str, Any]

_KINDS = {"inspection": "kiểm tra", "supervision": "giám sát"}
_FINDINGS = {"strength": "ưu điểm", "shortcoming": "hạn chế", "violation": "vi phạm"}
_RATINGS = {
    "good": "tốt",
    "fair": "khá",
    "average": "trung bình",
    "weak": "yếu",
    "violation": "có vi phạm",
}
_LONGEST = 120


def day(raw: str | None) -> str:
    """``2024-03-01`` → ``01/03/2024``."""
    return date.fromisoformat(raw).strftime("%d/%m/%Y") if raw else "?"


def _short(text: str | None) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= _LONGEST else text[: _LONGEST - 1] + "…"


def _obligations(f: Facts) -> str:
    count = len(f.get("assignment_ids") or ())
    if f.get("transferred_from"):
        return f"tiếp nhận {count} nhiệm vụ của {f['transferred_from']}"
    return f"nhận {count} nhiệm vụ theo văn bản mới"


def _submitted(f: Facts) -> str:
    s = f["submission"]
    verb = "gửi lại báo cáo" if f.get("resubmission") else "gửi báo cáo"
    return f"{verb} kỳ {s['period']} (ngày {day(s['effective_on'])}): {_short(s['summary'])}"


def _concluded(f: Facts) -> str:
    rating = _RATINGS.get(f["rating"], f["rating"])
    then = f", phải khắc phục trước {day(f['remediation_due_on'])}"
    return f"nhận kết luận kiểm tra: xếp loại {rating}" + (
        then if f.get("remediation_due_on") else ""
    )


_SAYS: dict[str, Callable[[Facts], str]] = {
    "Organisation.Registered": lambda f: f"được đăng ký: {f['name']}",
    "Organisation.Renamed": lambda f: f"đổi tên thành «{f['name']}»",
    "Organisation.Moved": lambda f: (
        f"chuyển về trực thuộc {f['parent']} từ {day(f['effective_on'])}"
    ),
    "Organisation.Merged": lambda f: f"hợp nhất vào {f['into']} từ {day(f['effective_on'])}",
    "Organisation.Dissolved": lambda f: f"giải thể từ {day(f['effective_on'])}",
    "Organisation.ChildAttached": lambda f: f"có đơn vị trực thuộc mới: {f['child']}",
    "Organisation.ChildDetached": lambda f: f"không còn đơn vị trực thuộc {f['child']}",
    "Organisation.ObligationsReceived": _obligations,
    "DocumentRegister.Opened": lambda f: "mở sổ đăng ký văn bản",
    "DocumentRegister.Entered": lambda f: "vào sổ một văn bản",
    "Document.Issued": lambda f: f"ban hành văn bản {f['number']}: {_short(f['title'])}",
    "Document.Amended": lambda f: f"sửa đổi văn bản: {_short(f['summary'])}",
    "Document.Superseded": lambda f: f"văn bản được thay thế bởi {f['by_number']}",
    "Document.Revoked": lambda f: f"thu hồi văn bản: {_short(f['reason'])}",
    "Assignment.Assigned": lambda f: (
        f"được giao nhiệm vụ «{_short(f['title'])}» kỳ {f['period']}, hạn {day(f['due_on'])}"
    ),
    "Assignment.Acknowledged": lambda f: "xác nhận đã nhận nhiệm vụ",
    "Assignment.Submitted": _submitted,
    "Assignment.Accepted": lambda f: f"báo cáo được {f['by']} chấp nhận",
    "Assignment.FulfilledByDocument": lambda f: f"hoàn thành nhiệm vụ bằng văn bản {f['number']}",
    "Assignment.Returned": lambda f: f"báo cáo bị {f['by']} trả lại: {_short(f['reason'])}",
    "Assignment.DueDateExtended": lambda f: (
        f"được gia hạn đến {day(f['due_on'])}: {_short(f['reason'])}"
    ),
    "Assignment.Waived": lambda f: f"được miễn nhiệm vụ: {_short(f['reason'])}",
    "Assignment.Cancelled": lambda f: f"nhiệm vụ bị hủy: {_short(f['reason'])}",
    "Assignment.Transferred": lambda f: f"tiếp nhận nhiệm vụ của {f['from_unit']}",
    "Assignment.MarkedOverdue": lambda f: (
        f"QUÁ HẠN: nhiệm vụ hạn {day(f['due_on'])} chưa hoàn thành"
    ),
    "Assignment.Reminded": lambda f: (
        f"đôn đốc: còn {f['days_before']} ngày đến hạn {day(f['due_on'])}"
    ),
    "Inspection.Planned": lambda f: (
        f"lập kế hoạch {_KINDS.get(f['kind'], f['kind'])} "
        f"{', '.join(f['targets'])}, hạn {day(f['due_on'])}"
    ),
    "Inspection.TeamDecided": lambda f: "quyết định thành lập đoàn kiểm tra",
    "Inspection.DueDateExtended": lambda f: f"gia hạn kiểm tra đến {day(f['due_on'])}",
    "Inspection.FindingRecorded": lambda f: (
        f"đoàn kiểm tra ghi nhận {_FINDINGS.get(f['finding']['kind'], f['finding']['kind'])}: "
        f"{_short(f['finding']['text'])}"
    ),
    "Inspection.ConclusionDrafted": lambda f: "có dự thảo kết luận kiểm tra",
    "Inspection.ConclusionIssued": _concluded,
    "Inspection.SelfAssessmentReceived": lambda f: (
        f"gửi báo cáo tự kiểm tra: {_short(f['summary'])}"
    ),
    "Inspection.RemediationReported": lambda f: f"báo cáo khắc phục: {_short(f['text'])}",
    "Inspection.RemediationVerified": lambda f: "việc khắc phục được xác nhận",
    "Inspection.Closed": lambda f: "kết thúc cuộc kiểm tra",
    "Inspection.Escalated": lambda f: "giám sát có dấu hiệu vi phạm, chuyển thành kiểm tra",
    "Inspection.MarkedOverdue": lambda f: (
        f"QUÁ HẠN: cuộc kiểm tra hạn {day(f['due_on'])} chưa kết thúc"
    ),
}


def what_happened(message: EventMessage) -> str:
    says = _SAYS.get(message.type)
    if says is None:
        return message.type
    try:
        said = says(msgspec.json.decode(message.data))
    except (AttributeError, KeyError, TypeError, ValueError, msgspec.DecodeError):
        return message.type  # an older shape of the event: name it rather than fail
    return " ".join(said.split())  # one line, whatever the texts hold


def notice(message: EventMessage, names: Mapping[str, str]) -> str:
    """``24/01/2024 09:00  Ban Tuyên giáo Quận ủy Ngô Quyền (btg-ngo-quyen)  gửi báo cáo …``"""
    when = message.recorded_at.astimezone(VIETNAM).strftime("%d/%m/%Y %H:%M")
    unit = message.organization_id or "—"
    name = names.get(unit)
    return f"{when}  {f'{name} ({unit})' if name else unit}  {what_happened(message)}"
