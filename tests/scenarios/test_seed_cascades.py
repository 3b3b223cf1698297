"""The real cascades of ../shared/seeds, replayed through the real handlers on PostgreSQL.

128-HD/BTGTW (22/12/2023) → 76-HD/BTGTU (Hải Phòng, 24/01/2024) → 25-HD/BTGQU (30/01/2024),
and → 102-HD/BTGTU (05/01/2024) → the town guidance (Ban Thường vụ Thị ủy); their periodic
reports and dated reviews; the abolition of the district level on 01/07/2025; and who owes
what on given dates. Each step runs on its own day's clock and is checked at once.

The facts (numbers, dates, units, tasks, deadlines) are data in ``adapters.demo.seed_facts``,
shared with ``khoagiao demo seeds``, and checked against the seed text before the replay.
Who submits when, and what the issuers accept or return, is the scenario's own.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Awaitable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID

import asyncpg
import pytest

from adapters.demo.seed_facts import (
    CENTRAL,
    DISTRICT,
    DUE_128,
    G25,
    G76,
    G85,
    G102,
    G128,
    GTOWN,
    H1,
    H1_DUE,
    KH_P1,
    PLAN,
    Q1,
    Q2,
    Q3,
    Q4,
    QUARTER_DAY,
    QUARTERLY,
    QUARTERS,
    SINCE,
    SK05_52,
    TK10_31,
    TK15_38,
    TOWN,
    TREE,
    WARD_PLAN,
    YEAR,
    Doc,
    dated,
)
from adapters.store.event_store import PostgresEventStore
from adapters.store.repository import AggregateRepository
from application import assignments as handle
from application.commands import (
    AcceptSubmission,
    MergeOrganisation,
    RegisterOrganisation,
    ReturnSubmission,
    SubmitReport,
)
from application.organisations import merge_organisation, register_organisation
from domain.assignment import Assignment, Bucket, Status
from domain.document import Document
from domain.errors import DomainError
from domain.organisation import Organisation, organisation_id
from domain.permissions import Role
from tests.integration.cascade import Cascade, as_admin, as_unit

OVERDUE = " (quá hạn)"


def check_the_seeds_say_so(seeds: Path) -> None:
    def text(name: str) -> str:
        return (seeds / name).read_text(encoding="utf-8")

    for doc in (G128, G85, G102, G76, G25):  # each number printed with its date
        assert doc.seed is not None
        spelled = f"{doc.day:%d/%m/%Y}|{doc.day:%d} tháng {doc.day:%m} năm {doc.day.year}"
        assert re.search(rf"{doc.number}[^0-9]{{0,40}}?({spelled})", text(doc.seed)), doc
    central, district, town = text(CENTRAL), text(DISTRICT), text(TOWN)
    assert "Ban Tuyên giáo Trung ương" in central and "III." not in central  # no deadlines
    assert "Thành ủy Hải Phòng" in district and "(hàng quý, tổng kết năm)" in district
    assert "hàng quý gửi báo cáo" in district
    assert f"(trước ngày {QUARTER_DAY} của tháng cuối quý)" in district
    assert re.search(rf"{TK15_38.phrase}.{{0,80}}?{TK15_38.resolution}", district, re.S)
    assert "Định kỳ 06 tháng, 01 năm" in town and "T/M BAN THƯỜNG VỤ" in town
    assert "Số:" not in town and "-HD/TU" not in town  # hence the stand-in number
    for review in (TK10_31, TK15_38, SK05_52):  # the first month after each is its own
        printed = review.printed or review.resolution
        found = re.search(rf"{review.phrase}.{{0,80}}?{printed}", town, re.S)
        assert found, review
        month = re.search(r"\([tT]háng (\d+)/2024\)", town[found.end() :])
        assert month and int(month[1]) == review.month, review


@dataclass
class Replay:
    cascade: Cascade

    @property
    def aggregates(self) -> AggregateRepository:
        return self.cascade.aggregates

    async def issue(self, doc: Doc) -> Any:
        parent = self.cascade.documents[doc.implements].id if doc.implements else None
        return await self.cascade.issue(
            doc.issuer, doc.number, doc.day, *doc.tasks, plan_year=2024, implements=parent
        )

    def ref(self, doc: Doc, title: str, unit: str) -> UUID:
        """The assignment of ``title`` in ``doc`` given to ``unit`` (when it was issued);
        a quarter's report is named "<QUARTERLY> <period>"."""
        period = title.rsplit(" ", 1)[1] if title in QUARTERS else None
        title = QUARTERLY if period else title
        task = next(t for t in self.cascade.documents[doc.number].tasks if t.title == title)
        return next(
            a.id
            for a in task.assignments
            if a.assignee_id == unit and (period is None or a.period == period)
        )

    async def get(self, doc: Doc, title: str, unit: str) -> Assignment:
        return await self.aggregates.get(Assignment, self.ref(doc, title, unit))

    async def unit(self, slug: str) -> Organisation:
        return await self.aggregates.get(Organisation, organisation_id(slug))

    async def submit(self, doc: Doc, title: str, unit: str, day: date) -> None:
        sent = SubmitReport(
            assignment_id=self.ref(doc, title, unit), summary=title, effective_on=day
        )
        await handle.submit_report(sent, as_unit(unit, day, Role.REPORTER), self.aggregates)
        now = await self.get(doc, title, unit)
        assert (now.status, now.submissions[-1].effective_on) == (Status.SUBMITTED, day)

    async def give_back(self, doc: Doc, title: str, unit: str, day: date) -> None:
        back = ReturnSubmission(
            assignment_id=self.ref(doc, title, unit), reason="thiếu số liệu", effective_on=day
        )
        await handle.return_submission(back, as_unit(doc.issuer, day), self.aggregates)
        now = await self.get(doc, title, unit)
        assert (now.status, now.returns) == (Status.RETURNED, 1)
        assert now.bucket(day) is Bucket.OPEN_IN_TIME

    async def accept(self, doc: Doc, title: str, unit: str, day: date, bucket: Bucket) -> None:
        ok = AcceptSubmission(assignment_id=self.ref(doc, title, unit), effective_on=day)
        await handle.accept_submission(ok, as_unit(doc.issuer, day), self.aggregates)
        now = await self.get(doc, title, unit)
        assert (now.status, now.accepted_on, now.bucket(day)) == (Status.ACCEPTED, day, bucket)

    async def on_time(self, doc: Doc, title: str, unit: str, sent: date, accepted: date) -> None:
        await self.submit(doc, title, unit, sent)
        await self.accept(doc, title, unit, accepted, Bucket.DONE_ON_TIME)

    async def late(self, doc: Doc, title: str, unit: str, sent: date, accepted: date) -> None:
        await self.submit(doc, title, unit, sent)
        await self.accept(doc, title, unit, accepted, Bucket.DONE_LATE)

    async def assignments(self, doc: Doc | None = None) -> AsyncIterator[Assignment]:
        for number, issued in self.cascade.documents.items():
            if doc is None or number == doc.number:
                for task in issued.tasks:
                    for ref in task.assignments:
                        yield await self.aggregates.get(Assignment, ref.id)

    async def owes(self, today: date) -> dict[str, list[str]]:
        """{assignee: sorted titles it still owes on ``today``, " (quá hạn)" when overdue}."""
        owed: dict[str, list[str]] = defaultdict(list)
        async for assignment in self.assignments():
            bucket = assignment.bucket(today)
            if bucket in (Bucket.OPEN_IN_TIME, Bucket.OPEN_OVERDUE):
                late = OVERDUE if bucket is Bucket.OPEN_OVERDUE else ""
                name = assignment.title
                if name == QUARTERLY:
                    name = f"{name} {assignment.period}"
                owed[assignment.assignee].append(name + late)
        return {unit: sorted(titles) for unit, titles in owed.items()}

    async def tally(self, doc: Doc, today: date) -> Counter[Bucket | None]:
        return Counter([a.bucket(today) async for a in self.assignments(doc)])


