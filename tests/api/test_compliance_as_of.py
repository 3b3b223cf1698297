"""Compliance as of a past day equals what the live view answered on that day."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from tests.api.conftest import ApiClient, token_for
from tests.api.scenario import register
from tests.support import SettableClock

COMPLIANCE = "/api/v1/organizations/btg-hai-phong/compliance"


def on(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 3, tzinfo=UTC)


async def test_the_past_as_of_answers_what_the_live_view_said_then(
    admin: ApiClient, clock: SettableClock
) -> None:
    clock.set(on(date(2024, 1, 5)))
    await register(admin)
    province = await token_for(admin, "btg-hai-phong")
    districts = {d: await token_for(admin, d, "reporter") for d in ("btg-ngo-quyen", "btg-le-chan")}
    issued = await province.post(
        "/api/v1/documents",
        {
            "number": "102-HD/BTGTU",
            "title": "Hướng dẫn",
            "issued_on": "2024-01-05",
            "issuer_id": "btg-hai-phong",
            "fields": ["y tế"],
            "tasks": [
                {
                    "kind": "periodic_report",
                    "title": "Báo cáo quý",
                    "field": "y tế",
                    "recurrence": "quarterly",
                    "assignee_ids": list(districts),
                }
            ],
        },
    )
    assert issued.status_code == 201, issued.text
    owed = {
        (a["assignee_id"], a["period"]): a["id"] for a in issued.json()["tasks"][0]["assignments"]
    }

    async def report(day: date, unit: str, period: str, *, returned: bool = False) -> None:
        clock.set(on(day))
        client = districts[unit].as_(districts[unit].token)
        sent = await client.post(
            f"/api/v1/assignments/{owed[(unit, period)]}/submissions", {"summary": "Báo cáo"}
        )
        assert sent.status_code == 201, sent.text
        action = "return" if returned else "acceptance"
        body = {"reason": "Bổ sung"} if returned else {}
        reviewed = await province.post(f"/api/v1/assignments/{owed[(unit, period)]}/{action}", body)
        assert reviewed.status_code == 200, reviewed.text
        province.last = max(province.last, client.last)

    live: dict[date, Any] = {}

    async def record(day: date) -> None:
        clock.set(on(day))
        for year in (None, 2024):
            params = {"year": year} if year else {}
            answer = await province.get(COMPLIANCE, **params)
            assert answer.status_code == 200, answer.text
            live[(day, year)] = answer.json()

    await report(date(2024, 4, 2), "btg-ngo-quyen", "2024-Q1")
    await record(date(2024, 4, 8))
    await report(date(2024, 4, 20), "btg-le-chan", "2024-Q1", returned=True)
    await record(date(2024, 4, 25))
    await report(date(2024, 5, 3), "btg-le-chan", "2024-Q1")
    await report(date(2024, 7, 9), "btg-ngo-quyen", "2024-Q2")
    await record(date(2024, 7, 31))
    clock.set(on(date(2024, 12, 1)))

    for (day, year), answer in live.items():
        params: dict[str, Any] = {"as_of": day.isoformat()}
        if year:
            params["year"] = year
        replayed = await province.get(COMPLIANCE, **params)
        assert replayed.status_code == 200, replayed.text
        assert replayed.json() == answer, day
    assert live[(date(2024, 4, 25), None)]["subtree"]["returned"] == 1
    assert live[(date(2024, 7, 31), None)]["subtree"]["done_late"] == 1
