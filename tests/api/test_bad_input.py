"""Bad input: each gets a 4xx problem+json body naming what was wrong, and nothing is
stored. Retries with an Idempotency-Key are answered once."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import pytest

from tests.api.conftest import ApiClient, token_for
from tests.api.scenario import register

ISSUE = "/api/v1/documents"


def guidance(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "number": "102-HD/BTGTU",
        "title": "Hướng dẫn",
        "issued_on": "2024-01-05",
        "issuer_id": "btg-hai-phong",
        "tasks": [
            {
                "kind": "periodic_report",
                "title": "Báo cáo",
                "due_on": "2024-03-31",
                "assignee_ids": ["btg-ngo-quyen"],
            }
        ],
    }
    body.update(changes)
    return body


async def events(pool: asyncpg.Pool[Any]) -> int:
    return int(await pool.fetchval("SELECT count(*) FROM events"))


@pytest.mark.parametrize(
    ("content", "status", "code", "field"),
    [
        (b"{not json", 400, "malformed_body", None),
        ('{"number": "\xff"}'.encode("latin-1"), 400, "malformed_body", None),
        (b"[]", 400, "invalid_request", None),
        (b'{"number": 102}', 400, "invalid_request", "number"),
        (
            b'{"number": "1-HD/BTGTU", "title": "x", "issued_on": "2024-02-30",'
            b' "issuer_id": "btg-hai-phong"}',
            400,
            "invalid_request",
            "issued_on",
        ),
        (
            b'{"number": "1-HD/BTGTU", "title": "x", "issued_on": "2024-01-05",'
            b' "issuer_id": "btg-hai-phong", "colour": "red"}',
            400,
            "invalid_request",
            "colour",
        ),
        (
            b'{"number": "1-HD/BTGTU", "title": "x", "issued_on": "2024-01-05",'
            b' "issuer_id": "btg-hai-phong", "tasks": [{"kind": "dance", "title": "x"}]}',
            400,
            "invalid_request",
            "tasks[0].kind",
        ),
        (b'{"title": "x"}', 400, "invalid_request", "number"),
        (b"{" + b'"title": "' + b"x" * 1_100_000 + b'"}', 413, "body_too_large", None),
    ],
    ids=[
        "not-json",
        "bad-utf8",
        "not-an-object",
        "wrong-type",
        "bad-date",
        "unknown-field",
        "nested-bad-enum",
        "missing-field",
        "oversize",
    ],
)
async def test_a_malformed_body_is_a_problem_naming_the_field_and_stores_nothing(
    admin: ApiClient,
    pool: asyncpg.Pool[Any],
    content: bytes,
    status: int,
    code: str,
    field: str | None,
) -> None:
    await register(admin)
    before = await events(pool)

    response = await admin.http.post(
        ISSUE,
        content=content,
        headers={"Authorization": f"Bearer {admin.token}", "Content-Type": "application/json"},
    )

    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert (problem["status"], problem["code"]) == (status, code)
    assert problem["type"].endswith(code) and problem["title"] and problem["detail"]
    if field is not None:
        assert field in [e["field"] for e in problem["errors"]], problem
    assert await events(pool) == before


async def test_domain_refusals_are_422_with_the_rule_and_store_nothing(
    admin: ApiClient, pool: asyncpg.Pool[Any]
) -> None:
    await register(admin)
    province = await token_for(admin, "btg-hai-phong")
    before = await events(pool)

    future = await province.post(ISSUE, guidance(issued_on="2099-01-01"))
    wrong_code = await province.post(ISSUE, guidance(number="102-HD/BTGQU"))

    assert (future.status_code, future.json()["code"]) == (422, "effective_date_in_future")
    assert wrong_code.status_code == 422, wrong_code.text
    assert await events(pool) == before


async def test_an_unknown_route_and_a_missing_token_are_problems(admin: ApiClient) -> None:
    missing = await admin.http.get("/api/v1/organizations/btg-tw")
    nowhere = await admin.get("/api/v1/nothing-here")
    bad_token = await admin.as_("kg_" + "0" * 32 + "_guess").get("/api/v1/organizations/btg-tw")

    assert (missing.status_code, missing.json()["code"]) == (401, "unauthenticated")
    assert missing.headers["www-authenticate"] == "Bearer"
    assert (nowhere.status_code, nowhere.json()["code"]) == (404, "no_such_route")
    assert bad_token.status_code == 401


async def test_a_retry_with_the_same_key_gets_the_first_answer_and_writes_nothing(
    admin: ApiClient, pool: asyncpg.Pool[Any]
) -> None:
    await register(admin)
    province = await token_for(admin, "btg-hai-phong")
    key = {"Idempotency-Key": "issue-102-2024"}

    first = await province.post(ISSUE, guidance(), headers=key)
    after_first = await events(pool)
    retry = await province.post(ISSUE, guidance(), headers=key)
    other_body = await province.post(ISSUE, guidance(title="Khác"), headers=key)

    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json()
    assert retry.headers["idempotent-replayed"] == "true"
    assert (other_body.status_code, other_body.json()["code"]) == (422, "idempotency_key_reused")
    assert await events(pool) == after_first


async def test_concurrent_requests_with_one_key_write_once(
    admin: ApiClient, pool: asyncpg.Pool[Any]
) -> None:
    await register(admin)
    province = await token_for(admin, "btg-hai-phong")
    before = await events(pool)

    responses = await asyncio.gather(
        *(province.post(ISSUE, guidance(), headers={"Idempotency-Key": "same"}) for _ in range(8))
    )

    assert {r.status_code for r in responses} == {201}
    assert len({r.json()["id"] for r in responses}) == 1
    document_events = await pool.fetchval(
        "SELECT count(*) FROM events WHERE type LIKE '%Document.Issued' AND position > $1", before
    )
    assert document_events == 1


async def test_a_refused_write_keeps_no_key(admin: ApiClient) -> None:
    await register(admin)
    province = await token_for(admin, "btg-hai-phong")
    key = {"Idempotency-Key": "k1"}

    refused = await province.post(ISSUE, guidance(issued_on="2099-01-01"), headers=key)
    corrected = await province.post(ISSUE, guidance(), headers=key)

    assert refused.status_code == 422
    assert corrected.status_code == 201, corrected.text


async def test_racing_writes_to_one_assignment_are_applied_or_refused_as_stale(
    admin: ApiClient, pool: asyncpg.Pool[Any]
) -> None:
    await register(admin)
    province = await token_for(admin, "btg-hai-phong")
    issued = await province.post(ISSUE, guidance())
    (assignment,) = issued.json()["tasks"][0]["assignments"]

    responses = await asyncio.gather(
        *(
            province.post(
                f"/api/v1/assignments/{assignment['id']}/extension",
                {"due_on": f"2024-04-{day:02d}", "reason": "Chờ số liệu"},
            )
            for day in range(1, 9)
        )
    )

    applied = [r for r in responses if r.status_code == 200]
    stale = [r for r in responses if r.status_code != 200]
    assert applied
    assert all((r.status_code, r.json()["code"]) == (409, "stale_version") for r in stale)
    extended = await pool.fetchval(
        "SELECT count(*) FROM events WHERE type LIKE '%Assignment.DueDateExtended'"
    )
    assert extended == len(applied)
