"""From the text a reader produced to clean paragraphs, one per line.

Guidance documents arrive as PDF extractions, Word files, web pages and Markdown. The
mess is the same everywhere: decomposed or legacy characters (Ð for Đ, "uỷ" beside
"ủy"), Markdown remnants (#, **, ---), line breaks at every visual line of a page (and
blank lines between them), page numbers, footnotes printed at the bottom of a page and
so extracted in the middle of the sentence the page break cut, and typos in numbers
("272- KL/TU"). Each step below undoes one of these, in the order they interfere.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

# Without a final consonant, "oa", "oe" and "uy" carry the tone on their first vowel in
# the spelling most Party documents use ("hòa", "ủy"); newer texts put it on the second.
_TONE_PLACE = re.compile(r"(?<![qQ])([oO][àáảãạèéẻẽẹÀÁẢÃẠÈÉẺẼẸ]|[uU][ỳýỷỹỵỲÝỶỸỴ])(?![^\W\d_])")
_TYPOS = [
    (re.compile(r"\bkhao giáo\b", re.IGNORECASE), "khoa giáo"),
    (re.compile(r"\btuyên tuyền\b"), "tuyên truyền"),
    (re.compile(r"(\d)\s*-\s+([A-Za-zĐđ]{2,4})\s*/\s*([A-ZĐ])"), r"\1-\2/\3"),
    (re.compile(r"(\d)\s+-\s*([A-Za-zĐđ]{2,4})\s*/\s*([A-ZĐ])"), r"\1-\2/\3"),
    (re.compile(r"(\d-[A-Za-zĐđ]{2,4})\s+/\s*([A-ZĐ])"), r"\1/\2"),
]
_INVISIBLE = dict.fromkeys(map(ord, "\x00\u200b\u200c\u200d\u2060\ufeff\u00ad"))
"""Characters that carry nothing; NUL also cannot be stored in PostgreSQL text."""
_SPACES = dict.fromkeys(map(ord, "\t\u00a0\u2002\u2003\u2009\u202f\u3000"), " ")


def clean_characters(text: str) -> str:
    """NFC, one kind of space, Đ for the look-alike Ð, one place for tone marks."""
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n").translate(_INVISIBLE)
    text = text.translate(_SPACES).replace("Ð", "Đ").replace("ð", "đ")
    text = _TONE_PLACE.sub(_move_tone, text)
    for pattern, replacement in _TYPOS:
        text = pattern.sub(replacement, text)
    return text


def _move_tone(found: re.Match[str]) -> str:
    """ "uỷ" → "ủy", "hoà" → "hòa"."""
    first, toned = found[1][0], found[1][1]
    decomposed = unicodedata.normalize("NFD", toned)
    return unicodedata.normalize("NFC", first + decomposed[1:]) + decomposed[0]


_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s*")
_MD_RULE = re.compile(r"^\s*(?:[-*_=~]\s*){3,}$")
_MD_BULLET = re.compile(r"^(\s*)[*+•·]\s+")
_MD_EMPHASIS = re.compile(r"(?<!\\)(?:\*{1,3}|(?<!\w)_{1,3}|_{1,3}(?!\w))")
_MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MD_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|>])")
_MD_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(?:\|\s*:?-{2,}:?\s*)*\|?\s*$")
_HTML = re.compile(r"<br\s*/?>|</p>|</div>|</tr>", re.IGNORECASE)
_TAG = re.compile(r"</?[a-zA-Z][^>]{0,200}>")
_PAGE_NUMBER = re.compile(r"^\s*(?:-\s*)?(?:trang\s+)?\d{1,3}(?:\s*-)?\s*$", re.IGNORECASE)


def strip_markup(text: str) -> list[str]:
    """Markdown and HTML remnants out; table cells one per line; no page numbers."""
    lines: list[str] = []
    for raw in _HTML.sub("\n", text).split("\n"):
        if _MD_RULE.match(raw) or _MD_TABLE_RULE.match(raw) or _PAGE_NUMBER.match(raw):
            lines.append("")
            continue
        line = _TAG.sub("", raw)
        line = _MD_HEADING.sub("", line)
        line = _MD_BULLET.sub(r"\1- ", line)
        line = _MD_LINK.sub(r"\1", line)
        line = _MD_ESCAPE.sub(r"\1", _MD_EMPHASIS.sub("", line))
        if line.strip().startswith("|") or line.count("|") >= 2:
            lines += [cell for cell in line.strip().strip("|").split("|")]
        elif line.lstrip().startswith(">"):
            lines.append(line.lstrip()[1:])
        else:
            lines.append(line)
    return [" ".join(line.split()) for line in lines]


_TERMINAL = ".:;!?…"


def terminal(line: str) -> bool:
    """The line ends a sentence (or introduces a list)."""
    return line.rstrip(" \"'”’)*]").endswith(tuple(_TERMINAL)) if line else True


def all_capitals(line: str) -> bool:
    letters = [ch for ch in line if ch.isalpha()]
    return len(letters) >= 2 and all(ch.isupper() for ch in letters)


_BLOCK_START = re.compile(
    r"^(?:[-–—+•]\s|\(?\d{1,2}(?:\.\d{1,2})*[.)]\s?|\(\d{1,2}\)|\d{1,2}\s+-\s"
    r"|[IVX]{1,4}\.\s|[a-zđ]\)\s|(?i:nơi nhận)|T/M\b|K/T\b|TM\.|KT\.|\(?(?i:kèm theo)\b"
    r"|PHỤ LỤC)"
)


def starts_block(line: str) -> bool:
    return bool(_BLOCK_START.match(line)) or all_capitals(line)


_NOTE_MARKER = re.compile(r"(?<=[^\s(\d])\((\d{1,2})\)")
_NOTE_START = re.compile(r"^(?:\((\d{1,2})\)|(\d{1,2})(?=\s))\s*[-–:]?\s+\S")


def relocate_footnotes(lines: list[str]) -> list[str]:
    """Move a footnote that a page break left inside a sentence to after that sentence's
    paragraph. A footnote is recognised by its number, which a word above carries as
    "(1)", starting right after a line cut mid-sentence; it ends where the cut sentence
    resumes: a line starting in lower case after a line that ended a sentence."""
    markers = {int(n) for n in _NOTE_MARKER.findall("\n".join(lines))}
    lines = list(lines)
    index = 0
    while index < len(lines):
        start = _NOTE_START.match(lines[index])
        above = _previous_text(lines, index)
        number = int(start[1] or start[2]) if start else None
        if number in markers and above is not None and not terminal(above):
            end = _resumption(lines, index)
            if end is not None:
                note = lines[index:end]
                del lines[index:end]
                after = next(
                    (k for k in range(index, len(lines)) if lines[k] and terminal(lines[k])),
                    len(lines) - 1,
                )
                lines[after + 1 : after + 1] = ["", *note, ""]
                markers.discard(number)
                index = after + len(note) + 3
                continue
        index += 1
    return lines


def _previous_text(lines: list[str], index: int) -> str | None:
    return next((lines[k] for k in range(index - 1, -1, -1) if lines[k]), None)


def _resumption(lines: list[str], start: int) -> int | None:
    for index in range(start + 1, min(len(lines), start + 400)):
        line = lines[index]
        if line and line[0].islower() and terminal(_previous_text(lines, index) or "."):
            return index
    return None


def wrap_width(lines: list[str]) -> int | None:
    """The width a hard-wrapped text (a PDF extraction) breaks its lines at; None when
    lines are whole paragraphs. Most lines of a wrapped text end within a few characters
    of the margin."""
    lengths = [len(line) for line in lines if len(line) >= 30]
    if len(lengths) < 8:
        return None
    best = max(range(30, 300), key=lambda w: sum(1 for n in lengths if w - 12 <= n <= w))
    near = sum(1 for n in lengths if best - 12 <= n <= best)
    return best if near >= 0.35 * len(lengths) else None


def unwrap(lines: list[str]) -> list[str]:
    """Join the lines of each paragraph. A line continues the one above when it starts in
    lower case, or (in a hard-wrapped text) when the one above ran to the margin without
    ending a sentence; never at a list marker, a heading or an all-capitals line."""
    width = wrap_width(lines)
    paragraphs: list[str] = []
    above = ""
    for line in lines:
        if not line:
            continue
        if paragraphs and _continues(paragraphs[-1], above, line, width):
            paragraphs[-1] = f"{paragraphs[-1]} {line}"
        else:
            paragraphs.append(line)
        above = line
    return paragraphs


_NUMBERED = re.compile(r"^\d{1,2}(?:\.\d{1,2})*\.\s")
_SUBJECT_START = re.compile(
    r"^(?:Ban|Các|Ủy ban|UBND|Mặt trận|Đảng ủy|Cấp ủy|Thường trực|Chi bộ|Sở|Phòng)\b"
)
_OPEN_END = re.compile(r"(?:\b(?:của|và|với|được|cho|các|về|tại|trong|đối với)|,)$")


def _continues(paragraph: str, above: str, line: str, width: int | None) -> bool:
    if starts_block(line) or all_capitals(above):
        return False
    if line[0].islower() or (line[0] == "(" and not terminal(above)):
        return True  # a parenthesis after an open sentence closes it: "... (tháng 6/2025)."
    if _NUMBERED.match(paragraph) and _SUBJECT_START.match(line) and not _OPEN_END.search(above):
        return False  # a numbered heading, then the first sentence of its item
    return not terminal(above) and width is not None and len(above) >= 0.75 * width


def paragraphs(text: str) -> list[str]:
    """The whole pipeline: characters, markup, footnotes, line wraps."""
    steps: list[Callable[[list[str]], list[str]]] = [relocate_footnotes, unwrap]
    lines = strip_markup(clean_characters(text))
    for step in steps:
        lines = step(lines)
    return lines
