"""An inspection over HTTP: planned by a province over a district, findings, a
conclusion calling for remediation, the district's remediation, the verification."""

from __future__ import annotations

from tests.api.conftest import ApiClient, token_for
from tests.api.scenario import register
from tests.support import SettableClock


async def test_an_inspection_runs_from_plan_to_verified_remediation(
    admin: ApiClient, clock: SettableClock
) -> None:
    await register(admin)
    inspector = await token_for(admin, "btg-hai-phong", "inspector")
    district = await token_for(admin, "btg-ngo-quyen", "reporter")
    planned = await inspector.post(
        "/api/v1/inspections",
        {
            "inspector_id": "btg-hai-phong",
            "target_ids": ["btg-ngo-quyen"],
            "scope": ["38-CT/TW"],
            "period_from": "2021-01-01",
            "period_to": "2023-12-31",
            "starts_on": "2024-01-10",
        },
    )
    assert planned.status_code == 201, planned.text
    assert planned.json()["due_on"] == "2024-02-24"  # a province inspects for 45 days
    base = f"/api/v1/inspections/{planned.json()['id']}"

    steps = [
        (inspector, "team", {"members": ["Nguyễn Văn A"]}, 200),
        (
            inspector,
            "findings",
            {"target_id": "btg-ngo-quyen", "kind": "shortcoming", "text": "Chưa sơ kết"},
            201,
        ),
        (
            inspector,
            "conclusions",
            {
                "target_id": "btg-ngo-quyen",
                "rating": "average",
                "text": "Cần khắc phục",
                "remediation_due_on": "2024-06-30",
            },
            201,
        ),
        (district, "remediations", {"target_id": "btg-ngo-quyen", "text": "Đã sơ kết"}, 201),
        (inspector, "verifications", {"target_id": "btg-ngo-quyen"}, 201),
    ]
    for client, action, body, status in steps:
        response = await client.post(f"{base}/{action}", body)
        assert response.status_code == status, (action, response.text)

    detail = await inspector.get(base)
    assert detail.status_code == 200, detail.text
    (target,) = detail.json()["targets"]
    assert (target["rating"], target["remediation_verified_on"]) == ("average", "2024-01-10")
    assert [f["kind"] for f in target["findings"]] == ["shortcoming"]
    listed = await district.get("/api/v1/organizations/btg-ngo-quyen/inspections", role="target")
    assert [i["id"] for i in listed.json()["inspections"]] == [planned.json()["id"]]

    sibling = await token_for(admin, "btg-le-chan", "inspector")
    assert (await sibling.get(base)).status_code == 404
    hidden = await sibling.post(
        f"{base}/findings", {"target_id": "btg-ngo-quyen", "kind": "strength", "text": "x"}
    )
    assert hidden.status_code == 404, hidden.text
