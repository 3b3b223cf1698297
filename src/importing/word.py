"""Word (.docx) to text: body paragraphs and table cells in reading order, then footnotes.

Word headers and signature blocks are tables (issuing body and number on the left,
"ĐẢNG CỘNG SẢN VIỆT NAM" and the place and date on the right), so cells are read row
by row, one paragraph per line; footnotes, which a .docx keeps apart, follow the body as
"(n) text" lines.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from typing import Any
from xml.etree import ElementTree

import docx
from docx.opc.constants import RELATIONSHIP_TYPE
from docx.opc.exceptions import PackageNotFoundError
from docx.table import Table

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


class NotWord(ValueError):
    pass


def docx_text(data: bytes) -> str:
    try:
        document = docx.Document(io.BytesIO(data))
        lines = list(_blocks(document))
        for rel in document.part.rels.values():
            if rel.reltype == RELATIONSHIP_TYPE.FOOTNOTES and not rel.is_external:
                lines += _footnotes(rel.target_part.blob)
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as error:
        raise NotWord(str(error) or type(error).__name__) from None
    except ElementTree.ParseError as error:
        raise NotWord(f"broken XML: {error}") from None
    return "\n".join(lines)


def _blocks(container: Any) -> Iterator[str]:
    """Paragraphs in order, table cells row by row (a merged cell once)."""
    for block in container.iter_inner_content():
        if isinstance(block, Table):
            seen: set[int] = set()
            for row in block.rows:
                for cell in row.cells:
                    if id(cell._tc) not in seen:
                        seen.add(id(cell._tc))
                        yield from _blocks(cell)
        else:
            yield block.text


def _footnotes(xml: bytes) -> list[str]:
    lines = []
    for note in ElementTree.fromstring(xml).iter(f"{_W}footnote"):
        number = int(note.get(f"{_W}id", "0"))
        text = "".join(note.itertext()).strip()
        if number > 0 and text:
            lines.append(f"({number}) {text}")
    return lines