async def refused(cascade: Cascade, code: str, attempt: Awaitable[Any]) -> None:
    before = await cascade.events()
    with pytest.raises(DomainError) as error:
        await attempt
    assert error.value.code == code, str(error.value)
    assert await cascade.events() == before, "a refused command stored something"


@pytest.mark.slow
async def test_the_seed_cascades_from_2023_to_the_2025_merger(
    store: PostgresEventStore, pool: asyncpg.Pool[Any], seeds_dir: Path
) -> None:
    check_the_seeds_say_so(seeds_dir)
    run = Replay(Cascade(AggregateRepository(store), pool))
    for slug, name, level, kind, parent, code in TREE:
        unit = RegisterOrganisation(
            id=slug,
            name=name,
            level=level,
            kind=kind,
            parent_id=parent,
            issuer_code=code,
            effective_on=SINCE,
        )
        await register_organisation(unit, as_admin(SINCE), run.aggregates)
    district = await run.unit("btg-quan")
    assert set(district.children) == {"ubnd-quan", "bhxh-quan", "phuong-1", "phuong-2"}
    await guidance_cascades_down(run)
    await units_report_through_2024(run)
    await the_district_level_merges_on_1_july_2025(run)


async def guidance_cascades_down(run: Replay) -> None:
    # 22/12/2023: the central guidance, for 2024, asks every province commission for its own.
    issued = await run.issue(G128)
    provinces = {"btg-hai-phong", "btg-tinh", "btg-binh-dinh"}
    assert issued.term == "XIII"
    assert {(a.assignee_id, a.period, a.due_on) for a in issued.tasks[0].assignments} == {
        (province, "2024", DUE_128) for province in provinces
    }
    assert await run.owes(G128.day) == {province: [PLAN] for province in provinces}

    # Each province implements it, which fulfils its assignment on that day. Hải Phòng and
    # the town's province ask their district level for a guidance and a year's report.
    for doc in (G85, G102, G76):
        issued = await run.issue(doc)
        assert {t.title for t in issued.tasks} == ({PLAN, YEAR} if doc.tasks else set())
        assert issued.fulfilled == [run.ref(G128, PLAN, doc.issuer)]
        done = await run.get(G128, PLAN, doc.issuer)
        assert (done.done_on, done.bucket(doc.day)) == (doc.day, Bucket.DONE_ON_TIME)
    took = {a.assignee: a.done_on async for a in run.assignments(G128)}
    days = {unit: (done_on - G128.day).days for unit, done_on in took.items() if done_on}
    assert days == {"btg-binh-dinh": 6, "btg-tinh": 14, "btg-hai-phong": 33}  # the cascade
    assert await run.tally(G128, G76.day) == Counter({Bucket.DONE_ON_TIME: 3})

    # 30/01/2024: the urban district implements 76-HD/BTGTU. Its units owe: the wards, a
    # plan; the wards and BHXH, quarterly reports before the 10th of each quarter's last
    # month and the year's report; UBND and BHXH, the 15-year review of 38-CT/TW by the
    # end of October 2024.
    issued = await run.issue(G25)
    assert issued.fulfilled == [run.ref(G76, PLAN, "btg-quan")]
    assert (await run.get(G76, PLAN, "btg-quan")).done_on == G25.day  # 6 days after 76
    assert sum(len(task.assignments) for task in issued.tasks) == 2 + 4 * 3 + 3 + 2
    quarterly = {
        (a.period, a.due_on) for t in issued.tasks if t.title == QUARTERLY for a in t.assignments
    }
    assert sorted(quarterly) == [(f"2024-Q{q}", date(2024, 3 * q, 10)) for q in range(1, 5)]
    assert (await run.get(G25, YEAR, "phuong-1")).due_on == date(2025, 1, 10)
    assert (await run.get(G25, TK15_38.title, "ubnd-quan")).due_on == date(2024, 10, 31)

    # The town guidance implements 102-HD/BTGTU: the grassroots owe the 6-month and the
    # year's report, UBND thị xã the reviews in their months.
    issued = await run.issue(GTOWN)
    assert issued.fulfilled == [run.ref(G102, PLAN, "thi-uy")]
    assert {t.title: t.assignments[0].due_on for t in issued.tasks if t.title != YEAR} == {
        H1: H1_DUE,
        TK10_31.title: date(2024, 7, 31),
        TK15_38.title: date(2024, 10, 31),
        SK05_52.title: date(2024, 11, 30),
    }

    # Phường 1 issues its plan; phường 2 does not, and owes it overdue from 01/03.
    issued = await run.issue(KH_P1)
    assert issued.fulfilled == [run.ref(G25, WARD_PLAN, "phuong-1")]
    owed = await run.owes(date(2024, 3, 1))
    assert owed["phuong-2"] == sorted([WARD_PLAN + OVERDUE, *QUARTERS, YEAR])
    assert WARD_PLAN not in owed["phuong-1"]


