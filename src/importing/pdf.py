"""PDF to text, page by page, lines as the page printed them (``normalise`` joins them).
A scanned PDF has no text layer and yields nothing."""

from __future__ import annotations

import io

from pypdf import PdfReader
from pypdf.errors import PdfReadError


class NotPdf(ValueError):
    pass


def pdf_text(data: bytes) -> str:
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise NotPdf("it is encrypted: remove the password first")
        return "\n".join(page.extract_text() or "" for page in reader.pages)
    except (PdfReadError, ValueError, KeyError, TypeError) as error:
        raise NotPdf(str(error) or type(error).__name__) from None
