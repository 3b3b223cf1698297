"""Handlers for the organisation tree: register, rename, move, merge, dissolve."""

from __future__ import annotations

from application.commands import (
    DissolveOrganisation,
    MergeOrganisation,
    MoveOrganisation,
    RegisterOrganisation,
    RenameOrganisation,
)
from application.ports import Aggregates, CommandContext
from application.results import OrganisationWritten, Written
from application.tree import organisation, successors
from domain.assignment import Assignment
from domain.errors import refuse
from domain.organisation import Organisation, organisation_id
from domain.permissions import Actor, Role, check_acts_for

_MANAGES_TREE = (Role.OFFICER,)


def _check_manages(actor: Actor, parent: str | None, action: str) -> None:
    """The tree below a unit is managed by that unit's officers (the root by admins)."""
    check_acts_for(actor, parent or "(root)", _MANAGES_TREE, action)


async def register_organisation(
    command: RegisterOrganisation, context: CommandContext, aggregates: Aggregates
) -> OrganisationWritten:
    _check_manages(context.actor, command.parent_id, f"register {command.id}")
    when = context.when(command.effective_on)
    if await aggregates.find(Organisation, organisation_id(command.id)) is not None:
        raise refuse("organisation_exists", f"organisation {command.id!r} is already registered")
    parent = await organisation(aggregates, command.parent_id) if command.parent_id else None
    unit = Organisation.register(
        command.id,
        command.name,
        command.level,
        command.kind,
        parent,
        when,
        issuer_code=command.issuer_code,
    )
    if parent is not None:
        parent.adopt(unit, when.recorded_at)
    changed = [unit, parent] if parent else [unit]
    positions = await aggregates.save(*changed, context=context)
    return OrganisationWritten(id=unit.slug, position=Written.last(positions))


async def rename_organisation(
    command: RenameOrganisation, context: CommandContext, aggregates: Aggregates
) -> OrganisationWritten:
    unit = await organisation(aggregates, command.id)
    _check_manages(context.actor, unit.parent, f"rename {unit.slug}")
    unit.rename(command.name, context.when(command.effective_on), issuer_code=command.issuer_code)
    positions = await aggregates.save(unit, context=context)
    return OrganisationWritten(id=unit.slug, position=Written.last(positions))


async def move_organisation(
    command: MoveOrganisation, context: CommandContext, aggregates: Aggregates
) -> OrganisationWritten:
    unit = await organisation(aggregates, command.id)
    _check_manages(context.actor, unit.parent, f"move {unit.slug}")
    when = context.when(command.effective_on)
    new_parent = await organisation(aggregates, command.parent_id)
    old_parent = await organisation(aggregates, unit.parent) if unit.parent else None
    unit.move(new_parent, when)
    new_parent.adopt(unit, when.recorded_at)
    changed = [unit, new_parent]
    if old_parent is not None:
        old_parent.release(unit.slug, when.recorded_at)
        changed.append(old_parent)
    positions = await aggregates.save(*changed, context=context)
    return OrganisationWritten(id=unit.slug, position=Written.last(positions))


async def merge_organisation(
    command: MergeOrganisation, context: CommandContext, aggregates: Aggregates
) -> OrganisationWritten:
    """The merged unit closes; its open assignments pass to the survivor and its units
    below move to the survivor, all in one append. Its history stays its own."""
    merged = await organisation(aggregates, command.id)
    _check_manages(context.actor, merged.parent, f"merge {merged.slug}")
    when = context.when(command.effective_on)
    survivor = await organisation(aggregates, command.into_id)
    merged.merge_into(survivor, when)
    changed: list[Organisation | Assignment] = [merged, survivor]
    reason = f"{merged.slug} merged into {survivor.slug} on {when.effective_on.isoformat()}"
    transferred = []
    for assignment in await _open_assignments(aggregates, merged):
        reviewer = (await successors(aggregates, assignment.issuer))[-1]
        if reviewer == survivor.slug:
            # The survivor would owe a report to itself: the obligation ends here.
            assignment.cancel(
                survivor.slug, f"{reason}, which answers for the issuer", when, reviewer=reviewer
            )
        else:
            assignment.transfer(survivor.slug, reason, when)
            transferred.append(assignment.id)
        changed.append(assignment)
    if transferred:
        survivor.receive(transferred, when, transferred_from=merged.slug)
    for child_slug in sorted(merged.children):
        child = await organisation(aggregates, child_slug)
        child.move(survivor, when)
        merged.release(child_slug, when.recorded_at)
        survivor.adopt(child, when.recorded_at)
        changed.append(child)
    if merged.parent is not None:
        parent = await organisation(aggregates, merged.parent)
        if parent.slug != survivor.slug:
            parent.release(merged.slug, when.recorded_at)
            changed.append(parent)
        else:
            survivor.release(merged.slug, when.recorded_at)
    positions = await aggregates.save(*changed, context=context)
    return OrganisationWritten(id=merged.slug, position=Written.last(positions))


async def dissolve_organisation(
    command: DissolveOrganisation, context: CommandContext, aggregates: Aggregates
) -> OrganisationWritten:
    unit = await organisation(aggregates, command.id)
    _check_manages(context.actor, unit.parent, f"dissolve {unit.slug}")
    when = context.when(command.effective_on)
    if await _open_assignments(aggregates, unit):
        raise refuse(
            "unit_has_open_assignments",
            f"{unit.slug} still holds open assignments: merge it into the unit that takes "
            "them over, or have the issuers waive or cancel them first",
        )
    unit.dissolve(when)
    changed = [unit]
    if unit.parent is not None:
        parent = await organisation(aggregates, unit.parent)
        parent.release(unit.slug, when.recorded_at)
        changed.append(parent)
    positions = await aggregates.save(*changed, context=context)
    return OrganisationWritten(id=unit.slug, position=Written.last(positions))


async def _open_assignments(aggregates: Aggregates, unit: Organisation) -> list[Assignment]:
    """The open assignments the unit holds now (not those it passed on)."""
    held = [await aggregates.get(Assignment, i) for i in unit.assignment_ids]
    return [a for a in held if a.status.open and a.assignee == unit.slug]
