"""Which kinds of unit a sentence addresses: "Các chi bộ, đảng bộ cơ sở" are grassroots
party organisations, "Ủy ban nhân dân thị xã" a state agency, "Ủy ban Mặt trận Tổ quốc"
the Front, "các tổ chức chính trị - xã hội" socio-political organisations.

The subject of a task sentence is the phrase before its first verb ("Ban tuyên giáo
các cấp chủ động ...", "Căn cứ ..., ban tuyên giáo các cấp chủ trì ..."). A generic
"cấp ủy" names every kind of party organisation: which of them a task reaches depends
on the level of the issuer, and the command handler keeps only the kinds that exist
directly below it.
"""

from __future__ import annotations

import re

from domain.organisation import Kind

_PARTY = (Kind.PARTY_COMMITTEE, Kind.BLOC_COMMITTEE, Kind.GRASSROOTS_PARTY)

DEFAULT_KINDS = (Kind.PROPAGANDA_COMMISSION, *_PARTY)
"""Whom a task goes to when the text names nobody: the party organisations and
commissions directly below the issuer, the units that carry guidance down."""

# Most specific first; a phrase that matched is blanked so that "Ban Tuyên giáo Thị ủy"
# is a commission and not also the committee "Thị ủy".
_KINDS: list[tuple[re.Pattern[str], tuple[Kind, ...]]] = [
    (
        re.compile(
            r"ban tuyên giáo(?: và dân vận)?(?:(?:,|\s)+(?:và\s+)?(?:các\s+)?(?:(?:tỉnh|thành|huyện"
            r"|thị|quận) ủy|đảng ủy(?: khối)?(?: trực thuộc)?|trung ương|các cấp))*"
        ),
        (Kind.PROPAGANDA_COMMISSION,),
    ),
    (re.compile(r"ủy ban kiểm tra"), (Kind.INSPECTION_COMMITTEE,)),
    (
        re.compile(
            r"ủy ban nhân dân|ubnd|hđnd|chính quyền|các sở|sở, ngành|các ngành|ban, ngành"
            r"|phòng, ban|cơ quan nhà nước|cơ quan chuyên môn|đơn vị (?:trong|thuộc) khối"
        ),
        (Kind.STATE_AGENCY,),
    ),
    (re.compile(r"(?:ủy ban )?mặt trận(?: tổ quốc)?|mttq"), (Kind.FRONT,)),
    (
        re.compile(
            r"tổ chức chính trị\s*-\s*xã hội|tổ chức ct-xh|đoàn thể|hội quần chúng|công đoàn"
            r"|đoàn thanh niên|hội phụ nữ|hội nông dân|hội cựu chiến binh"
        ),
        (Kind.SOCIO_POLITICAL,),
    ),
    (re.compile(r"đảng ủy khối"), (Kind.BLOC_COMMITTEE,)),
    (
        re.compile(
            r"chi bộ|chi, đảng bộ|đảng bộ cơ sở|tổ chức cơ sở đảng|cấp ủy cơ sở"
            r"|đảng ủy (?:các )?(?:xã|phường|thị trấn)|đảng bộ trực thuộc"
        ),
        (Kind.GRASSROOTS_PARTY,),
    ),
    (
        re.compile(
            r"cấp ủy|ban thường vụ|thường trực|tỉnh ủy|thành ủy|huyện ủy|thị ủy|quận ủy"
            r"|đảng ủy|đảng bộ"
        ),
        _PARTY,
    ),
]

_VERB = re.compile(
    r"\b(?:chủ động|chủ trì|căn cứ|chỉ đạo|tham mưu|triển khai|xây dựng|thực hiện"
    r"|(?<!các )(?<!những )tổ chức(?! chính trị| cơ sở đảng| đảng)"
    r"|phối hợp|tích cực|tham gia|nâng cao|tiếp tục|đẩy mạnh|ban hành|lãnh đạo|theo dõi"
    r"|kiểm tra|báo cáo|gửi|định kỳ|quán triệt|tuyên truyền|có trách nhiệm|cần|phải)\b"
)
_LEADING_CLAUSE = re.compile(r"^(?:căn cứ|trên cơ sở|trong|để|nhằm)\b")
_MARKER = re.compile(r"^(?:[-–+•*]\s*|\(?\d{1,2}(?:\.\d{1,2})*[.)]\s*|[a-zđ]\)\s*)")


_PARENT_NAMED = re.compile(
    r"(?:trực thuộc|thuộc|của)\s+(?:ban thường vụ\s+)?(?:tỉnh|thành|huyện|thị|quận|đảng) ủy"
)


def kinds_named(text: str) -> list[Kind]:
    """Every kind of unit ``text`` names, in the order of ``Kind`` ("các chi, đảng bộ
    trực thuộc Quận ủy" names grassroots organisations, not the Quận ủy)."""
    rest = _PARENT_NAMED.sub(" ", " ".join(text.lower().split()))
    named: set[Kind] = set()
    for pattern, kinds in _KINDS:
        if pattern.search(rest):
            named.update(kinds)
            rest = pattern.sub(" ", rest)
    return [kind for kind in Kind if kind in named]


def subject(sentence: str) -> str:
    """The subject of a task sentence, lower-cased: the words before its first verb, or
    after a leading "Căn cứ ...," the first comma-separated phrase that names a unit;
    "" when the sentence starts with its verb."""
    text = _MARKER.sub("", " ".join(sentence.split()).lower(), count=1)
    if not _LEADING_CLAUSE.match(text):
        verb = _VERB.search(text)
        return text[: verb.start() if verb else 150].strip()
    for comma in re.finditer(r",\s*", text[:300]):
        verb = _VERB.search(text, comma.end())
        zone = text[comma.end() : verb.start() if verb else comma.end() + 150]
        if kinds_named(zone):
            return zone.strip()
    return ""


def subject_kinds(sentence: str) -> list[Kind]:
    """The kinds of unit a task sentence addresses; [] when its subject names none."""
    return kinds_named(subject(sentence))
