"""Importing guidance documents: text, Markdown, Word or PDF into a document and its tasks.

The steps, each a function the HTTP layer and the CLI call in turn:

    text = read_text(filename, data)          # UnreadableDocument: one line saying why
    draft = extract(text)                     # pure; never refuses; warnings inside
    resolution = await resolve(connection, draft, issuer_id=None)   # read models only
    command = to_command(draft, resolution)   # ImportRefused: what the draft lacks
    issued = await issue(draft, resolution, context, aggregates)    # the command path

``extract`` and what it uses are pure (no I/O); ``resolution`` reads PostgreSQL;
``issuing`` goes through ``application.documents.issue_document``.
"""

from importing.draft import Draft, from_json, to_json
from importing.extract import extract
from importing.issuing import ImportRefused, issue, to_command
from importing.readers import UnreadableDocument, read_text
from importing.resolution import Resolution, resolve

__all__ = [
    "Draft",
    "ImportRefused",
    "Resolution",
    "UnreadableDocument",
    "extract",
    "from_json",
    "issue",
    "read_text",
    "resolve",
    "to_command",
    "to_json",
]
