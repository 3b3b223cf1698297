"""A small tree registered over the API, and tokens for its units."""

from __future__ import annotations

from tests.api.conftest import ApiClient, unit

TREE = [
    unit("btg-tw", "central", None, issuer_code="BTGTW"),
    unit("btg-hai-phong", "province", "btg-tw", issuer_code="BTGTU"),
    unit("btg-binh-dinh", "province", "btg-tw", issuer_code="BTGTU"),
    unit("btg-ngo-quyen", "district", "btg-hai-phong", issuer_code="BTGQU"),
    unit("btg-le-chan", "district", "btg-hai-phong", issuer_code="BTGQU"),
    unit("phuong-may-to", "grassroots", "btg-ngo-quyen", kind="grassroots_party"),
]


async def register(admin: ApiClient, tree: list[dict[str, object]] = TREE) -> None:
    for body in tree:
        response = await admin.post("/api/v1/organizations", body)
        assert response.status_code == 201, response.text
