"""From an uploaded file to its text: plain text and Markdown, Word (.docx) and PDF.

Word and PDF support is imported only when such a file comes, so that reading a text
file stays fast (``khoagiao import --dry-run`` runs in well under a second).
"""

from __future__ import annotations

from pathlib import PurePath

SUFFIXES = (".txt", ".md", ".docx", ".pdf")


class UnreadableDocument(ValueError):
    """The file cannot be turned into text; the message says which file and why."""


def read_text(filename: str, data: bytes) -> str:
    suffix = PurePath(filename).suffix.lower()
    name = PurePath(filename).name or "the upload"
    if suffix in (".txt", ".md", ".markdown", ""):
        text = _decode(name, data)
    elif suffix == ".docx":
        from importing.word import NotWord, docx_text  # noqa: PLC0415 (only for Word files)

        try:
            text = docx_text(data)
        except NotWord as error:
            raise UnreadableDocument(f"{name} is not a readable Word file: {error}") from None
    elif suffix == ".pdf":
        from importing.pdf import NotPdf, pdf_text  # noqa: PLC0415 (only for PDF files)

        try:
            text = pdf_text(data)
        except NotPdf as error:
            raise UnreadableDocument(f"{name} is not a readable PDF: {error}") from None
    else:
        hint = " (save it as .docx)" if suffix == ".doc" else ""
        raise UnreadableDocument(
            f"{name}: {suffix} files cannot be imported{hint}; import " + ", ".join(SUFFIXES)
        )
    if not text.strip():
        scanned = " (a scanned PDF needs OCR first)" if suffix == ".pdf" else ""
        raise UnreadableDocument(f"{name} holds no text{scanned}")
    return text


def _decode(name: str, data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise UnreadableDocument(
            f"{name} is not UTF-8 text (byte {error.start}): save it as UTF-8"
        ) from None
