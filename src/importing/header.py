"""What a document says about itself: number, type, issuing body, place, date, title,
signer, and the document it implements.

Each fact has several places it may be printed, tried in order of reliability: the
metadata table of a legal-documents web page ("Số hiệu", "Ngày ban hành", ...), the
formal header (the issuing body in capitals over "Số: 128-HD/BTGTW", "Hà Nội, ngày 22
tháng 12 năm 2023", the type in capitals over the title), the appendix line ("Kèm theo
Hướng dẫn số 25-HD/BTGQU, ngày 30 tháng 01 năm 2024 của Ban Tuyên giáo Quận ủy"), and
the body itself (", Ban Thường vụ Thị ủy hướng dẫn ...", "căn cứ Hướng dẫn này").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from domain.numbers import DocumentNumber, DocumentType
from importing.bodies import BODY, UPPER, find_body, header_body, issuer_code, proper_case
from importing.dates import parse_date
from importing.draft import Concern, Parent
from importing.layout import Block, Part, in_part
from importing.normalise import all_capitals
from importing.numbers import NAME_OF_TYPE, NUMBER, TYPE_WORD, Mention, mentions, type_named
from importing.numbers import parse_number as number_in


@dataclass
class Header:
    number: DocumentNumber | None = None
    type: DocumentType | None = None
    issuer_code: str | None = None
    issuer_name: str | None = None
    place: str | None = None
    issued_on: date | None = None
    title: str | None = None
    signer: str | None = None
    implements: Parent | None = None
    concerns: list[Concern] = field(default_factory=list)


_META = re.compile(
    r"^(Số hiệu|Ngày ban hành|Loại văn bản|Cơ quan ban hành|Người ký)\s*[:.]?\s+(.+)$"
)
_NUMBER_LINE = re.compile(rf"^(?i:số)\s*[:.]?\s*({NUMBER})")
_PLACE_DATE = re.compile(
    rf"^([{UPPER}][^\W\d_]*(?:[ -][{UPPER}][^\W\d_]*){{0,4}})\s*,\s*"
    r"(ngày\s+\d{1,2}\s+tháng\s+\d{1,2}\s+năm\s+\d{4}|ngày\s+\d{1,2}\s*/\s*\d{1,2}\s*/\s*\d{4})",
    re.IGNORECASE,
)
_APPENDIX_LINE = re.compile(
    rf"(?i:kèm theo)\s+(?P<word>(?i:{TYPE_WORD}))\s+(?i:số)\s*(?P<number>{NUMBER})"
    r"(?P<rest>[^)]*)"
)
_NATIONAL = re.compile(r"^(?:ĐẢNG CỘNG SẢN VIỆT NAM|CỘNG HÒA XÃ HỘI|ĐỘC LẬP)")
_SELF_TYPE = re.compile(rf"\b({TYPE_WORD}) này\b", re.IGNORECASE)
_ISSUING_VERB = re.compile(
    rf"[,;]\s*({BODY})\s+(?:hướng dẫn|ban hành|xây dựng|triển khai|thông báo|yêu cầu)\b"
)
_IMPLEMENTS = re.compile(r"(?i:căn cứ|thực hiện)\s+(?:(?i:vào)\s+)?$")
_PARENT_TYPES = (DocumentType.HD, DocumentType.KH, DocumentType.CTR)
_SIGNATURE_ROLE = re.compile(
    r"^(?:T/M|TM\.?|K/T|KT\.?|Q\.|BÍ THƯ|PHÓ BÍ THƯ|TRƯỞNG BAN|PHÓ TRƯỞNG)"
)
# The commonest family names, to tell a signer's name from a heading.
_SURNAMES = frozenset(
    " ".join(
        [
            "Nguyễn Trần Lê Phạm Hoàng Huỳnh Phan Vũ Võ Đặng Bùi Đỗ Hồ Ngô Dương Lý Đinh Đào Trịnh",
            "Mai Trương Lâm Lương Tô Hà Tạ Cao Châu Tôn Thái Lưu Kiều Chu Đoàn Quách La Triệu Mạc",
            "Đàm Âu Khúc Từ Kim Giang Nông Lò Phùng Tăng Thân Vương Hầu Lại Diệp Ông Nghiêm Doãn",
            "Lục Quan Văn Viên Ninh Hứa Khổng Bạch Trình Thạch Y",
        ]
    ).split()
)
_KEEP_CAPITALISED = {"đảng": "Đảng", "nhà nước": "Nhà nước", "nhân dân": "Nhân dân"}


def read_header(blocks: list[Block]) -> Header:
    header = Header()
    top = in_part(blocks, Part.HEADER)
    meta = _metadata(top)
    formal_number = next((m[1] for b in top if (m := _NUMBER_LINE.match(b.text))), None)
    place_date = next((m for b in top if (m := _PLACE_DATE.match(b.text))), None)
    appendix = next(
        (m for b in in_part(blocks, Part.APPENDIX) if (m := _APPENDIX_LINE.search(b.text))),
        None,
    )
    if formal_number is None and place_date is None:
        header.concerns.append(
            Concern(
                code="header_missing",
                message="the document has no header (số, place and date): "
                + (
                    "number and date are taken from its appendix line"
                    if appendix
                    else "check the number and date"
                ),
            )
        )
    header.number = next(
        (
            number
            for raw in (formal_number, meta.get("Số hiệu"), appendix and appendix["number"])
            if raw and (number := number_in(raw))
        ),
        None,
    )
    if place_date:
        header.place = place_date[1].strip()
        header.issued_on = parse_date(place_date[2])
    header.issued_on = (
        header.issued_on
        or parse_date(meta.get("Ngày ban hành", ""))
        or (parse_date(appendix["rest"]) if appendix else None)
    )
    header.issuer_name = (
        meta.get("Cơ quan ban hành")
        or header_body(_body_lines(top))
        or (find_body(appendix["rest"]) if appendix else None)
        or _issuer_in_body(blocks)
    )
    header.issuer_code = (
        header.number.issuer_code
        if header.number
        else issuer_code(header.issuer_name)
        if header.issuer_name
        else None
    )
    type_line, title = _type_and_title(top)
    header.type = (
        (header.number.type if header.number else None)
        or type_line
        or type_named(meta.get("Loại văn bản", ""))
        or (type_named(appendix["word"]) if appendix else None)
        or _self_type(blocks)
    )
    if title and header.type and not type_line:
        title = f"{NAME_OF_TYPE[header.type]} {title}"
    header.title = title
    header.signer = meta.get("Người ký") or _signer(blocks)
    header.implements = _implements(blocks)
    if appendix and header.number and formal_number:
        _check_appendix(header, appendix)
    return header


def _metadata(top: list[Block]) -> dict[str, str]:
    return {m[1]: m[2].strip() for b in top if (m := _META.match(b.text))}


def _body_lines(top: list[Block]) -> list[str]:
    """The all-capitals lines of the issuing body, before the type line."""
    lines = []
    for block in top:
        if type_named(block.text) is not None:
            break
        if all_capitals(block.text) and not _NATIONAL.match(block.text):
            lines.append(block.text)
    return lines


def _type_and_title(top: list[Block]) -> tuple[DocumentType | None, str | None]:
    """The type line ("HƯỚNG DẪN") and the title under it; without a type line, a short
    fragment at the top (the rest of a title whose first line was lost)."""
    for index, block in enumerate(top):
        kind = type_named(block.text)
        if kind is None or not all_capitals(block.text):
            continue
        parts = []
        for following in top[index + 1 :]:
            if _META.match(following.text) or _NUMBER_LINE.match(following.text):
                break
            parts.append(following.text)
        rest = _sentence_case(" ".join(parts)) if parts else None
        if rest and rest[1:2].islower():
            rest = rest[0].lower() + rest[1:]  # "Thực hiện ..." under "KẾ HOẠCH"
        return kind, (f"{NAME_OF_TYPE[kind]} {rest}" if rest else NAME_OF_TYPE[kind])
    fragments = [
        b.text
        for b in top
        if not _META.match(b.text)
        and not _NUMBER_LINE.match(b.text)
        and not _PLACE_DATE.match(b.text)
        and not all_capitals(b.text)
        and b.text[:1].islower()
    ]
    return None, (" ".join(fragments) if fragments else None)


def _sentence_case(text: str) -> str:
    """ "CÔNG TÁC KHOA GIÁO NĂM 2024" → "công tác khoa giáo năm 2024"; numbers and the
    words always capitalised ("Đảng") kept."""
    if not all_capitals(text):
        return text
    words = []
    for word in text.split():
        lowered = word.lower()
        words.append(word if any(ch.isdigit() for ch in word) else lowered)
    sentence = " ".join(words)
    for lowered, proper in _KEEP_CAPITALISED.items():
        sentence = re.sub(rf"\b{lowered}\b", proper, sentence)
    return sentence


def _issuer_in_body(blocks: list[Block]) -> str | None:
    """ "Căn cứ ..., Ban Thường vụ Thị ủy hướng dẫn thực hiện ..." in the preamble."""
    for block in in_part(blocks, Part.PREAMBLE, Part.HEADER):
        found = _ISSUING_VERB.search(block.text)
        if found:
            return found[1].strip()
    return None


def _self_type(blocks: list[Block]) -> DocumentType | None:
    """The type the text calls itself: "căn cứ Hướng dẫn này" → HD."""
    for block in blocks:
        found = _SELF_TYPE.search(block.text)
        if found:
            return type_named(found[1])
    return None


def _implements(blocks: list[Block]) -> Parent | None:
    """The first document the preamble says it is based on ("Căn cứ / Thực hiện Hướng
    dẫn số ..."), preferring a guidance, plan or programme over a resolution."""
    preamble = in_part(blocks, Part.PREAMBLE) or blocks[:3]
    based_on: list[Mention] = []
    for block in preamble:
        for mention in mentions(block.text):
            if _IMPLEMENTS.search(block.text[max(0, mention.start - 20) : mention.start]):
                based_on.append(mention)
    if not based_on:
        return None
    chosen = next((m for m in based_on if m.number.type in _PARENT_TYPES), based_on[0])
    return Parent(
        number=chosen.canonical,
        issued_on=chosen.issued_on,
        issuer_name=chosen.body.strip() if chosen.body else None,
    )


def _signer(blocks: list[Block]) -> str | None:
    """The last personal name in the signature (or, without Nơi nhận, before the
    appendix), after "T/M ...", a role line, or a known surname."""
    end = next((i for i, b in enumerate(blocks) if b.part is Part.APPENDIX), len(blocks))
    start = next((i for i, b in enumerate(blocks) if b.part is Part.RECIPIENTS), 0)
    candidates = blocks[start:end]
    role_seen = False
    found = None
    for block in candidates:
        if _SIGNATURE_ROLE.match(block.text):
            role_seen = True
            continue
        name = _personal_name(block.text)
        if name and (role_seen or name.split()[0] in _SURNAMES):
            found = name
    return found


def _personal_name(text: str) -> str | None:
    words = text.split()
    if not 2 <= len(words) <= 5 or not all(w.isalpha() for w in words):
        return None
    if all_capitals(text):
        words = [proper_case(w) for w in words]
    if all(w[0].isupper() and (len(w) == 1 or w[1:].islower()) for w in words):
        return " ".join(words)
    return None


def _check_appendix(header: Header, appendix: re.Match[str]) -> None:
    named = number_in(appendix["number"])
    if named is not None and header.number is not None and named != header.number:
        header.concerns.append(
            Concern(
                code="appendix_number_mismatch",
                message=f"the header numbers the document {header.number} but its appendix "
                f"is attached to {named}",
            )
        )
    dated = parse_date(appendix["rest"])
    if dated and header.issued_on and dated != header.issued_on:
        header.concerns.append(
            Concern(
                code="appendix_date_mismatch",
                message=f"the header dates the document {header.issued_on.isoformat()} but "
                f"its appendix says {dated.isoformat()}",
            )
        )
