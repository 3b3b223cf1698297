"""``khoagiao demo national``: a deterministic year of the khoa giáo cascade over the
national tree, through the real command handlers, into an empty log.

The story, all facts recorded by one admin token on the day they happen:

* 02/12/2024 the tree is entered (in force since 2020, so marked backdated).
* 20/12/2024 the central guidance for 2025: twenty tasks for the provinces and the
  national bodies. Each province implements it with its own guidance (a few late),
  each district and bloc committee with its own, each commune with its plan; every
  level's periodic reports, reviews, conferences and coordination follow (~5% late,
  ~3% never done), reviewed by the issuer.
* 01/02 and 01/03/2025 the propaganda and mass-mobilisation commissions merge: the
  central and provincial commissions are renamed and number their documents anew.
* 01/07/2025 the communes merge about three into one, the 63 provinces into 34, and the
  districts and bloc committees are abolished into their provinces; open obligations
  pass to the survivors, the central commission waives those it now receives twice, and
  the provinces send their new communes a guidance for the second half of the year.
* Inspections and supervisions all year; the central guidance amended in September.
* The year's reports are due in January 2026; the story ends on 15/02/2026.

Identical for a given seed and scale, except the ids the domain draws at random
(documents, tasks, assignments, submissions, events).
"""

from __future__ import annotations

import itertools
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta
from uuid import UUID

import msgspec

from adapters.demo.agenda import FIRST, Action, Agenda, recorded_on
from adapters.demo.guidance import (
    FIELDS,
    NQ57,
    YEAR,
    bloc_tasks,
    central_tasks,
    district_tasks,
    province_tasks,
    second_half_tasks,
)
from adapters.demo.inspections import Inspections
from adapters.demo.national_tree import NationalTree, Province, Unit, national_tree
from adapters.demo.recorder import BatchedLog, DemoRefused, MemoryAggregates, require_empty_log
from adapters.demo.reporting import Odds, Reporting
from adapters.store.event_store import PostgresEventStore
from adapters.store.repository import AggregateRepository
from application import assignments, documents, organisations
from application.commands import (
    AmendDocument,
    IssueDocument,
    MergeOrganisation,
    RegisterOrganisation,
    RenameOrganisation,
    TaskInput,
    WaiveAssignment,
)
from application.ports import Clock
from application.results import DocumentIssued
from domain.assignment import Assignment
from domain.inspection_terms import InspectionKind
from domain.organisation import Kind, Level, Organisation, organisation_id
from domain.permissions import Actor, Role

ESTABLISHED = date(2020, 1, 1)
ENTERED = date(2024, 12, 2)
CENTRAL_ISSUES = date(2024, 12, 20)
PROVINCES_LATEST, DISTRICTS_LATEST = date(2025, 2, 10), date(2025, 3, 5)
"""A late province still leaves its districts time; a district issues before its
communes' first quarterly report falls due (10/03)."""
CENTRAL_RENAMED, PROVINCES_RENAMED = date(2025, 2, 1), date(2025, 3, 1)
MERGER = date(2025, 7, 1)
AMENDED = date(2025, 9, 15)
ENDS = date(2026, 2, 15)
ACTOR = Actor("system", Role.ADMIN, "demo-national")
ODDS = Odds()


class NationalTally(msgspec.Struct, frozen=True, kw_only=True):
    """What was generated, counted by the generator itself (buckets as of ``as_of``)."""

    seed: int
    scale: float
    events: int
    units: int
    provinces_before: int
    provinces_after: int
    districts: int
    communes_before: int
    communes_after: int
    documents: int
    assignments: int
    inspections: int
    as_of: date
    buckets: dict[str, int]
    """done_on_time, done_late, open_in_time, open_overdue; waived and cancelled apart."""

    def share(self, bucket: str) -> float:
        counted = sum(v for k, v in self.buckets.items() if k.startswith(("done", "open")))
        return self.buckets.get(bucket, 0) / counted if counted else 0.0


