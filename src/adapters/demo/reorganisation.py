"""The tree and how it changes: entered in December 2024, its commissions renamed when
propaganda and mass mobilisation merge, and the 2025 merger.

On 01/07/2025 communes merge into communes, provinces into provinces, then the district
level and the bloc committees into their provinces: each merger through the real
handler, which closes the merged unit, passes its open assignments to the survivor (or
ends those the survivor would owe itself) and moves its units below to the survivor.
The central commission then waives the reports it now receives twice.
"""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from uuid import UUID

from adapters.demo.agenda import FIRST, Agenda
from adapters.demo.national_tree import NationalTree, Province, Unit
from adapters.demo.recorder import MemoryAggregates
from adapters.demo.timeline import (
    CENTRAL_RENAMED,
    ENTERED,
    ESTABLISHED,
    MERGER,
    PROVINCES_RENAMED,
)
from application import assignments, organisations
from application.commands import (
    MergeOrganisation,
    RegisterOrganisation,
    RenameOrganisation,
    WaiveAssignment,
)
from domain.assignment import Assignment
from domain.organisation import Organisation, organisation_id


class Reorganisation:
    def __init__(self, tree: NationalTree, agenda: Agenda, aggregates: MemoryAggregates) -> None:
        self.tree = tree
        self.agenda = agenda
        self.aggregates = aggregates
        self.taken_over: list[UUID] = []

    def plan(self) -> None:
        at = self.agenda.at
        at(ENTERED, self.register_tree)
        at(CENTRAL_RENAMED, self.rename_central)
        at(PROVINCES_RENAMED, self.rename_provinces)
        at(MERGER, self.merge, priority=FIRST)
        at(MERGER + timedelta(days=9), self.waive_taken_over)

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
                        await self._register(unit, day)

    async def _register(self, unit: Unit, day: date) -> None:
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
        name = "Ban Tuyên giáo và Dân vận Trung ương"
        await self._rename(self.tree.central.slug, name, "BTGDVTW", day)

    async def rename_provinces(self, day: date) -> None:
        for province in self.tree.provinces:
            place = province.place
            name = f"Ban Tuyên giáo và Dân vận {place.committee} {place.name}"
            await self._rename(province.unit.slug, name, "BTGDVTU", day)

    async def _rename(self, slug: str, name: str, code: str, day: date) -> None:
        command = RenameOrganisation(id=slug, name=name, issuer_code=code, effective_on=day)
        await organisations.rename_organisation(command, self.agenda.context(day), self.aggregates)

    async def merge(self, day: date) -> None:
        """Consecutive mergers touch different parents, so they go to the log together."""
        districts = [d for p in self.tree.provinces for d in p.districts]
        communes = [
            [(merged, group[0]) for group in d.commune_groups for merged in group[1:]]
            for d in districts
        ]
        for merged, survivor in _interleaved(communes):
            await self._merge(merged, survivor, day)
        for group in self.tree.merger_groups:
            for province in group[1:]:
                await self._merge(province.unit.slug, group[0].unit.slug, day)
                self.taken_over += await self._taken_over(province, group[0])
        district_level = [
            [(d.unit.slug, self.tree.survivor(p).unit.slug) for d in p.districts]
            for p in self.tree.provinces
        ]
        for merged, survivor in _interleaved(district_level):
            await self._merge(merged, survivor, day)

    async def _merge(self, slug: str, into: str, day: date) -> None:
        command = MergeOrganisation(id=slug, into_id=into, effective_on=day)
        await organisations.merge_organisation(command, self.agenda.context(day), self.aggregates)

    async def _taken_over(self, merged: Province, survivor: Province) -> list[UUID]:
        """The central commission's open assignments the survivor took over."""
        unit = await self.aggregates.get(Organisation, organisation_id(merged.unit.slug))
        taken = []
        for assignment_id in unit.assignment_ids:
            assignment = await self.aggregates.get(Assignment, assignment_id)
            if assignment.status.open and assignment.assignee == survivor.unit.slug:
                taken.append(assignment_id)
        return taken

    async def waive_taken_over(self, day: date) -> None:
        """The merged province's reports are now part of the survivor's own."""
        for assignment_id in self.taken_over:
            if not (await self.aggregates.get(Assignment, assignment_id)).status.open:
                continue  # accepted meanwhile
            command = WaiveAssignment(
                assignment_id=assignment_id,
                reason="Tổng hợp chung trong báo cáo của tỉnh sau hợp nhất",
                effective_on=day,
            )
            await assignments.waive_assignment(command, self.agenda.context(day), self.aggregates)


def _interleaved(rows: list[list[tuple[str, str]]]) -> list[tuple[str, str]]:
    """The first of every row, then the second of every row, ..."""
    return [pair for column in itertools.zip_longest(*rows) for pair in column if pair]
