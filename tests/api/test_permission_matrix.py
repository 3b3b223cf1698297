"""Every role × every endpoint × the caller's own organisation, a child, a sibling and
the parent: the exact status code.

The caller works for btg-hai-phong (a province). Its child is btg-ngo-quyen, its sibling
btg-binh-dinh, its parent btg-tw. The rules: a unit reads its own subtree and what is
addressed to it (anything else is a 404); it writes only for itself (403 naming the
rule), with a role that may do the thing; an admin does anything.
"""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.api.conftest import ApiClient, token_for, unit
from tests.api.scenario import TREE, register

ROLES = ("admin", "officer", "reporter", "inspector", "reader")
RELATIONS = {
    "own": "btg-hai-phong",
    "child": "btg-ngo-quyen",
    "sibling": "btg-binh-dinh",
    "parent": "btg-tw",
}
CHILD_OF = {
    "btg-hai-phong": "btg-ngo-quyen",
    "btg-ngo-quyen": "phuong-may-to",
    "btg-binh-dinh": "btg-quy-nhon",
    "btg-tw": "btg-hai-phong",
}
CODES = {"btg-hai-phong": "BTGTU", "btg-binh-dinh": "BTGTU", "btg-ngo-quyen": "BTGQU"}
CODES["btg-tw"] = "BTGTW"


@dataclass
class World:
    """Resources of each unit for the writes to act on, consumed one per success."""

    admin: ApiClient
    reports: dict[str, list[str]]
    """Open quarterly-report assignments owed by each unit."""
    submitted: dict[str, list[str]]
    """Submitted assignments, by the unit that issued them."""
    documents: dict[str, str]
    numbers: itertools.count[int]


READS = {
    "organization": lambda w, t: f"/api/v1/organizations/{t}",
    "compliance": lambda w, t: f"/api/v1/organizations/{t}/compliance",
    "deadlines": lambda w, t: f"/api/v1/organizations/{t}/deadlines",
    "assignments": lambda w, t: f"/api/v1/organizations/{t}/assignments",
    "inspections": lambda w, t: f"/api/v1/organizations/{t}/inspections",
    "inspection overview": lambda w, t: f"/api/v1/organizations/{t}/inspections/overview",
}


def read_expected(role: str, relation: str) -> int:
    return 200 if role == "admin" or relation in ("own", "child") else 404


def document_read_expected(role: str, relation: str) -> int:
    # The parent's guidance assigns tasks to the caller: it is addressed to it.
    return 404 if role != "admin" and relation == "sibling" else 200


def write_expected(
    role: str, relation: str, allowed: tuple[str, ...], success: int, sees_parent: bool
) -> int:
    if role == "admin":
        return success
    if relation == "sibling" or (relation == "parent" and not sees_parent):
        return 404
    return success if relation == "own" and role in allowed else 403


Write = Callable[[ApiClient, World, str], Awaitable[httpx.Response]]


async def register_child(client: ApiClient, world: World, target: str) -> httpx.Response:
    slug = f"new-unit-{next(world.numbers)}"
    level = {"btg-tw": "province", "btg-hai-phong": "district", "btg-binh-dinh": "district"}
    body = unit(slug, level.get(target, "grassroots"), target, kind="grassroots_party")
    if target != "btg-ngo-quyen":
        body["kind"] = "propaganda_commission"
    return await client.post("/api/v1/organizations", body)


async def issue_document(client: ApiClient, world: World, target: str) -> httpx.Response:
    number = f"{next(world.numbers)}-HD/{CODES[target]}"
    body = {"number": number, "title": "Hướng dẫn", "issued_on": "2024-01-05", "issuer_id": target}
    return await client.post("/api/v1/documents", body)


async def submit(client: ApiClient, world: World, target: str) -> httpx.Response:
    assignment = world.reports[target][0]
    response = await client.post(
        f"/api/v1/assignments/{assignment}/submissions", {"summary": "Báo cáo"}
    )
    if response.status_code == 201:
        world.reports[target].pop(0)
    return response


async def accept(client: ApiClient, world: World, target: str) -> httpx.Response:
    assignment = world.submitted[target][0]
    response = await client.post(f"/api/v1/assignments/{assignment}/acceptance", {})
    if response.status_code == 200:
        world.submitted[target].pop(0)
    return response


async def issue_token(client: ApiClient, world: World, target: str) -> httpx.Response:
    body = {"organization_id": target, "role": "reader", "label": "dashboard"}
    return await client.post("/api/v1/tokens", body)


async def plan_inspection(client: ApiClient, world: World, target: str) -> httpx.Response:
    body = {
        "inspector_id": target,
        "target_ids": [CHILD_OF[target]],
        "scope": ["38-CT/TW"],
        "period_from": "2023-01-01",
        "period_to": "2023-12-31",
        "starts_on": "2024-01-10",
    }
    return await client.post("/api/v1/inspections", body)


