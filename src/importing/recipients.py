"""Nơi nhận: one line per recipient ("- Ban Tuyên giáo Thành ủy (để b/c),"), or inline
("Nơi nhận: - A; - B"); "(b/c)", "(để b/c)", "(báo cáo)" mark a copy sent up for
reporting. The issuer's archive copy
("Lưu VP") and "Như trên" (the addressees above) name no new recipient."""

from __future__ import annotations

import re

from importing.draft import Addressee
from importing.layout import Block, Part

_MARKER = re.compile(r"^[-+•]\s*")
_INLINE = re.compile(r"[;,]?\s+[-+•]\s+|;\s*")
_REPORTING = re.compile(r"\(\s*(?:để\s+)?(?:b\s*/\s*c|báo cáo)\s*\)", re.IGNORECASE)
_NOTE = re.compile(r"\(\s*(?:để\s+)?(?:t\s*/\s*h|thực hiện|biết|phối hợp|p/h)\s*\)", re.IGNORECASE)
_NOT_A_RECIPIENT = re.compile(r"^(?:lưu\b|như trên\b)", re.IGNORECASE)


def recipients(blocks: list[Block]) -> list[Addressee]:
    found: list[Addressee] = []
    for block in blocks:
        if block.part is not Part.RECIPIENTS:
            continue
        text, inline = re.subn(r"^nơi nhận\s*:?", "", block.text, flags=re.IGNORECASE)
        lines = _INLINE.split(f" {text.strip()}") if inline else [block.text]
        for raw in lines:
            line = _MARKER.sub("", raw.strip())
            reporting = bool(_REPORTING.search(line))
            name = _NOTE.sub("", _REPORTING.sub("", line)).strip(" ,;.")
            if name and not _NOT_A_RECIPIENT.match(name):
                found.append(Addressee(name=" ".join(name.split()), for_reporting=reporting))
    return found
