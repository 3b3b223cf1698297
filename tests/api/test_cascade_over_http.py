"""End to end over a real HTTP server (uvicorn on a TCP port): a province, two districts
and their communes; a guidance with tasks; the districts implement and report — one on
time, one returned and then late; every level reads its compliance, the cascade, the
audit trail and the feed."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import httpx

from tests.api.conftest import ADMIN_TOKEN, ApiClient, token_for, unit
from tests.support import SettableClock


def on(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 2, tzinfo=UTC)  # 09:00 Vietnam time


TREE = [
    unit("btg-tw", "central", None, issuer_code="BTGTW"),
    unit("btg-hai-phong", "province", "btg-tw", issuer_code="BTGTU"),
    unit("btg-ngo-quyen", "district", "btg-hai-phong", issuer_code="BTGQU"),
    unit("btg-le-chan", "district", "btg-hai-phong", issuer_code="BTGQU"),
    unit("phuong-may-to", "grassroots", "btg-ngo-quyen", kind="grassroots_party"),
    unit("phuong-lac-vien", "grassroots", "btg-ngo-quyen", kind="grassroots_party"),
    unit("phuong-an-bien", "grassroots", "btg-le-chan", kind="grassroots_party"),
]


async def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


async def test_a_guidance_cascades_and_every_level_reads_its_compliance(
    server: str, clock: SettableClock
) -> None:
    async with httpx.AsyncClient(base_url=server) as http:
        province, ngo_quyen, le_chan, guidance = await carry_out(
            ApiClient(http, ADMIN_TOKEN), clock
        )
        await read_every_level(province, ngo_quyen, le_chan, guidance)


async def carry_out(
    admin: ApiClient, clock: SettableClock
) -> tuple[ApiClient, ApiClient, ApiClient, dict[str, Any]]:
    """The writes: the tree, the guidance, the implementing guidance, the reports."""
    clock.set(on(date(2024, 1, 5)))
    for body in TREE:
        await ok(await admin.post("/api/v1/organizations", body), 201)
    province = await token_for(admin, "btg-hai-phong")
    ngo_quyen = await token_for(admin, "btg-ngo-quyen")
    le_chan = await token_for(admin, "btg-le-chan")
    le_chan_reporter = await token_for(admin, "btg-le-chan", "reporter")

    guidance = await ok(
        await province.post(
            "/api/v1/documents",
            {
                "number": "102-HD/BTGTU",
                "title": "Hướng dẫn công tác khoa giáo năm 2024",
                "issued_on": "2024-01-05",
                "issuer_id": "btg-hai-phong",
                "fields": ["giáo dục", "y tế"],
                "tasks": [
                    {
                        "kind": "implementing_document",
                        "title": "Ban hành hướng dẫn thực hiện",
                        "due_on": "2024-02-15",
                        "assignee_ids": ["btg-ngo-quyen", "btg-le-chan"],
                    },
                    {
                        "kind": "periodic_report",
                        "title": "Báo cáo kết quả quý I",
                        "field": "y tế",
                        "due_on": "2024-03-31",
                        "assignee_ids": ["btg-ngo-quyen", "btg-le-chan"],
                    },
                ],
            },
        ),
        201,
    )
    report = {
        a["assignee_id"]: a["id"]
        for task in guidance["tasks"]
        if task["kind"] == "periodic_report"
        for a in task["assignments"]
    }
    assert set(report) == {"btg-ngo-quyen", "btg-le-chan"}

    clock.set(on(date(2024, 1, 30)))
    await ok(
        await ngo_quyen.post(
            "/api/v1/documents",
            {
                "number": "25-HD/BTGQU",
                "title": "Hướng dẫn thực hiện công tác khoa giáo năm 2024",
                "issued_on": "2024-01-30",
                "issuer_id": "btg-ngo-quyen",
                "implements": guidance["id"],
            },
        ),
        201,
    )

    clock.set(on(date(2024, 3, 20)))
    await ok(
        await ngo_quyen.post(
            f"/api/v1/assignments/{report['btg-ngo-quyen']}/submissions",
            {"summary": "Đã tổ chức 3 lớp tập huấn", "figures": {"lop_tap_huan": 3}},
        ),
        201,
    )
    await ok(await province.post(f"/api/v1/assignments/{report['btg-ngo-quyen']}/acceptance", {}))

    clock.set(on(date(2024, 3, 25)))
    await ok(
        await le_chan_reporter.post(
            f"/api/v1/assignments/{report['btg-le-chan']}/submissions",
            {"summary": "Báo cáo sơ bộ"},
        ),
        201,
    )
    returned = await ok(
        await province.post(
            f"/api/v1/assignments/{report['btg-le-chan']}/return",
            {"reason": "Thiếu số liệu y tế"},
        )
    )
    assert returned["status"] == "returned"

    clock.set(on(date(2024, 4, 5)))
    await ok(
        await le_chan_reporter.post(
            f"/api/v1/assignments/{report['btg-le-chan']}/submissions",
            {"summary": "Báo cáo bổ sung số liệu y tế"},
        ),
        201,
    )
    await ok(await province.post(f"/api/v1/assignments/{report['btg-le-chan']}/acceptance", {}))
    province.last = max(c.last for c in (province, ngo_quyen, le_chan, le_chan_reporter))
    return province, ngo_quyen, le_chan, guidance


async def read_every_level(
    province: ApiClient, ngo_quyen: ApiClient, le_chan: ApiClient, guidance: dict[str, Any]
) -> None:
    compliance = await ok(await province.get("/api/v1/organizations/btg-hai-phong/compliance"))
    assert compliance["as_of"] == "2024-04-05"
    assert compliance["subtree"] == {
        "assigned": 4,
        "done_on_time": 2,  # Ngô Quyền's report and its implementing guidance
        "done_late": 1,  # Lê Chân's report, accepted after its return
        "open_in_time": 0,
        "open_overdue": 1,  # Lê Chân never issued its implementing guidance
        "returned": 1,
        "on_time_rate": 0.5,
    }
    children = {c["organization_id"]: c["subtree"] for c in compliance["children"]}
    assert children["btg-ngo-quyen"]["done_on_time"] == 2
    assert children["btg-le-chan"]["done_late"] == 1
    assert children["btg-le-chan"]["open_overdue"] == 1

    district = await ok(
        await le_chan.as_(le_chan.token).get(
            "/api/v1/organizations/btg-le-chan/compliance", min_position=province.last
        )
    )
    assert district["self"]["done_late"] == 1
    sibling = await le_chan.get(
        "/api/v1/organizations/btg-ngo-quyen/compliance", min_position=province.last
    )
    assert sibling.status_code == 404

    cascade = await ok(await province.get(f"/api/v1/documents/{guidance['id']}/cascade"))
    assert [(d["number"], d["lag_days"]) for d in cascade["documents"]] == [
        ("102-HD/BTGTU", None),
        ("25-HD/BTGQU", 25),
    ]
    assert [(m["assignee"], m["days_late"]) for m in cascade["missing"]] == [("btg-le-chan", 50)]

    trail: list[dict[str, Any]] = []
    after = 0
    while True:
        page = await ok(
            await province.get(
                "/api/v1/audit/events",
                organization_id="btg-hai-phong",
                after=after,
                limit=5,
            )
        )
        trail.extend(page["events"])
        if not page["events"]:
            break
        after = page["next_after"]
    positions = [e["position"] for e in trail]
    assert positions == sorted(positions) and len(set(positions)) == len(positions)
    types = [e["type"] for e in trail]
    assert types.count("Assignment.Submitted") == 3
    assert types.count("Assignment.Returned") == 1
    assert all(e["actor"]["organization_id"] for e in trail)

    feed = await ok(await ngo_quyen.get("/api/v1/feed", limit=1000))
    seen = {e["organization_id"] for e in feed["events"]}
    assert "btg-ngo-quyen" in seen
    assert not seen & {"btg-le-chan", "btg-hai-phong", "phuong-an-bien"}