WRITES: dict[str, tuple[Write, tuple[str, ...], int, tuple[str, ...], bool]] = {
    # name: (write, roles allowed on their own unit, success status, relations covered,
    #        whether the parent's resource is addressed to the caller: 403 rather than 404)
    "register organisation": (register_child, ("officer",), 201, tuple(RELATIONS), False),
    "issue document": (issue_document, ("officer",), 201, tuple(RELATIONS), False),
    "submit report": (submit, ("officer", "reporter"), 201, ("own", "child", "sibling"), False),
    "accept submission": (accept, ("officer",), 200, ("own", "child", "parent"), True),
    "issue token": (issue_token, ("officer",), 201, tuple(RELATIONS), False),
    "plan inspection": (plan_inspection, ("officer", "inspector"), 201, tuple(RELATIONS), False),
}


def quarterly(*assignees: str) -> dict[str, Any]:
    return {
        "kind": "periodic_report",
        "title": "Báo cáo quý",
        "recurrence": "quarterly",
        "assignee_ids": list(assignees),
    }


async def build_world(admin: ApiClient) -> World:
    await register(admin, [*TREE, unit("btg-quy-nhon", "district", "btg-binh-dinh")])
    world = World(admin, {}, {}, {}, itertools.count(1))
    issued_by = {
        "btg-tw": ["btg-hai-phong", "btg-binh-dinh"],
        "btg-hai-phong": ["btg-ngo-quyen"],
        "btg-ngo-quyen": ["phuong-may-to"],
        "btg-binh-dinh": ["btg-quy-nhon"],
    }
    for issuer, assignees in issued_by.items():
        officer = await token_for(admin, issuer)
        response = await officer.post(
            "/api/v1/documents",
            {
                "number": f"{next(world.numbers)}-HD/{CODES[issuer]}",
                "title": "Hướng dẫn năm 2024",
                "issued_on": "2024-01-05",
                "issuer_id": issuer,
                "tasks": [quarterly(*assignees), quarterly(*assignees)],
            },
        )
        assert response.status_code == 201, response.text
        world.documents[issuer] = response.json()["id"]
        assignments = [a for t in response.json()["tasks"] for a in t["assignments"]]
        for a in assignments:
            world.reports.setdefault(a["assignee_id"], []).append(a["id"])
        # Half of what each issuer assigned is submitted, ready to be accepted.
        for a in assignments[len(assignments) // 2 :]:
            reporter = await token_for(admin, a["assignee_id"], "reporter")
            submitted = await reporter.post(
                f"/api/v1/assignments/{a['id']}/submissions", {"summary": "Báo cáo"}
            )
            assert submitted.status_code == 201, submitted.text
            world.reports[a["assignee_id"]].remove(a["id"])
            world.submitted.setdefault(issuer, []).append(a["id"])
    admin.last = max(admin.last, officer.last, reporter.last)
    return world


async def test_every_role_on_every_endpoint_for_own_child_sibling_and_parent(
    admin: ApiClient,
) -> None:
    world = await build_world(admin)
    callers = {
        role: admin if role == "admin" else await token_for(admin, "btg-hai-phong", role)
        for role in ROLES
    }
    mismatches: list[str] = []

    def check(what: str, role: str, relation: str, got: httpx.Response, want: int) -> None:
        if got.status_code != want:
            mismatches.append(f"{what} as {role} on {relation}: {got.status_code} != {want}")
        elif want >= 400:
            problem = got.json()
            if not (problem.get("code") and problem.get("status") == want):
                mismatches.append(f"{what} as {role} on {relation}: no problem body")

    for role, client in callers.items():
        client.last = admin.last
        for relation, target in RELATIONS.items():
            for what, path in READS.items():
                response = await client.get(path(world, target))
                check(what, role, relation, response, read_expected(role, relation))
            response = await client.get("/api/v1/audit/events", organization_id=target)
            check("audit", role, relation, response, read_expected(role, relation))
            response = await client.get(f"/api/v1/documents/{world.documents[target]}")
            check("document", role, relation, response, document_read_expected(role, relation))
            for what, (write, allowed, success, relations, sees_parent) in WRITES.items():
                if relation not in relations:
                    continue
                response = await write(client, world, target)
                want = write_expected(role, relation, allowed, success, sees_parent)
                check(what, role, relation, response, want)

    assert not mismatches, "\n".join(mismatches)


@pytest.mark.parametrize("role", ["officer", "reporter", "inspector", "reader"])
async def test_a_forbidden_write_names_the_rule(admin: ApiClient, role: str) -> None:
    await register(admin)
    caller = await token_for(admin, "btg-hai-phong", role)
    world = World(admin, {}, {}, {}, itertools.count(1))

    response = await issue_document(caller, world, "btg-ngo-quyen")

    assert response.status_code == 403
    assert response.json()["code"] in ("acts_only_for_itself", "role_not_allowed")
    assert "btg-ngo-quyen" in response.json()["detail"]
