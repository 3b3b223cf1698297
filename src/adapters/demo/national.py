"""``khoagiao demo national``: a deterministic year of the khoa giáo cascade over the
national tree, through the real command handlers, into an empty log.

The story, all facts recorded by one admin token on the day they happen (the dates in
``timeline``; the tree and its merger in ``reorganisation``; the documents in
``guidance_cascade``; how each assignment plays out in ``reporting``):

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

import random
from collections import Counter
from collections.abc import Callable
from datetime import date, timedelta

import msgspec

from adapters.demo.agenda import Agenda, recorded_on
from adapters.demo.guidance import NQ57, YEAR
from adapters.demo.guidance_cascade import GuidanceCascade
from adapters.demo.inspections import Inspections
from adapters.demo.national_tree import NationalTree, national_tree
from adapters.demo.recorder import BatchedLog, DemoRefused, MemoryAggregates, require_empty_log
from adapters.demo.reorganisation import Reorganisation
from adapters.demo.reporting import Odds, Reporting
from adapters.demo.timeline import ENDS
from adapters.store.event_store import PostgresEventStore
from adapters.store.repository import AggregateRepository
from application.ports import Clock
from domain.assignment import Assignment
from domain.inspection_terms import InspectionKind
from domain.organisation import Kind, Level
from domain.permissions import Actor, Role

ACTOR = Actor("system", Role.ADMIN, "demo-national")


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
    tree = national_tree(rng, scale)
    aggregates = MemoryAggregates(log, repository)
    agenda = Agenda(ACTOR)
    cascade = GuidanceCascade(
        tree, agenda, aggregates, rng, Reporting(agenda, aggregates, rng, Odds())
    )
    inspections = Inspections(agenda, aggregates, rng)
    Reorganisation(tree, agenda, aggregates).plan()
    cascade.plan()
    plan_inspections(inspections, tree, rng, scope=(cascade.central_number, NQ57))
    month = [agenda.today or date.min]

    async def report_month() -> None:
        if agenda.today is not None and agenda.today.replace(day=1) != month[0]:
            if month[0] != date.min:
                progress(f"{month[0]:%m/%Y}: {log.events:,} events so far")
            month[0] = agenda.today.replace(day=1)

    await agenda.run(between_days=report_month)
    await log.flush()
    assignments = list(aggregates.held(Assignment))
    buckets = Counter(str(a.bucket(ENDS) or a.status) for a in assignments)
    districts = [d for p in tree.provinces for d in p.districts]
    return NationalTally(
        seed=seed,
        scale=scale,
        events=log.events,
        units=sum(1 for _ in tree.units()),
        provinces_before=len(tree.provinces),
        provinces_after=len(tree.provinces_after()),
        districts=sum(1 for d in districts if d.communes),
        communes_before=len(tree.communes),
        communes_after=sum(len(d.commune_groups) for d in districts),
        documents=cascade.documents,
        assignments=len(assignments),
        inspections=inspections.planned,
        as_of=ENDS,
        buckets=dict(sorted(buckets.items())),
    )


def plan_inspections(
    inspections: Inspections, tree: NationalTree, rng: random.Random, scope: tuple[str, ...]
) -> None:
    """The central commission inspects two provinces in spring and supervises two
    merged ones in autumn; each province inspects two districts before the merger and
    supervises two of its new communes after it; each district inspects one or two
    communes."""
    plan, central = inspections.plan, tree.central.slug
    provinces = [p.unit.slug for p in tree.provinces]
    survivors = [p.unit.slug for p in tree.provinces_after()]
    plan(central, Level.CENTRAL, rng.sample(provinces, 2), scope, date(YEAR, 4, 21))
    supervision = InspectionKind.SUPERVISION
    plan(
        central, Level.CENTRAL, rng.sample(survivors, 2), scope, date(YEAR, 9, 22), kind=supervision
    )
    for province in tree.provinces:
        districts = [d for d in province.districts if d.unit.kind is not Kind.BLOC_COMMITTEE]
        targets = [d.unit.slug for d in rng.sample(districts, min(2, len(districts)))]
        plan(province.unit.slug, Level.PROVINCE, targets, scope, _day(rng, 3, 10, 70))
        for district in districts:
            size = min(rng.randint(1, 2), len(district.communes))
            communes = [c.slug for c in rng.sample(district.communes, size)]
            plan(district.unit.slug, Level.DISTRICT, communes, scope, _day(rng, 3, 15, 95))
    for province in tree.provinces_after():
        communes = tree.communes_after(province)
        targets = rng.sample(communes, min(2, len(communes)))
        plan(
            province.unit.slug,
            Level.PROVINCE,
            targets,
            scope,
            _day(rng, 9, 1, 45),
            kind=supervision,
        )


def _day(rng: random.Random, month: int, day: int, spread: int) -> date:
    return date(YEAR, month, day) + timedelta(days=rng.randint(0, spread))