async def generate_national(
    store: PostgresEventStore,
    *,
    seed: int,
    scale: float,
    clock: Clock,
    progress: Callable[[str], None] = lambda _: None,
) -> NationalTally:
    """The national year into the (empty) log of ``store``; the clock only guards
    against recording a year that has not ended yet."""
    if clock.now() < recorded_on(ENDS):
        raise DemoRefused(f"the demo year ends on {ENDS.isoformat()}, after today")
    await require_empty_log(store, "demo national")
    log = BatchedLog(store.append)
    return await record_national_year(
        log, AggregateRepository(store), seed=seed, scale=scale, progress=progress
    )


async def record_national_year(
    log: BatchedLog,
    repository: AggregateRepository,
    *,
    seed: int,
    scale: float,
    progress: Callable[[str], None] = lambda _: None,
) -> NationalTally:
    """Run the year through the handlers on aggregates in memory, writing to ``log``
    (``repository`` only turns their events into appends)."""
    rng = random.Random(seed)
    year = NationalYear(national_tree(rng, scale), rng, MemoryAggregates(log, repository))
    year.plan()
    month = [ENTERED.replace(day=1)]

    async def report_month() -> None:
        today = year.agenda.today
        if today is not None and today.replace(day=1) != month[0]:
            progress(f"{month[0]:%m/%Y}: {log.events:,} events so far")
            month[0] = today.replace(day=1)

    await year.agenda.run(between_days=report_month)
    await log.flush()
    return year.tally(seed=seed, scale=scale, events=log.events)


