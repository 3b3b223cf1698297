"""Importing issues a real document on PostgreSQL: the draft is matched against the
organisation tree and the document index (read models), then issued through the
command handler; the tasks, their assignments and the parent's fulfilled assignment are
checked in the store, and a draft that cannot be issued writes nothing."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import asyncpg
import msgspec
import pytest

from adapters.store.event_store import PostgresEventStore
from adapters.store.projection_runner import ProjectionRunner
from adapters.store.repository import AggregateRepository
from adapters.store.wakeup import LogWakeup
from application.commands import RegisterOrganisation, TaskInput
from application.organisations import register_organisation
from domain.assignment import Assignment
from domain.calendar import Recurrence
from domain.document import Document
from domain.organisation import Kind, Level
from domain.task import ReviewKind, TaskKind
from importing import ImportRefused, extract, issue, read_text, resolve, to_command
from projections.cascade import DocumentIndex
from projections.organisation_tree import OrganisationTree
from tests.integration.cascade import Cascade, as_admin, as_unit

SAMPLES = Path(__file__).resolve().parents[1] / "import_samples"
PROVINCE = "province-57-HD-BTGTU-2025.txt"
SINCE = date(2020, 1, 1)
TREE = [  # slug, name, level, kind, parent, issuer code
    (
        "btg-tw",
        "Ban Tuyên giáo Trung ương",
        Level.CENTRAL,
        Kind.PROPAGANDA_COMMISSION,
        None,
        "BTGTW",
    ),
    (
        "btg-quang-ngai",
        "Ban Tuyên giáo Tỉnh ủy Quảng Ngãi",
        Level.PROVINCE,
        Kind.PROPAGANDA_COMMISSION,
        "btg-tw",
        "BTGTU",
    ),
    (
        "btg-gia-lai",
        "Ban Tuyên giáo Tỉnh ủy Gia Lai",
        Level.PROVINCE,
        Kind.PROPAGANDA_COMMISSION,
        "btg-tw",
        "BTGTU",
    ),
    (
        "huyen-uy-son-tinh",
        "Huyện ủy Sơn Tịnh",
        Level.DISTRICT,
        Kind.PARTY_COMMITTEE,
        "btg-quang-ngai",
        "HU",
    ),
    (
        "huyen-uy-ba-to",
        "Huyện ủy Ba Tơ",
        Level.DISTRICT,
        Kind.PARTY_COMMITTEE,
        "btg-quang-ngai",
        "HU",
    ),
    (
        "btg-son-tinh",
        "Ban Tuyên giáo Huyện ủy Sơn Tịnh",
        Level.DISTRICT,
        Kind.PROPAGANDA_COMMISSION,
        "btg-quang-ngai",
        "BTGHU",
    ),
    (
        "so-gd-quang-ngai",
        "Sở Giáo dục và Đào tạo Quảng Ngãi",
        Level.PROVINCE,
        Kind.STATE_AGENCY,
        "btg-quang-ngai",
        None,
    ),
]


async def build(store: PostgresEventStore, pool: asyncpg.Pool[Any]) -> Cascade:
    cascade = Cascade(AggregateRepository(store), pool)
    for slug, name, level, kind, parent, code in TREE:
        await register_organisation(
            RegisterOrganisation(
                id=slug,
                name=name,
                level=level,
                kind=kind,
                parent_id=parent,
                issuer_code=code,
                effective_on=SINCE,
            ),
            as_admin(SINCE),
            cascade.aggregates,
        )
    return cascade


async def catch_up(store: PostgresEventStore, wakeup: LogWakeup, url: str) -> None:
    for projection in (OrganisationTree(), DocumentIndex()):
        await ProjectionRunner(projection, store, wakeup, url).catch_up()


async def test_a_sample_guidance_is_issued_with_its_tasks_and_fulfils_its_parent(
    store: PostgresEventStore, pool: asyncpg.Pool[Any], wakeup: LogWakeup, database_url: str
) -> None:
    cascade = await build(store, pool)
    central = await cascade.issue(
        "btg-tw",
        "140-HD/BTGTW",
        date(2024, 12, 20),
        TaskInput(
            kind=TaskKind.IMPLEMENTING_DOCUMENT,
            title="Ban hành hướng dẫn năm 2025",
            due_on=date(2025, 1, 31),
            assignee_kinds=(Kind.PROPAGANDA_COMMISSION,),
        ),
        plan_year=2025,
    )
    await catch_up(store, wakeup, database_url)
    draft = extract(read_text(PROVINCE, (SAMPLES / PROVINCE).read_bytes()))

    async with pool.acquire() as connection:
        resolution = await resolve(connection, draft)
    assert resolution.issuer and resolution.issuer.id == "btg-quang-ngai"  # not Gia Lai
    assert resolution.parent and resolution.parent.id == central.id
    assert resolution.recipients[0] == "btg-tw"  # "Ban Tuyên giáo Trung ương (b/c)"
    assert resolution.problems == []

    issued = await issue(
        draft, resolution, as_unit("btg-quang-ngai", date(2025, 1, 9)), cascade.aggregates
    )

    assert issued.number == "57-HD/BTGTU"
    reached = {task.title: sorted(a.assignee_id for a in task.assignments) for task in issued.tasks}
    assert reached["Sơ kết 05 năm Nghị quyết số 52-NQ/TW"] == [
        "btg-son-tinh",
        "huyen-uy-ba-to",
        "huyen-uy-son-tinh",
    ]  # named nobody: the commissions and committees below, not the state agency
    assert reached["Tổ chức hội nghị, tập huấn"] == ["btg-son-tinh"]
    quarterly = next(t for t in issued.tasks if t.kind == TaskKind.PERIODIC_REPORT)
    assert sorted({(a.period, a.due_on) for a in quarterly.assignments}) == [
        ("2025-Q1", date(2025, 3, 15)),
        ("2025-Q2", date(2025, 6, 15)),
        ("2025-Q3", date(2025, 9, 15)),
        ("2025-Q4", date(2025, 12, 15)),
    ]  # "trước ngày 15 của tháng cuối quý", for each of the three units
    assert len(quarterly.assignments) == 12
    review = await cascade.aggregates.get(
        Assignment,
        next(t for t in issued.tasks if t.title.startswith("Sơ kết")).assignments[0].id,
    )
    assert review.due_on == date(2025, 9, 30)  # "(hoàn thành trong tháng 9/2025)"
    document = await cascade.aggregates.get(Document, issued.id)
    assert document.implements == central.id
    assert document.place == "Quảng Ngãi" and document.signer == "Đinh Thị Thu Hà"
    assert ("52-NQ/TW" in document.references) and ("140-HD/BTGTW" not in document.references)
    assert [r.organisation for r in document.recipients][:1] == ["btg-tw"]
    review_task = next(t for t in document.tasks if t.kind is TaskKind.REVIEW)
    assert review_task.review and review_task.review.kind is ReviewKind.SO_KET
    # the province's assignment to issue its own guidance under 140-HD/BTGTW is fulfilled
    assert len(issued.fulfilled) == 1
    fulfilled = await cascade.aggregates.get(Assignment, issued.fulfilled[0])
    assert fulfilled.assignee == "btg-quang-ngai"


async def test_without_its_parent_in_the_system_the_import_says_so_and_still_issues(
    store: PostgresEventStore, pool: asyncpg.Pool[Any], wakeup: LogWakeup, database_url: str
) -> None:
    cascade = await build(store, pool)
    await catch_up(store, wakeup, database_url)
    draft = extract(read_text(PROVINCE, (SAMPLES / PROVINCE).read_bytes()))
    async with pool.acquire() as connection:
        resolution = await resolve(connection, draft)
    assert [p.code for p in resolution.problems] == ["parent_not_found"]
    command = to_command(draft, resolution)
    assert command.implements is None and command.plan_year == 2025
    issued = await issue(
        draft, resolution, as_unit("btg-quang-ngai", date(2025, 1, 9)), cascade.aggregates
    )
    assert issued.fulfilled == [] and len(issued.tasks) == 7


async def test_a_draft_that_cannot_be_issued_is_refused_and_writes_nothing(
    store: PostgresEventStore, pool: asyncpg.Pool[Any], wakeup: LogWakeup, database_url: str
) -> None:
    cascade = await build(store, pool)
    await catch_up(store, wakeup, database_url)
    before = await cascade.events()
    draft = extract(read_text(PROVINCE, (SAMPLES / PROVINCE).read_bytes()))
    nameless = msgspec.structs.replace(
        draft,
        document=msgspec.structs.replace(
            draft.document,
            issuer_code="BTGTU",
            issuer_name="Ban Tuyên giáo Tỉnh ủy",
            implements=None,
            number=None,
        ),
    )
    async with pool.acquire() as connection:
        resolution = await resolve(connection, nameless)
    assert [p.code for p in resolution.problems] == ["issuer_ambiguous"]
    assert "btg-gia-lai, btg-quang-ngai" in resolution.problems[0].message
    with pytest.raises(ImportRefused, match=r"a number .*a known issuer"):
        to_command(nameless, resolution)
    async with pool.acquire() as connection:
        named = await resolve(connection, nameless, issuer_id="btg-gia-lai")
    assert named.issuer and named.issuer.id == "btg-gia-lai"
    assert all(reached == [] for reached in named.assignees)  # Gia Lai has no units here
    assert {p.code for p in named.problems} == {"task_reaches_no_unit"}
    assert await cascade.events() == before


async def test_the_urban_district_seed_is_issued_below_its_city(
    store: PostgresEventStore,
    pool: asyncpg.Pool[Any],
    wakeup: LogWakeup,
    database_url: str,
    seeds_dir: Path,
) -> None:
    cascade = Cascade(AggregateRepository(store), pool)
    await cascade.build_tree()
    city = await cascade.issue("btg-hai-phong", "76-HD/BTGTU", date(2024, 1, 24), plan_year=2024)
    await catch_up(store, wakeup, database_url)
    name = "urban-district-25-HD-BTGQU-2024.txt"
    draft = extract(read_text(name, (seeds_dir / name).read_bytes()))
    async with pool.acquire() as connection:
        guessed = await resolve(connection, draft)
        resolution = await resolve(connection, draft, issuer_id="btg-ngo-quyen")
    assert [p.code for p in guessed.problems] == ["issuer_ambiguous"]  # two BTGQU below
    assert resolution.parent and resolution.parent.id == city.id
    issued = await issue(
        draft, resolution, as_unit("btg-ngo-quyen", date(2024, 2, 1)), cascade.aggregates
    )
    wards = ["phuong-lac-vien", "phuong-may-to"]
    reviews = [t for t in issued.tasks if t.kind == TaskKind.REVIEW]
    assert len(reviews) == 5
    assert all(sorted(a.assignee_id for a in t.assignments) == wards for t in reviews)
    reports = [t for t in issued.tasks if t.kind == TaskKind.PERIODIC_REPORT]
    periods = sorted(a.period for t in reports for a in t.assignments)
    assert periods == sorted([f"2024-Q{q}" for q in range(1, 5)] * 2 + ["2024"] * 2)
    state_only = [t for t in draft.tasks if t.assignee_hint == [Kind.STATE_AGENCY]]
    assert state_only and all(t.title not in {i.title for i in issued.tasks} for t in state_only)
    assert Recurrence.QUARTERLY in {t.recurrence for t in state_only}