async def units_report_through_2024(run: Replay) -> None:
    # Q1: BHXH is returned and resubmits before the 10th; phường 1 sends on time but is
    # accepted after the 10th (on time all the same); phường 2 is late.
    await run.submit(G25, Q1, "bhxh-quan", date(2024, 3, 6))
    await run.give_back(G25, Q1, "bhxh-quan", date(2024, 3, 7))
    await run.submit(G25, Q1, "phuong-1", date(2024, 3, 8))
    await run.submit(G25, Q1, "bhxh-quan", date(2024, 3, 9))
    assert len((await run.get(G25, Q1, "bhxh-quan")).submissions) == 2
    for unit in ("bhxh-quan", "phuong-1"):
        await run.accept(G25, Q1, unit, date(2024, 3, 11), Bucket.DONE_ON_TIME)
    assert (await run.get(G25, Q1, "phuong-2")).bucket(date(2024, 3, 11)) is Bucket.OPEN_OVERDUE
    await run.late(G25, Q1, "phuong-2", date(2024, 3, 14), date(2024, 3, 15))
    for unit in ("bhxh-quan", "phuong-1", "phuong-2"):
        await run.on_time(G25, Q2, unit, date(2024, 6, 5), date(2024, 6, 7))

    # July in the town: the 6-month reports (one late) and the July review.
    await run.on_time(GTOWN, H1, "co-so-1", date(2024, 7, 5), date(2024, 7, 8))
    await run.late(GTOWN, H1, "co-so-2", date(2024, 7, 12), date(2024, 7, 15))
    await run.on_time(GTOWN, TK10_31.title, "ubnd-thi-xa", date(2024, 7, 25), date(2024, 7, 29))
    # Q3: phường 2 stays silent. October: the 38-CT/TW reviews.
    for unit in ("bhxh-quan", "phuong-1"):
        await run.on_time(G25, Q3, unit, date(2024, 9, 5), date(2024, 9, 6))
    await run.on_time(G25, TK15_38.title, "bhxh-quan", date(2024, 10, 28), date(2024, 10, 29))
    await run.submit(GTOWN, TK15_38.title, "ubnd-thi-xa", date(2024, 10, 30))

    # 01/11/2024: who owes what. UBND thị xã sent its review on 30/10, but until it is
    # accepted it counts as open, and now overdue; UBND quận has sent nothing.
    assert await run.owes(date(2024, 11, 1)) == {
        "btg-quan": [YEAR],
        "thi-uy": [YEAR],
        "bhxh-quan": [YEAR, Q4],
        "phuong-1": [YEAR, Q4],
        "phuong-2": [YEAR, Q3 + OVERDUE, Q4, WARD_PLAN + OVERDUE],
        "ubnd-quan": [TK15_38.title + OVERDUE],
        "co-so-1": [YEAR],
        "co-so-2": [YEAR],
        "ubnd-thi-xa": [SK05_52.title, TK15_38.title + OVERDUE],
    }
    await run.accept(GTOWN, TK15_38.title, "ubnd-thi-xa", date(2024, 11, 4), Bucket.DONE_ON_TIME)
    await run.late(G25, TK15_38.title, "ubnd-quan", date(2024, 11, 20), date(2024, 11, 22))
    await run.on_time(GTOWN, SK05_52.title, "ubnd-thi-xa", date(2024, 11, 28), date(2024, 11, 29))
    for unit in ("bhxh-quan", "phuong-1", "phuong-2"):
        await run.on_time(G25, Q4, unit, date(2024, 12, 6), date(2024, 12, 9))

    # The year's reports, due 10/01/2025: phường 2 and the Thị ủy never send theirs.
    for doc, unit in ((G25, "bhxh-quan"), (G25, "phuong-1"), (GTOWN, "co-so-1"), (G76, "btg-quan")):
        await run.on_time(doc, YEAR, unit, date(2025, 1, 8), date(2025, 1, 9))
    await run.late(GTOWN, YEAR, "co-so-2", date(2025, 1, 20), date(2025, 1, 21))
    assert await run.owes(date(2025, 6, 30)) == {
        "phuong-2": [YEAR + OVERDUE, Q3 + OVERDUE, WARD_PLAN + OVERDUE],
        "thi-uy": [YEAR + OVERDUE],
    }
    assert await run.tally(GTOWN, date(2025, 6, 30)) == Counter(
        {Bucket.DONE_ON_TIME: 5, Bucket.DONE_LATE: 2}
    )


