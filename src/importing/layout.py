"""The parts of a guidance document, in the order the genre prints them: header (issuing
body, number, place and date, type and title), preamble (căn cứ ...), numbered sections
(I. purpose and requirements, II. content, III. organisation of implementation),
Nơi nhận, the signature, and appendices (PHỤ LỤC, "Kèm theo Hướng dẫn số ...").

Each paragraph also knows the numbered item it belongs to, so that a sentence without a
subject ("Định kỳ 06 tháng ... báo cáo") takes the subject of its item ("1. Các chi
bộ, đảng bộ cơ sở ...").
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from importing.normalise import all_capitals


class Part(enum.StrEnum):
    HEADER = "header"
    PREAMBLE = "preamble"
    PURPOSE = "purpose"  # I. MỤC ĐÍCH, YÊU CẦU
    CONTENT = "content"  # II. NỘI DUNG ...
    ORGANISATION = "organisation"  # III. TỔ CHỨC THỰC HIỆN
    RECIPIENTS = "recipients"  # Nơi nhận
    SIGNATURE = "signature"
    APPENDIX = "appendix"


@dataclass(frozen=True)
class Block:
    text: str
    part: Part
    item: int
    """The numbered item (or section) the paragraph belongs to; 0 before the first."""


TASK_PARTS = frozenset({Part.CONTENT, Part.ORGANISATION})

_PREAMBLE_START = re.compile(r"^căn cứ\b", re.IGNORECASE)
_PREAMBLE_OTHERWISE = re.compile(r"^(?:thực hiện|để|nhằm|trên cơ sở)\b.{40,},", re.IGNORECASE)
_SECTION = re.compile(r"^([IVX]{1,4})\.\s+(.+)")
_ITEM = re.compile(r"^\d{1,2}(?:\.\d{1,2})*\.?\s+\S")
_RECIPIENTS = re.compile(r"^nơi nhận\b", re.IGNORECASE)
_APPENDIX = re.compile(r"^(?:PHỤ LỤC\b|\(?\s*kèm theo\b)", re.IGNORECASE)
_METADATA = re.compile(
    r"^(?:Số hiệu|Ngày ban hành|Ngày có hiệu lực|Loại văn bản|Cơ quan ban hành|Người ký"
    r"|Lĩnh vực|Tình trạng)\b"
)


def _section_part(heading: str) -> Part:
    words = heading.upper()
    if "MỤC ĐÍCH" in words or "YÊU CẦU" in words:
        return Part.PURPOSE
    if "TỔ CHỨC THỰC HIỆN" in words:
        return Part.ORGANISATION
    return Part.CONTENT


def layout(paragraphs: list[str]) -> list[Block]:
    blocks: list[Block] = []
    part, item = Part.HEADER, 0
    for text in paragraphs:
        section = _SECTION.match(text)
        if _APPENDIX.match(text) and part is not Part.HEADER:
            part = Part.APPENDIX
        elif part is Part.APPENDIX:
            pass
        elif _RECIPIENTS.match(text):
            part = Part.RECIPIENTS
        elif part is Part.RECIPIENTS and not text.startswith(("-", "+", "•")):
            part = Part.SIGNATURE
        elif part is Part.SIGNATURE:
            pass
        elif section and all_capitals(section[2]):
            part = _section_part(section[2])
        elif part is Part.HEADER and _starts_body(text):
            part = Part.PREAMBLE
        if section or _ITEM.match(text):
            item += 1
        blocks.append(Block(text, part, item))
    return blocks


def _starts_body(text: str) -> bool:
    if _METADATA.match(text):
        return False
    return bool(_PREAMBLE_START.match(text) or _PREAMBLE_OTHERWISE.match(text)) or len(text) > 250


def in_part(blocks: list[Block], *parts: Part) -> list[Block]:
    return [block for block in blocks if block.part in parts]
