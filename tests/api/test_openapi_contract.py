"""The published contract holds: schemathesis generates requests for every operation of
``/schema/openapi.json`` and checks each answer against the schema — never a 5xx, only
documented status codes and content types, bodies and headers as described — and the
views still follow the log afterwards, whatever was written.

It runs against a real server (uvicorn on a TCP port, real PostgreSQL and NATS, the
projections running) seeded with a small tree, a guidance with its assignments, a
returned submission and an inspection, so that an id in a path is a real resource part
of the time and a random one the rest. schemathesis is synchronous (``requests``), so it
runs in a thread while the server answers on the test's event loop. Generation is
derandomized and bounded per operation: a run is repeatable and takes about a minute.

Every failure is collected (one per operation, kind and status) and reported together
with a curl command reproducing it, rather than stopping at the first.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Err
from schemathesis.errors import FailureGroup
from schemathesis.schemas import APIOperation
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from adapters.store.event_store import PostgresEventStore
from adapters.store.projection_runner import ProjectionRunner
from tests.api.conftest import ADMIN_TOKEN, ApiClient, token_for, unit
from tests.api.scenario import register

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
"""503 counts as a server error too: on this idle test server the views never fall 2 s
behind, so a ``views_behind`` answer means a projection has stopped."""

RealIds = Mapping[str, Sequence[str]]
"""Path parameter name -> ids of resources that exist."""
AnyCase = Case[Any]
Operation = APIOperation[Any, Any, Any, Any]


@dataclass(frozen=True)
class Identity:
    """Who calls, and how hard each operation is fuzzed as that caller."""

    name: str
    token: str | None
    max_examples: int
    modes: tuple[GenerationMode, ...] = (GenerationMode.POSITIVE,)

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}


@dataclass
class Findings:
    """Failures keyed by (operation, status, kind), each with a reproducing curl."""

    failures: dict[tuple[str, int, str], str] = field(default_factory=dict)
    requests: int = 0

    def add(self, identity: Identity, case: AnyCase, status: int, group: FailureGroup) -> None:
        curl = case.as_curl_command(headers={"Authorization": "Bearer <token>"})
        for failure in group.exceptions:
            key = (case.operation.label, status, failure.title)
            message = failure.message.strip().replace("\n", " ")[:300]
            self.failures.setdefault(key, f"as {identity.name}: {message}\n    {curl}")


def report(failures: Mapping[tuple[str, int, str], str]) -> str:
    return "\n".join(
        f"{operation} -> {status}: {title}\n  {detail}"
        for (operation, status, title), detail in sorted(failures.items())
    )


async def seed(admin: ApiClient) -> RealIds:
    """The tree of ``tests.api.scenario``, a guidance with assignments, one submission
    returned for revision, an inspection and a spare token: real targets for every kind
    of id in a path."""
    await register(admin)
    spare = await admin.post(
        "/api/v1/tokens", {"organization_id": "btg-le-chan", "role": "reader", "label": "spare"}
    )
    guidance = await admin.post(
        "/api/v1/documents",
        {
            "number": "102-HD/BTGTU",
            "title": "Hướng dẫn công tác khoa giáo năm 2024",
            "issued_on": "2024-01-05",
            "issuer_id": "btg-hai-phong",
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
                    "due_on": "2024-03-31",
                    "assignee_ids": ["btg-ngo-quyen", "btg-le-chan"],
                },
            ],
        },
    )
    assert guidance.status_code == 201, guidance.text
    assignments = [a["id"] for t in guidance.json()["tasks"] for a in t["assignments"]]
    for path, body in (
        (f"/api/v1/assignments/{assignments[-1]}/submissions", {"summary": "Báo cáo sơ bộ"}),
        (f"/api/v1/assignments/{assignments[-1]}/return", {"reason": "Thiếu số liệu"}),
    ):
        response = await admin.post(path, body)
        assert response.is_success, response.text
    inspection = await admin.post(
        "/api/v1/inspections",
        {
            "inspector_id": "btg-hai-phong",
            "target_ids": ["btg-ngo-quyen", "btg-le-chan"],
            "scope": ["38-CT/TW"],
            "period_from": "2021-01-01",
            "period_to": "2023-12-31",
            "starts_on": "2024-01-10",
        },
    )
    for response in (spare, inspection):
        assert response.status_code == 201, response.text
    return {
        "organization_id": ["btg-hai-phong", "btg-ngo-quyen", "phuong-may-to", "btg-tw"],
        "document_id": [guidance.json()["id"]],
        "assignment_id": assignments,
        "inspection_id": [inspection.json()["id"]],
        "token_id": [spare.json()["id"]],
    }


def cases(operation: Operation, mode: GenerationMode, real: RealIds) -> st.SearchStrategy[AnyCase]:
    """Generated cases, about half of them aimed at resources that exist."""
    generated = operation.as_strategy(generation_mode=mode)
    names = [parameter.name for parameter in operation.path_parameters]
    if names and all(name in real for name in names):
        known = st.fixed_dictionaries({name: st.sampled_from(real[name]) for name in names})
        aimed = known.flatmap(
            lambda ids: operation.as_strategy(generation_mode=mode, path_parameters=ids)
        )
        generated = st.one_of(generated, aimed)
    return generated


def fuzz(base_url: str, identities: Sequence[Identity], real: RealIds) -> Findings:
    """Every operation, as every identity, in each of its generation modes (blocking)."""
    schema = schemathesis.openapi.from_url(f"{base_url}/schema/openapi.json")
    findings = Findings()
    with requests.Session() as session:
        for result in schema.get_all_operations():
            if isinstance(result, Err):
                raise result.err()  # the published schema itself is broken
            operation = result.ok()
            for identity in identities:
                check = _checker(base_url, session, identity, findings)
                for mode in identity.modes:
                    _examples(cases(operation, mode, real), identity.max_examples, check)
    return findings


def _checker(
    base_url: str, session: requests.Session, identity: Identity, findings: Findings
) -> Callable[[AnyCase], None]:
    """Send a case as ``identity``, run the checks on the answer, keep what fails."""
    headers = identity.headers()

    def check(case: AnyCase) -> None:
        findings.requests += 1
        response = case.call(base_url=base_url, session=session, headers=headers, timeout=10)
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except FailureGroup as group:
            findings.add(identity, case, response.status_code, group)

    return check


def _examples(
    strategy: st.SearchStrategy[AnyCase], max_examples: int, check: Callable[[AnyCase], None]
) -> None:
    """Up to ``max_examples`` cases, the same ones every run; failures are collected by
    ``check``, so nothing is shrunk."""

    @settings(
        max_examples=max_examples,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def examples(case: AnyCase) -> None:
        check(case)

    with contextlib.suppress(Unsatisfiable):  # e.g. an operation with no negative form
        examples()


async def stalled_views(http: httpx.AsyncClient, wait: float = 5.0) -> list[str]:
    """The projections still behind the log after ``wait`` seconds (from /health)."""
    deadline = time.monotonic() + wait
    while True:
        projections = (await http.get("/health")).json()["projections"]
        behind = [
            f"{p['name']} ({p['behind_events']} behind)" for p in projections if p["behind_events"]
        ]
        if not behind or time.monotonic() > deadline:
            return behind
        await asyncio.sleep(0.1)


async def test_every_operation_answers_as_its_openapi_schema_says(server: str) -> None:
    async with httpx.AsyncClient(base_url=server) as http:
        admin = ApiClient(http, ADMIN_TOKEN)
        real = await seed(admin)
        reader = await token_for(admin, "btg-hai-phong", "reader")
        identities = [
            Identity("admin", ADMIN_TOKEN, 20, (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)),
            Identity("reader", reader.token, 6),
            Identity("anonymous", None, 2),
        ]

        findings = await asyncio.to_thread(fuzz, server, identities, real)
        stalled = await stalled_views(http)

    assert findings.requests > 1000
    problems = [
        *([f"views stopped following the log: {', '.join(stalled)}"] if stalled else []),
        *([report(findings.failures)] if findings.failures else []),
    ]
    assert not problems, "\n\n".join(problems)


class TestRefusedText:
    """Text PostgreSQL cannot store must be refused at the door, not stored in the log."""

    @pytest.fixture
    def runners(self) -> list[ProjectionRunner]:
        """No projections: were NUL stored, the first view copying it would stop."""
        return []

    async def test_a_nul_character_in_text_is_refused_and_nothing_is_stored(
        self, admin: ApiClient, store: PostgresEventStore
    ) -> None:
        response = await admin.post(
            "/api/v1/organizations", unit("btg-tw", "central", None, name="Ban\u0000Tuyên giáo")
        )

        assert response.status_code == 400, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert await store.last_position() == 0