class NationalYear:
    def __init__(
        self, tree: NationalTree, rng: random.Random, aggregates: MemoryAggregates
    ) -> None:
        self.tree = tree
        self.rng = rng
        self.aggregates = aggregates
        self.agenda = Agenda(ACTOR)
        self.reporting = Reporting(self.agenda, aggregates, rng, ODDS)
        self.inspections = Inspections(self.agenda, aggregates, rng)
        self.provinces = {p.unit.slug: p for p in tree.provinces}
        self.districts = {d.unit.slug: d for p in tree.provinces for d in p.districts}
        self.survivor = {p.unit.slug: g[0] for g in tree.merger_groups for p in g}
        self.numbers: dict[str, int] = {}
        self.central_guidance: UUID | None = None
        self.central_number = f"{rng.randint(150, 199)}-HD/BTGTW"
        self.transferred: list[UUID] = []
        self.documents = 0

    def plan(self) -> None:
        at = self.agenda.at
        at(ENTERED, self.register_tree)
        at(CENTRAL_ISSUES, self.issue_central_guidance)
        at(CENTRAL_RENAMED, self.rename_central)
        at(PROVINCES_RENAMED, self.rename_provinces)
        at(MERGER, self.merge, priority=FIRST)
        at(MERGER + timedelta(days=9), self.waive_transferred)
        for province in self.after_merger():
            at(MERGER + timedelta(days=self.rng.randint(14, 40)), self.second_half(province))
        at(AMENDED, self.amend_central_guidance)
        self.plan_inspections()

    def after_merger(self) -> list[Province]:
        return [p for p in self.tree.provinces if self.survivor.get(p.unit.slug, p) is p]

    # -- the tree -------------------------------------------------------------------
    async def register_tree(self, day: date) -> None:
        """Depth by depth, taking the parents in turn, so that consecutive registrations
        touch different parents and go to the log together."""
        depth: dict[str | None, int] = {None: 0}
        by_depth: dict[int, dict[str | None, list[Unit]]] = {}
        for unit in self.tree.units():
            depth[unit.slug] = depth[unit.parent] + 1
            by_depth.setdefault(depth[unit.slug], {}).setdefault(unit.parent, []).append(unit)
        for _, siblings in sorted(by_depth.items()):
            for row in itertools.zip_longest(*siblings.values()):
                for unit in row:
                    if unit is not None:
                        await self.register(unit, day)

    async def register(self, unit: Unit, day: date) -> None:
        command = RegisterOrganisation(
            id=unit.slug,
            name=unit.name,
            level=unit.level,
            kind=unit.kind,
            parent_id=unit.parent,
            issuer_code=unit.issuer_code,
            effective_on=ESTABLISHED,
        )
        await organisations.register_organisation(
            command, self.agenda.context(day), self.aggregates
        )

    async def rename_central(self, day: date) -> None:
        await self.rename(
            self.tree.central.slug, "Ban Tuyên giáo và Dân vận Trung ương", "BTGDVTW", day
        )

    async def rename_provinces(self, day: date) -> None:
        for province in self.tree.provinces:
            place = province.place
            name = f"Ban Tuyên giáo và Dân vận {place.committee} {place.name}"
            await self.rename(province.unit.slug, name, "BTGDVTU", day)

    async def rename(self, slug: str, name: str, code: str, day: date) -> None:
        command = RenameOrganisation(id=slug, name=name, issuer_code=code, effective_on=day)
        await organisations.rename_organisation(command, self.agenda.context(day), self.aggregates)

    async def merge(self, day: date) -> None:
        """Communes into communes, provinces into provinces, then the district level
        into the provinces; consecutive mergers touch different parents."""
        communes = [
            [(merged, group[0]) for group in d.commune_groups for merged in group[1:]]
            for d in self.districts.values()
        ]
        for merged, survivor in _interleaved(communes):
            await self.merge_unit(merged, survivor, day)
        for group in self.tree.merger_groups:
            for province in group[1:]:
                await self.merge_unit(province.unit.slug, group[0].unit.slug, day)
                self.transferred += await self.received_from(province, group[0])
        districts = [
            [(d.unit.slug, self.survivor.get(p.unit.slug, p).unit.slug) for d in p.districts]
            for p in self.tree.provinces
        ]
        for merged, survivor in _interleaved(districts):
            await self.merge_unit(merged, survivor, day)

    async def merge_unit(self, slug: str, into: str, day: date) -> None:
        command = MergeOrganisation(id=slug, into_id=into, effective_on=day)
        await organisations.merge_organisation(command, self.agenda.context(day), self.aggregates)

    async def received_from(self, merged: Province, survivor: Province) -> list[UUID]:
        """The central commission's open assignments the survivor took over."""
        unit = await self.aggregates.get(Organisation, organisation_id(merged.unit.slug))
        taken = []
        for assignment_id in unit.assignment_ids:
            assignment = await self.aggregates.get(Assignment, assignment_id)
            if assignment.status.open and assignment.assignee == survivor.unit.slug:
                taken.append(assignment_id)
        return taken

    async def waive_transferred(self, day: date) -> None:
        """The merged province's reports are now part of the survivor's own."""
        for assignment_id in self.transferred:
            if not (await self.aggregates.get(Assignment, assignment_id)).status.open:
                continue  # accepted meanwhile
            command = WaiveAssignment(
                assignment_id=assignment_id,
                reason="Tổng hợp chung trong báo cáo của tỉnh sau hợp nhất",
                effective_on=day,
            )
            await assignments.waive_assignment(command, self.agenda.context(day), self.aggregates)

    # -- the guidance cascade -------------------------------------------------------------
    async def issue(
        self,
        day: date,
        issuer: str,
        document_type: str,
        title: str,
        tasks: tuple[TaskInput, ...],
        implements: UUID | None,
    ) -> DocumentIssued:
        unit = await self.aggregates.get(Organisation, organisation_id(issuer))
        number = self.numbers.get(issuer, self.rng.randint(5, 160)) + self.rng.randint(1, 40)
        self.numbers[issuer] = number
        command = IssueDocument(
            number=f"{number}-{document_type}/{unit.issuer_code_on(day)}",
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
        command = IssueDocument(
            number=self.central_number,
            title="Hướng dẫn công tác khoa giáo năm 2025",
            issuer_id=self.tree.central.slug,
            place="Hà Nội",
            plan_year=YEAR,
            fields=FIELDS,
            tasks=central_tasks(),
            effective_on=day,
        )
        issued = await documents.issue_document(command, self.agenda.context(day), self.aggregates)
        self.documents += 1
        self.central_guidance = issued.id
        self.reporting.follow(
            issued,
            day,
            self.province_guidance,
            latest=PROVINCES_LATEST,
            implementing=replace(ODDS, never=0.0),
        )

    def province_guidance(self, slug: str, parent: UUID) -> Action:
        province = self.provinces[slug]
        ubnd, education, health, science = (a.slug for a in province.agencies[:4])

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
        district = self.districts[slug]
        others = [u.slug for u in district.others]
        bloc = district.unit.kind is Kind.BLOC_COMMITTEE

        async def act(day: date) -> None:
            issued = await self.issue(
                day,
                slug,
                "KH" if bloc else "HD",
                ("Kế hoạch" if bloc else "Hướng dẫn") + " thực hiện công tác khoa giáo năm 2025",
                bloc_tasks(others)
                if bloc
                else district_tasks([c.slug for c in district.communes], others),
                parent,
            )
            self.reporting.follow(issued, day, self.commune_plan)

        return act

    def commune_plan(self, slug: str, parent: UUID) -> Action:
        async def act(day: date) -> None:
            title = "Kế hoạch thực hiện công tác khoa giáo năm 2025"
            await self.issue(day, slug, "KH", title, (), parent)

        return act

    def communes_after(self, province: Province) -> list[str]:
        """The communes below a province after the merger: the survivors of the communes
        of every province merged into it."""
        return [
            group[0]
            for p in self.tree.provinces
            if self.survivor.get(p.unit.slug, p) is province
            for d in p.districts
            for group in d.commune_groups
        ]

    def second_half(self, province: Province) -> Action:
        communes = self.communes_after(province)

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

    # -- inspections ----------------------------------------------------------------------
    def plan_inspections(self) -> None:
        rng, plan = self.rng, self.inspections.plan
        scope = (self.central_number, NQ57)
        central = self.tree.central.slug
        provinces = [p.unit.slug for p in self.tree.provinces]
        survivors = [p.unit.slug for p in self.after_merger()]
        plan(central, Level.CENTRAL, rng.sample(provinces, 2), scope, date(2025, 4, 21))
        plan(
            central,
            Level.CENTRAL,
            rng.sample(survivors, 2),
            scope,
            date(2025, 9, 22),
            kind=InspectionKind.SUPERVISION,
        )
        for province in self.tree.provinces:
            districts = [d for d in province.districts if d.unit.kind is not Kind.BLOC_COMMITTEE]
            targets = [d.unit.slug for d in rng.sample(districts, min(2, len(districts)))]
            plan(province.unit.slug, Level.PROVINCE, targets, scope, _day(rng, 3, 10, 70))
            for district in districts:
                chosen = rng.sample(
                    district.communes, min(rng.randint(1, 2), len(district.communes))
                )
                plan(
                    district.unit.slug,
                    Level.DISTRICT,
                    [c.slug for c in chosen],
                    scope,
                    _day(rng, 3, 15, 95),
                )
        for province in self.after_merger():
            communes = self.communes_after(province)
            plan(
                province.unit.slug,
                Level.PROVINCE,
                rng.sample(communes, min(2, len(communes))),
                scope,
                _day(rng, 9, 1, 45),
                kind=InspectionKind.SUPERVISION,
            )

    # -- the count --------------------------------------------------------------------------
    def tally(self, *, seed: int, scale: float, events: int) -> NationalTally:
        held = list(self.aggregates.held(Assignment))
        buckets = Counter(str(a.bucket(ENDS) or a.status) for a in held)
        communes = self.tree.communes
        return NationalTally(
            seed=seed,
            scale=scale,
            events=events,
            units=sum(1 for _ in self.tree.units()),
            provinces_before=len(self.tree.provinces),
            provinces_after=len(self.after_merger()),
            districts=sum(1 for d in self.districts.values() if d.communes),
            communes_before=len(communes),
            communes_after=sum(len(d.commune_groups) for d in self.districts.values()),
            documents=self.documents,
            assignments=len(held),
            inspections=self.inspections.planned,
            as_of=ENDS,
            buckets=dict(sorted(buckets.items())),
        )


def _interleaved(rows: list[list[tuple[str, str]]]) -> list[tuple[str, str]]:
    """The first of every row, then the second of every row, ..."""
    return [pair for column in itertools.zip_longest(*rows) for pair in column if pair]


def _day(rng: random.Random, month: int, day: int, spread: int) -> date:
    return date(YEAR, month, day) + timedelta(days=rng.randint(0, spread))
