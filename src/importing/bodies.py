"""Issuing bodies: how the text names them, the issuer code their numbers carry, and how
an all-capitals header line reads in ordinary case.

The grammar: an optional commission or standing body ("Ban Tuyên giáo", "Ban Thường
vụ", "Thường trực", "Ủy ban Kiểm tra") before a committee ("Trung ương", "Tỉnh ủy",
"Thành ủy", "Huyện ủy", "Thị ủy", "Quận ủy", "Đảng ủy Khối", "Đảng ủy") and a place
("Bình Định"); or a central body ("Bộ Chính trị", "Ban Bí thư", "Hội nghị ... Trung
ương"). Codes follow from the words: Ban Tuyên giáo + Tỉnh ủy = BTGTU, Ban Thường vụ +
Quận ủy = QU, Bộ Chính trị = TW.
"""

from __future__ import annotations

import re

UPPER = "A-ZĐÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬÈÉẺẼẸÊỀẾỂỄỆÌÍỈĨỊÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢÙÚỦŨỤƯỪỨỬỮỰỲÝỶỸỴ"
_CAPITALISED = rf"[{UPPER}][^\W\d_]*"
_NOT_A_PLACE = r"(?!(?:Ban|Về|Hướng|Kế|Trong|Và|Các|Thường|Ủy|Để|Căn|Thực|Theo|Năm)\b)"
_PLACE = rf"(?:[ \t]+{_NOT_A_PLACE}{_CAPITALISED}){{0,4}}"
_CENTRAL = r"(?i:trung ương(?: đảng)?)"
_LOCAL = r"(?i:tỉnh ủy|thành ủy|huyện ủy|thị ủy|quận ủy|đảng ủy khối|đảng ủy)"
_PREFIX = (
    r"(?i:ban tuyên giáo(?: và dân vận)?|ban dân vận|ban thường vụ|thường trực"
    r"|ban chấp hành|ủy ban kiểm tra|văn phòng)"
)
BODY = (
    r"(?:(?i:bộ chính trị|ban bí thư(?: trung ương(?: đảng)?)?)"
    r"|(?i:hội nghị)[^,;.()“\"\n]{0,40}?" + _CENTRAL + "|"
    rf"(?:{_PREFIX}\s+)?(?:{_CENTRAL}|{_LOCAL}{_PLACE}))"
)
"""A body named in running text (one group-free fragment, for larger patterns)."""

_BODY = re.compile(BODY)

_PREFIX_CODES = [
    ("ban tuyên giáo và dân vận", "BTGDV"),
    ("ban tuyên giáo", "BTG"),
    ("ban dân vận", "BDV"),
    ("ủy ban kiểm tra", "UBKT"),
    ("văn phòng", "VP"),
]
_COMMITTEE_CODES = [
    ("trung ương", "TW"),
    ("tỉnh ủy", "TU"),
    ("thành ủy", "TU"),
    ("thị ủy", "TU"),
    ("huyện ủy", "HU"),
    ("quận ủy", "QU"),
    ("đảng ủy khối", "ĐUK"),
    ("đảng ủy", "ĐU"),
]
_CENTRAL_BODIES = re.compile(r"^(?:bộ chính trị|ban bí thư|hội nghị|ban chấp hành trung ương)")


def find_body(text: str) -> str | None:
    """The first body named in ``text``."""
    found = _BODY.search(text)
    return found[0].strip() if found else None


def issuer_code(body: str) -> str | None:
    """The code a body's numbers carry, or None when the words do not say."""
    words = " ".join(body.lower().split())
    if _CENTRAL_BODIES.match(words):
        return "TW"
    prefix = next((code for name, code in _PREFIX_CODES if words.startswith(name)), "")
    found = [(words.find(name), -len(name), code) for name, code in _COMMITTEE_CODES]
    named = sorted(entry for entry in found if entry[0] >= 0)
    return prefix + named[0][2] if named else None


_LEXICON = {
    "ban chấp hành trung ương": "Ban Chấp hành Trung ương",
    "ban tuyên giáo và dân vận": "Ban Tuyên giáo và Dân vận",
    "ban tuyên giáo": "Ban Tuyên giáo",
    "ban dân vận": "Ban Dân vận",
    "ban thường vụ": "Ban Thường vụ",
    "ủy ban kiểm tra": "Ủy ban Kiểm tra",
    "văn phòng": "Văn phòng",
    "đảng ủy khối": "Đảng ủy Khối",
    "đảng ủy": "Đảng ủy",
    "đảng bộ": "Đảng bộ",
    "chi bộ": "Chi bộ",
    "tỉnh ủy": "Tỉnh ủy",
    "thành ủy": "Thành ủy",
    "huyện ủy": "Huyện ủy",
    "thị ủy": "Thị ủy",
    "quận ủy": "Quận ủy",
    "trung ương": "Trung ương",
    "cơ quan": "cơ quan",
    "doanh nghiệp": "doanh nghiệp",
    "thành phố": "thành phố",
    "thị xã": "thị xã",
    "thị trấn": "thị trấn",
    "các": "các",
    "tỉnh": "tỉnh",
    "huyện": "huyện",
    "quận": "quận",
    "xã": "xã",
    "phường": "phường",
    "và": "và",
}
_LONGEST = max(len(phrase.split()) for phrase in _LEXICON)


def proper_case(line: str) -> str:
    """ "BAN TUYÊN GIÁO TỈNH ỦY BÌNH ĐỊNH" → "Ban Tuyên giáo Tỉnh ủy Bình Định": known
    words as documents write them, the rest (place names) capitalised."""
    words = line.lower().split()
    out: list[str] = []
    index = 0
    while index < len(words):
        for size in range(min(_LONGEST, len(words) - index), 0, -1):
            phrase = " ".join(words[index : index + size])
            if phrase in _LEXICON:
                out.append(_LEXICON[phrase])
                index += size
                break
        else:
            out.append(words[index][:1].upper() + words[index][1:])
            index += 1
    return " ".join(out)


def header_body(lines: list[str]) -> str | None:
    """The issuing body from the all-capitals lines of a header, superior first:
    ["BAN CHẤP HÀNH TRUNG ƯƠNG", "BAN TUYÊN GIÁO"] → "Ban Tuyên giáo Trung ương"."""
    named = [proper_case(line) for line in lines if any(ch.isalpha() for ch in line)]
    if not named:
        return None
    body = named[-1]
    if issuer_code(body) is None and len(named) > 1:
        superior = named[-2]
        committee = re.search(rf"{_CENTRAL}|{_LOCAL}.*", superior)
        if committee:
            body = f"{body} {committee[0]}"
    return body
