"""A small real-shaped tree and helpers to drive the command handlers against it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import asyncpg

from adapters.store.repository import AggregateRepository
from application.commands import IssueDocument, RegisterOrganisation, TaskInput
from application.documents import issue_document
from application.organisations import register_organisation
from application.ports import CommandContext
from application.results import DocumentIssued
from domain.organisation import Kind, Level
from domain.permissions import Actor, Role
from domain.task import TaskKind


def at(day: date, hour: int = 9) -> datetime:
    return datetime(day.year, day.month, day.day, hour - 7, tzinfo=UTC)  # 'hour' Vietnam time


def as_unit(unit: str, day: date, role: Role = Role.OFFICER) -> CommandContext:
    return CommandContext(Actor(unit, role, f"token-{unit}"), at(day))


def as_admin(day: date) -> CommandContext:
    return CommandContext(Actor("system", Role.ADMIN, "admin-token"), at(day))


TREE = [
    # id, name, level, kind, parent, issuer code
    (
        "btg-tw",
        "Ban Tuyên giáo Trung ương",
        Level.CENTRAL,
        Kind.PROPAGANDA_COMMISSION,
        None,
        "BTGTW",
    ),
    (
        "btg-hai-phong",
        "Ban Tuyên giáo Thành ủy Hải Phòng",
        Level.PROVINCE,
        Kind.PROPAGANDA_COMMISSION,
        "btg-tw",
        "BTGTU",
    ),
    (
        "btg-binh-dinh",
        "Ban Tuyên giáo Tỉnh ủy Bình Định",
        Level.PROVINCE,
        Kind.PROPAGANDA_COMMISSION,
        "btg-tw",
        "BTGTU",
    ),
    (
        "btg-ngo-quyen",
        "Ban Tuyên giáo Quận ủy Ngô Quyền",
        Level.DISTRICT,
        Kind.PROPAGANDA_COMMISSION,
        "btg-hai-phong",
        "BTGQU",
    ),
    (
        "btg-le-chan",
        "Ban Tuyên giáo Quận ủy Lê Chân",
        Level.DISTRICT,
        Kind.PROPAGANDA_COMMISSION,
        "btg-hai-phong",
        "BTGQU",
    ),
    (
        "so-y-te-hai-phong",
        "Sở Y tế Hải Phòng",
        Level.PROVINCE,
        Kind.STATE_AGENCY,
        "btg-hai-phong",
        None,
    ),
    (
        "phuong-may-to",
        "Đảng ủy phường Máy Tơ",
        Level.GRASSROOTS,
        Kind.GRASSROOTS_PARTY,
        "btg-ngo-quyen",
        None,
    ),
    (
        "phuong-lac-vien",
        "Đảng ủy phường Lạc Viên",
        Level.GRASSROOTS,
        Kind.GRASSROOTS_PARTY,
        "btg-ngo-quyen",
        None,
    ),
]
SINCE = date(2020, 1, 1)


@dataclass
class Cascade:
    aggregates: AggregateRepository
    pool: asyncpg.Pool[Any]
    documents: dict[str, DocumentIssued] = field(default_factory=dict)

    async def build_tree(self) -> None:
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
                self.aggregates,
            )

    async def events(self) -> int:
        return int(await self.pool.fetchval("SELECT count(*) FROM events"))

    async def issue(
        self, issuer: str, number: str, day: date, *tasks: TaskInput, **fields: Any
    ) -> DocumentIssued:
        issued = await issue_document(
            IssueDocument(
                number=number,
                title=fields.pop("title", f"Hướng dẫn {number}"),
                issuer_id=issuer,
                effective_on=day,
                tasks=tasks,
                **fields,
            ),
            as_unit(issuer, day),
            self.aggregates,
        )
        self.documents[number] = issued
        return issued


def report_task(*assignees: str, due: date, kind: TaskKind = TaskKind.PERIODIC_REPORT) -> TaskInput:
    return TaskInput(kind=kind, title="Báo cáo kết quả", due_on=due, assignee_ids=assignees)
