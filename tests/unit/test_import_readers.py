"""Word and PDF files to text, made in the test (python-docx for Word; for PDF a
one-page file written here byte by byte, with a font whose ToUnicode map gives the
Vietnamese text back, the way a word processor's export does), then extracted."""

from __future__ import annotations

import io
from datetime import date

import docx
import pytest

from domain.task import ReviewKind
from importing import UnreadableDocument, extract, read_text

LINES = [
    "HUYỆN ỦY MINH LONG",
    "BAN TUYÊN GIÁO",
    "Số 07-HD/BTGHU",
    "ĐẢNG CỘNG SẢN VIỆT NAM",
    "Minh Long, ngày 15 tháng 01 năm 2025",
    "HƯỚNG DẪN",
    "công tác khoa giáo năm 2025",
    "Căn cứ Hướng dẫn số 57-HD/BTGTU, ngày 08/01/2025 của Ban Tuyên giáo Tỉnh ủy,",
    "Ban Tuyên giáo Huyện ủy hướng dẫn như sau:",
    "I. NỘI DUNG",
    "- Tổng kết 10 năm thực hiện Chỉ thị số 44-CT/TW, ngày 20/5/2015 của Ban Bí thư",
    "(tháng 6/2025).",
]


def word_file() -> bytes:
    document = docx.Document()
    header = document.add_table(rows=1, cols=2)
    left, right = header.rows[0].cells
    left.text = "\n".join(LINES[:3])
    right.text = "\n".join(LINES[3:5])
    for line in LINES[5:]:
        document.add_paragraph(line)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def pdf_file(lines: list[str]) -> bytes:
    """One page; each character drawn as its Unicode value through an Identity-H font,
    with a ToUnicode map (ranges of 256 codes) so that readers get the text back."""
    shown = " ".join("<" + "".join(f"{ord(ch):04X}" for ch in line) + "> Tj T*" for line in lines)
    content = f"BT /F1 10 Tf 14 TL 40 800 Td {shown} ET".encode()
    highs = sorted({ord(ch) >> 8 for line in lines for ch in line})
    ranges = "\n".join(f"<{h:02X}00> <{h:02X}FF> <{h:02X}00>" for h in highs)
    cmap = (
        "/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n"
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
        "/CMapName /Adobe-Identity-UCS def /CMapType 2 def\n"
        "1 begincodespacerange <0000> <FFFF> endcodespacerange\n"
        f"{len(highs)} beginbfrange\n{ranges}\nendbfrange\n"
        "endcmap CMapName currentdict /CMap defineresource pop end end"
    ).encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
        b"<< /Type /Font /Subtype /Type0 /BaseFont /Arial /Encoding /Identity-H "
        b"/DescendantFonts [6 0 R] /ToUnicode 7 0 R >>",
        b"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /Arial /CIDToGIDMap /Identity "
        b"/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> "
        b"/DW 500 >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(cmap), cmap),
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def check(text: str) -> None:
    document = extract(text).document
    assert document.number == "07-HD/BTGHU"
    assert document.issued_on == date(2025, 1, 15)
    assert document.place == "Minh Long"
    assert document.issuer_name == "Ban Tuyên giáo Huyện ủy Minh Long"
    assert document.implements and document.implements.number == "57-HD/BTGTU"
    [review] = extract(text).tasks[:1]
    assert review.review and review.review.kind is ReviewKind.TONG_KET
    assert (review.resolution, review.due_month) == ("44-CT/TW", "2025-06")


def test_a_word_file_with_its_header_in_a_table() -> None:
    check(read_text("huong-dan.docx", word_file()))


def test_a_pdf_file_with_vietnamese_text() -> None:
    text = read_text("huong-dan.pdf", pdf_file(LINES))
    assert "Minh Long, ngày 15 tháng 01 năm 2025" in text
    check(text)


@pytest.mark.parametrize(
    ("name", "data", "says"),
    [
        ("van-ban.doc", b"\xd0\xcf\x11\xe0", "save it as .docx"),
        ("van-ban.odt", b"PK", ".odt files cannot be imported"),
        ("hong.docx", b"not a zip", "not a readable Word file"),
        ("hong.pdf", b"%PDF-1.4 garbage", "not a readable PDF"),
        ("trong.pdf", pdf_file([]), "holds no text (a scanned PDF needs OCR first)"),
        ("latin.txt", b"Ban Tuy\xean gi\xe1o", "is not UTF-8 text"),
    ],
)
def test_an_unreadable_file_is_one_clear_sentence(name: str, data: bytes, says: str) -> None:
    with pytest.raises(
        UnreadableDocument, match=says.replace("(", r"\(").replace(")", r"\)")
    ) as error:
        read_text(name, data)
    assert "\n" not in str(error.value) and name in str(error.value)
