"""The guidance cascading down: the central guidance for 2025, each province's
implementing it, each district's and bloc committee's implementing theirs, each
commune's plan; after the merger, each province's guidance for the second half; the
central guidance amended in September.

Each document is issued through the real handler, which assigns its tasks and fulfils
its issuer's implementing assignment of the parent; ``Reporting`` then plans how every
assignment plays out, including when (and whether) each assignee issues its own.
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date, timedelta
from uuid import UUID

from adapters.demo.agenda import Action, Agenda
from adapters.demo.guidance import (
    FIELDS,
    YEAR,
    bloc_tasks,
    central_tasks,
    district_tasks,
    province_tasks,
    second_half_tasks,
)
from adapters.demo.national_tree import NationalTree, Province
from adapters.demo.recorder import MemoryAggregates
from adapters.demo.reporting import Reporting
from adapters.demo.timeline import (
    AMENDED,
    CENTRAL_ISSUES,
    DISTRICTS_LATEST,
    MERGER,
    PROVINCES_LATEST,
)
from application import documents
from application.commands import AmendDocument, IssueDocument, TaskInput
from application.results import DocumentIssued
from domain.organisation import Kind, Organisation, organisation_id


class GuidanceCascade:
    def __init__(
        self,
        tree: NationalTree,
        agenda: Agenda,
        aggregates: MemoryAggregates,
        rng: random.Random,
        reporting: Reporting,
    ) -> None:
        self.tree = tree
        self.agenda = agenda
        self.aggregates = aggregates
        self.rng = rng
        self.reporting = reporting
        self.provinces = {p.unit.slug: p for p in tree.provinces}
        self.districts = {d.unit.slug: d for p in tree.provinces for d in p.districts}
        self.central_number = f"{rng.randint(150, 199)}-HD/BTGTW"
        self.central_guidance: UUID | None = None
        self.numbers: dict[str, int] = {}
        self.documents = 0

    def plan(self) -> None:
        self.agenda.at(CENTRAL_ISSUES, self.issue_central_guidance)
        for province in self.tree.provinces_after():
            self.agenda.at(
                MERGER + timedelta(days=self.rng.randint(14, 40)), self.second_half(province)
            )
        self.agenda.at(AMENDED, self.amend_central_guidance)

    async def issue(
        self,
        day: date,
        issuer: str,
        document_type: str,
        title: str,
        tasks: tuple[TaskInput, ...],
        implements: UUID | None,
        number: str | None = None,
    ) -> DocumentIssued:
        """Number it after the issuer's last document (or from a random start)."""
        if number is None:
            unit = await self.aggregates.get(Organisation, organisation_id(issuer))
            sequence = self.numbers.get(issuer, self.rng.randint(5, 160)) + self.rng.randint(1, 40)
            self.numbers[issuer] = sequence
            number = f"{sequence}-{document_type}/{unit.issuer_code_on(day)}"
        command = IssueDocument(
            number=number,
            title=title,
            issuer_id=issuer,
            plan_year=YEAR,
            fields=FIELDS,
            implements=implements,
            tasks=tasks,
            effective_on=day,
        )
        issued = await documents.issue_document(command, self.agenda.context(day), self.aggregates)
        self.documents += 1
        return issued

    async def issue_central_guidance(self, day: date) -> None:
        issued = await self.issue(
            day,
            self.tree.central.slug,
            "HD",
            "Hướng dẫn công tác khoa giáo năm 2025",
            central_tasks(),
            None,
            self.central_number,
        )
        self.central_guidance = issued.id
        self.reporting.follow(
            issued,
            day,
            self.province_guidance,
            latest=PROVINCES_LATEST,
            implementing=replace(self.reporting.odds, never=0.0),
        )

    def province_guidance(self, slug: str, parent: UUID) -> Action:
        ubnd, education, health, science = (a.slug for a in self.provinces[slug].agencies[:4])

        async def act(day: date) -> None:
            issued = await self.issue(
                day,
                slug,
                "HD",
                "Hướng dẫn thực hiện công tác khoa giáo năm 2025",
                province_tasks((ubnd, education, health, science)),
                parent,
            )
            self.reporting.follow(issued, day, self.district_guidance, latest=DISTRICTS_LATEST)

        return act

    def district_guidance(self, slug: str, parent: UUID) -> Action:
        """A district's guidance; a bloc committee's plan."""
        district = self.districts[slug]
        others = [u.slug for u in district.others]
        if district.unit.kind is Kind.BLOC_COMMITTEE:
            document_type, kind, tasks = "KH", "Kế hoạch", bloc_tasks(others)
        else:
            communes = [c.slug for c in district.communes]
            document_type, kind, tasks = "HD", "Hướng dẫn", district_tasks(communes, others)
        title = f"{kind} thực hiện công tác khoa giáo năm 2025"

        async def act(day: date) -> None:
            issued = await self.issue(day, slug, document_type, title, tasks, parent)
            self.reporting.follow(issued, day, self.commune_plan)

        return act

    def commune_plan(self, slug: str, parent: UUID) -> Action:
        async def act(day: date) -> None:
            title = "Kế hoạch thực hiện công tác khoa giáo năm 2025"
            await self.issue(day, slug, "KH", title, (), parent)

        return act

    def second_half(self, province: Province) -> Action:
        communes = self.tree.communes_after(province)

        async def act(day: date) -> None:
            issued = await self.issue(
                day,
                province.unit.slug,
                "HD",
                "Hướng dẫn nhiệm vụ công tác khoa giáo 06 tháng cuối năm 2025",
                second_half_tasks(communes),
                self.central_guidance,
            )
            self.reporting.follow(issued, day, None)

        return act

    async def amend_central_guidance(self, day: date) -> None:
        assert self.central_guidance is not None
        command = AmendDocument(
            document_id=self.central_guidance,
            summary="Bổ sung nhiệm vụ quán triệt Nghị quyết 71-NQ/TW và Nghị quyết 72-NQ/TW",
            reason="Bộ Chính trị ban hành Nghị quyết 71-NQ/TW (22/8/2025) về giáo dục và đào "
            "tạo và Nghị quyết 72-NQ/TW (09/9/2025) về bảo vệ sức khỏe nhân dân",
            effective_on=day,
        )
        await documents.amend_document(command, self.agenda.context(day), self.aggregates)