async def the_district_level_merges_on_1_july_2025(run: Replay) -> None:
    merger, after = date(2025, 7, 1), date(2025, 7, 2)
    for merged, survivor in (("btg-quan", "btg-hai-phong"), ("thi-uy", "btg-tinh")):
        merge = MergeOrganisation(id=merged, into_id=survivor, effective_on=merger)
        await merge_organisation(merge, as_admin(merger), run.aggregates)
        gone = await run.unit(merged)
        assert (gone.merged_into, gone.valid_to, gone.children) == (survivor, merger, {})

    # The Thị ủy's open report was owed to the province commission that absorbed it: it
    # would owe the report to itself, so the merger ends the obligation instead.
    ended = await run.get(G102, YEAR, "thi-uy")
    assert (ended.status, ended.assignee, ended.issuer) == (Status.CANCELLED, "thi-uy", "btg-tinh")
    assert ended.bucket(after) is None
    for title in (PLAN, YEAR):  # what the district had done stays the district's
        assert (await run.get(G76, title, "btg-quan")).assignee == "btg-quan"
    hai_phong = await run.unit("btg-hai-phong")
    assert {"ubnd-quan", "bhxh-quan", "phuong-1", "phuong-2"} <= set(hai_phong.children)
    assert "btg-quan" not in hai_phong.children
    for slug, was, now in (
        ("phuong-2", "btg-quan", "btg-hai-phong"),
        ("ubnd-quan", "btg-quan", "btg-hai-phong"),
        ("co-so-1", "thi-uy", "btg-tinh"),
        ("ubnd-thi-xa", "thi-uy", "btg-tinh"),
    ):
        moved = await run.unit(slug)
        assert (moved.parent, moved.parent_on(date(2024, 6, 1))) == (now, was)
    for doc, code in ((G25, "BTGQU"), (GTOWN, "TU")):  # a document's issuer stays frozen
        document = await run.aggregates.get(Document, run.cascade.documents[doc.number].id)
        assert (document.issuer.slug, document.issuer.issuer_code) == (doc.issuer, code)

    # The merged units neither receive tasks nor issue any more.
    task = dated(YEAR, date(2025, 7, 31), "btg-quan")
    await refused(
        run.cascade, "unit_merged", run.cascade.issue("btg-hai-phong", "99-HD/BTGTU", after, task)
    )
    await refused(
        run.cascade, "issuer_not_active", run.cascade.issue("btg-quan", "26-HD/BTGQU", after)
    )

    # 02/07/2025: phường 2 still owes what it owed, now to Hải Phòng, which answers for the
    # merged district and reviews its late Q3 report; the Thị ủy's debt has ended.
    assert await run.owes(after) == {
        "phuong-2": [YEAR + OVERDUE, Q3 + OVERDUE, WARD_PLAN + OVERDUE],
    }
    q3 = SubmitReport(assignment_id=run.ref(G25, Q3, "phuong-2"), summary=Q3, effective_on=after)
    await handle.submit_report(q3, as_unit("phuong-2", after, Role.REPORTER), run.aggregates)
    review = AcceptSubmission(assignment_id=q3.assignment_id, effective_on=after)
    await refused(
        run.cascade,
        "not_the_issuer",
        handle.accept_submission(review, as_unit("btg-quan", after), run.aggregates),
    )
    await handle.accept_submission(review, as_unit("btg-hai-phong", after), run.aggregates)
    assert (await run.get(G25, Q3, "phuong-2")).bucket(after) is Bucket.DONE_LATE
    assert await run.tally(G25, after) == Counter(
        {Bucket.DONE_ON_TIME: 14, Bucket.DONE_LATE: 3, Bucket.OPEN_OVERDUE: 2}
    )
