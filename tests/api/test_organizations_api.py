"""Organisations and tokens over HTTP: register a tree, read it back with its path and
children, and see what a unit's token may and may not do."""

from __future__ import annotations

from tests.api.conftest import ApiClient, token_for, unit


async def register_tree(admin: ApiClient) -> None:
    for body in (
        unit("btg-tw", "central", None),
        unit("btg-hai-phong", "province", "btg-tw", issuer_code="BTGTU"),
        unit("btg-binh-dinh", "province", "btg-tw", issuer_code="BTGTU"),
        unit("btg-ngo-quyen", "district", "btg-hai-phong", issuer_code="BTGQU"),
    ):
        response = await admin.post("/api/v1/organizations", body)
        assert response.status_code == 201, response.text


async def test_a_registered_unit_is_read_back_with_its_path_and_children(admin: ApiClient) -> None:
    await register_tree(admin)

    response = await admin.get("/api/v1/organizations/btg-hai-phong")

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["path"] == ["btg-tw", "btg-hai-phong"]
    assert [child["id"] for child in body["children"]] == ["btg-ngo-quyen"]
    assert body["issuer_code"] == "BTGTU"


async def test_a_unit_sees_its_subtree_and_nothing_beside_or_above_it(admin: ApiClient) -> None:
    await register_tree(admin)
    province = await token_for(admin, "btg-hai-phong", "reader")

    assert (await province.get("/api/v1/organizations/btg-ngo-quyen")).status_code == 200
    sibling = await province.get("/api/v1/organizations/btg-binh-dinh")
    parent = await province.get("/api/v1/organizations/btg-tw")
    assert (sibling.status_code, parent.status_code) == (404, 404)
    assert sibling.headers["content-type"].startswith("application/problem+json")


async def test_a_revoked_token_is_refused_at_once(admin: ApiClient) -> None:
    await register_tree(admin)
    issued = await admin.post(
        "/api/v1/tokens",
        {"organization_id": "btg-hai-phong", "role": "reader", "label": "dashboard"},
    )
    reader = admin.as_(issued.json()["token"])
    assert (await reader.get("/api/v1/organizations/btg-hai-phong")).status_code == 200

    revoked = await admin.delete(f"/api/v1/tokens/{issued.json()['id']}")

    assert revoked.status_code == 200, revoked.text
    refused = await reader.get("/api/v1/organizations/btg-hai-phong")
    assert refused.status_code == 401
    assert refused.json()["code"] == "unauthenticated"


async def test_issuing_a_token_is_in_the_unit_audit_trail_without_its_secret(
    admin: ApiClient,
) -> None:
    await register_tree(admin)
    officer = await token_for(admin, "btg-hai-phong")

    trail = await officer.get("/api/v1/audit/events", organization_id="btg-hai-phong")

    assert trail.status_code == 200, trail.text
    (issued,) = [e for e in trail.json()["events"] if e["type"] == "AccessToken.Issued"]
    assert issued["organization_id"] == "btg-hai-phong"
    assert issued["data"]["role"] == "officer"
    assert "secret_digest" not in issued["data"]
    assert officer.token.split("_")[-1] not in trail.text
