"""Importing over HTTP: upload a guidance (Word or pasted text), review the draft,
commit it, and find the issued document with its tasks."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import docx

from tests.api.conftest import ApiClient, token_for, unit
from tests.api.scenario import register
from tests.support import SettableClock

SAMPLES = Path(__file__).parents[1] / "import_samples"


async def events(pool: asyncpg.Pool[Any]) -> int:
    return int(await pool.fetchval("SELECT count(*) FROM events"))


def word_file(text: str) -> bytes:
    document = docx.Document()
    for paragraph in text.split("\n"):
        document.add_paragraph(paragraph)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


async def quang_ngai(admin: ApiClient) -> ApiClient:
    await register(
        admin,
        [
            unit("btg-tw", "central", None, issuer_code="BTGTW"),
            unit("btg-quang-ngai", "province", "btg-tw", issuer_code="BTGTU"),
            unit("btg-son-tinh", "district", "btg-quang-ngai", issuer_code="BTGHU"),
        ],
    )
    return await token_for(admin, "btg-quang-ngai")


async def test_an_uploaded_word_guidance_is_drafted_reviewed_and_issued(
    admin: ApiClient, clock: SettableClock, pool: asyncpg.Pool[Any]
) -> None:
    clock.set(datetime(2025, 2, 3, 2, tzinfo=UTC))
    officer = await quang_ngai(admin)
    text = (SAMPLES / "province-57-HD-BTGTU-2025.txt").read_text()
    before = await events(pool)

    uploaded = await officer.http.post(
        "/api/v1/imports",
        files={"file": ("57-HD-BTGTU.docx", word_file(text))},
        data={"issuer_id": "btg-quang-ngai"},
        params={"min_position": officer.last},
        headers={"Authorization": f"Bearer {officer.token}"},
    )

    assert uploaded.status_code == 201, uploaded.text
    draft = uploaded.json()
    assert draft["draft"]["document"]["number"] == "57-HD/BTGTU"
    assert draft["draft"]["document"]["issued_on"] == "2025-01-08"
    assert draft["resolution"]["issuer"]["id"] == "btg-quang-ngai"
    assert await events(pool) == before  # a draft is not a fact

    reviewed = draft["draft"]
    reviewed["document"]["title"] = "Hướng dẫn công tác khoa giáo năm 2025 (đã soát)"
    committed = await officer.post(
        f"/api/v1/imports/{draft['id']}/commit",
        {"draft": reviewed, "issuer_id": "btg-quang-ngai"},
    )

    assert committed.status_code == 201, committed.text
    issued = committed.json()
    assert issued["number"] == "57-HD/BTGTU" and issued["tasks"]
    found = await officer.get("/api/v1/documents", number="57-HD/BTGTU")
    assert [d["title"] for d in found.json()["documents"]] == [reviewed["document"]["title"]]
    again = await officer.post(f"/api/v1/imports/{draft['id']}/commit", {})
    assert (again.status_code, again.json()["code"]) == (422, "import_committed")


async def test_pasted_text_without_a_number_cannot_be_committed(
    admin: ApiClient, pool: asyncpg.Pool[Any]
) -> None:
    officer = await quang_ngai(admin)
    drafted = await officer.post(  # resolved once the views hold the units just registered
        f"/api/v1/imports?min_position={officer.last}",
        {"text": "Ban Tuyên giáo hướng dẫn tổ chức sơ kết.", "filename": "x.txt"},
    )
    assert drafted.status_code == 201, drafted.text
    before = await events(pool)

    refused = await officer.post(f"/api/v1/imports/{drafted.json()['id']}/commit", {})

    assert (refused.status_code, refused.json()["code"]) == (422, "draft_incomplete")
    assert "number" in refused.json()["detail"]
    assert await events(pool) == before


async def test_an_unreadable_file_is_refused_in_one_sentence(admin: ApiClient) -> None:
    officer = await quang_ngai(admin)

    refused = await officer.http.post(
        "/api/v1/imports",
        files={"file": ("guidance.docx", b"not a zip archive")},
        headers={"Authorization": f"Bearer {officer.token}"},
    )

    assert (refused.status_code, refused.json()["code"]) == (422, "unreadable_document")
    reader = await token_for(admin, "btg-quang-ngai", "reader")
    forbidden = await reader.post("/api/v1/imports", {"text": "x"})
    assert forbidden.status_code == 403
