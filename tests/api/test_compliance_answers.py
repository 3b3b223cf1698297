"""Today's compliance answers are kept while their views stand still: a kept answer is
always the one the views give now, whoever asks and whatever changed."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import Any

import asyncpg
import httpx
import pytest
from litestar import Litestar

from adapters.http.answers import Answers, ViewStamps
from adapters.http.api import Api
from adapters.http.app import create_app
from projections.organisation_tree import OrganisationTree
from tests.api.conftest import ApiClient, token_for
from tests.api.scenario import register
from tests.support import SettableClock

COMPLIANCE = "/api/v1/organizations/btg-hai-phong/compliance"


@pytest.fixture
async def uncached(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    """The same service with no answer kept: every read computed afresh."""
    api: Api = app.state.api
    fresh = create_app(api=dataclasses.replace(api, answers=Answers()), nats=app.state.nats)
    transport = httpx.ASGITransport(app=fresh)
    async with httpx.AsyncClient(transport=transport, base_url="http://khoagiao.test") as http:
        yield http


async def fresh(uncached: httpx.AsyncClient, reader: ApiClient, **params: Any) -> Any:
    """The answer computed now, with no answer kept."""
    answer = await ApiClient(uncached, reader.token, reader.last).get(COMPLIANCE, **params)
    assert answer.status_code == 200, answer.text
    return answer.json()


async def test_a_kept_answer_is_always_the_views_answer_now(
    admin: ApiClient, app: Litestar, uncached: httpx.AsyncClient, clock: SettableClock
) -> None:
    await register(admin)
    province = await token_for(admin, "btg-hai-phong")
    reporter = await token_for(admin, "btg-ngo-quyen", "reporter")
    issued = await province.post(
        "/api/v1/documents",
        {
            "number": "7-HD/BTGTU",
            "title": "Hướng dẫn",
            "issued_on": "2024-01-10",
            "issuer_id": "btg-hai-phong",
            "tasks": [
                {
                    "kind": "periodic_report",
                    "title": "Báo cáo",
                    "due_on": "2024-02-01",
                    "assignee_ids": ["btg-ngo-quyen", "btg-le-chan"],
                }
            ],
        },
    )
    assert issued.status_code == 201, issued.text
    owed = {a["assignee_id"]: a["id"] for a in issued.json()["tasks"][0]["assignments"]}
    answers: Answers = app.state.api.answers

    first = await province.get(COMPLIANCE)
    again = await province.get(COMPLIANCE)
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json() == await fresh(uncached, province)
    assert first.json()["subtree"]["open_in_time"] == 2
    assert answers._kept, "the answer was not kept"

    sent = await reporter.post(
        f"/api/v1/assignments/{owed['btg-ngo-quyen']}/submissions", {"summary": "Báo cáo"}
    )
    assert sent.status_code == 201, sent.text
    province.last = reporter.last
    accepted = await province.post(f"/api/v1/assignments/{owed['btg-ngo-quyen']}/acceptance", {})
    assert accepted.status_code == 200, accepted.text

    after = await province.get(COMPLIANCE)
    assert after.json() == await fresh(uncached, province)
    assert after.json()["subtree"]["done_on_time"] == 1
    assert after.json()["subtree"]["open_in_time"] == 1

    clock.set(datetime(2024, 2, 5, 3, tzinfo=UTC))  # past the due date, no new event
    overdue = await province.get(COMPLIANCE)
    assert overdue.json() == await fresh(uncached, province)
    assert overdue.json()["as_of"] == date(2024, 2, 5).isoformat()
    assert overdue.json()["subtree"]["open_overdue"] == 1

    filtered = await province.get(COMPLIANCE, year=2023)
    assert filtered.json() == await fresh(uncached, province, year=2023)
    assert filtered.json()["subtree"]["assigned"] == 0


async def test_a_kept_answer_is_shown_only_to_who_may_see_the_unit(admin: ApiClient) -> None:
    await register(admin)
    province = await token_for(admin, "btg-hai-phong")
    sibling = await token_for(admin, "btg-binh-dinh")
    district = await token_for(admin, "btg-ngo-quyen")
    assert (await province.get(COMPLIANCE)).status_code == 200

    for outsider in (sibling, district):
        refused = await outsider.get(COMPLIANCE)
        assert refused.status_code == 404
        assert refused.json()["code"] == "organisation_not_found"


async def test_a_view_rewritten_where_it_stands_is_read_again(
    admin: ApiClient, pool: asyncpg.Pool[Any]
) -> None:
    """What a rebuild's swap does: new rows, the checkpoint row written at the same
    position."""
    await register(admin)
    province = await token_for(admin, "btg-hai-phong")
    assert (await province.get(COMPLIANCE)).status_code == 200

    async with pool.acquire() as connection, connection.transaction():
        await connection.execute(
            "UPDATE org_units SET name = 'Ban Tuyên giáo Quận ủy Ngô Quyền'"
            " WHERE id = 'btg-ngo-quyen'"
        )
        await connection.execute(
            "UPDATE projection_checkpoints SET updated_at = now() WHERE name = $1",
            OrganisationTree.name,
        )

    children = (await province.get(COMPLIANCE)).json()["children"]
    names = {child["organization_id"]: child["name"] for child in children}
    assert names["btg-ngo-quyen"] == "Ban Tuyên giáo Quận ủy Ngô Quyền"


def test_answers_past_the_limit_are_forgotten_and_recomputed() -> None:
    answers = Answers(limit=10)
    answers.put("a", 1, b"12345")
    answers.put("b", 1, b"12345")
    assert (answers.get("a", 1), answers.get("b", 1)) == (b"12345", b"12345")
    assert answers.get("a", 2) is None  # the views moved

    answers.put("c", 1, b"1")  # 11 bytes: everything goes, then c is kept

    assert (answers.get("a", 1), answers.get("b", 1), answers.get("c", 1)) == (None, None, b"1")
    answers.put("c", 2, b"123456789")  # replacing an answer frees its bytes first
    assert answers.get("c", 2) == b"123456789"


class HeldPool:
    """The pool, counting the statements sent through it; the first one's answer is
    held back until ``let_go`` is set, as if it were slow to come back."""

    def __init__(self, pool: asyncpg.Pool[Any]) -> None:
        self.pool = pool
        self.statements = 0
        self.first_read = asyncio.Event()
        self.let_go = asyncio.Event()

    async def fetchval(self, *args: Any) -> Any:
        self.statements += 1
        value = await self.pool.fetchval(*args)
        if self.statements == 1:
            self.first_read.set()
            await self.let_go.wait()
        return value


async def test_requests_share_a_read_of_the_view_stamps_but_never_one_sent_before_they_came(
    pool: asyncpg.Pool[Any],
) -> None:
    await pool.execute(
        "INSERT INTO projection_checkpoints (name, transaction_id, position)"
        " VALUES ('stamped_view', '0', 0)"
    )
    stamps, held = ViewStamps(["stamped_view"]), HeldPool(pool)
    early = asyncio.create_task(stamps.read(held))  # type: ignore[arg-type]
    await held.first_read.wait()  # read, not yet back
    await pool.execute(
        "UPDATE projection_checkpoints SET updated_at = now() WHERE name = 'stamped_view'"
    )
    late = [asyncio.create_task(stamps.read(held)) for _ in range(20)]  # type: ignore[arg-type]
    await asyncio.sleep(0.01)
    held.let_go.set()

    before, after = await early, await asyncio.gather(*late)
    assert held.statements == 2  # the twenty late ones shared the second read
    assert all(stamp == after[0] for stamp in after)
    assert after[0] != before  # none of them got the read sent before they came
    assert await stamps.read(pool) == after[0]  # nothing changed since
