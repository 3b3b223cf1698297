"""Organisations: the tree of committees, commissions and units the guidance travels down.

Levels: central (trung ương) > province (tỉnh, thành phố) > district (huyện, thị xã,
quận; bloc committees) > grassroots (cơ sở). Kinds decide what a unit can do.

Where a unit hangs: a party committee, commission, bloc committee or grassroots party
organisation sits below a unit of a strictly higher level; a state agency, the Front, a
socio-political organisation or an inspection committee is *attached* to a committee
or commission of its own level or above, and has no children. So every edge goes up a
level or ends at a leaf, and the tree can never have a cycle.

The tree changes (renames, moves, merges, dissolutions), each with an effective date,
and history survives: a unit's parent is kept as dated links, so decisions can use the
tree as it was on the relevant date; a merged unit keeps its own history, and the
survivor receives its open obligations.
"""

from __future__ import annotations

import enum
import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.errors import refuse
from domain.timing import When

NAMESPACE = uuid.UUID("6f1b0c52-3a57-4f43-9a43-6b1f5d1f0a11")
SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")


class Level(enum.StrEnum):
    CENTRAL = "central"
    PROVINCE = "province"
    DISTRICT = "district"
    GRASSROOTS = "grassroots"

    @property
    def rank(self) -> int:
        return list(Level).index(self)

    def above(self, other: Level) -> bool:
        return self.rank < other.rank


class Kind(enum.StrEnum):
    PARTY_COMMITTEE = "party_committee"  # cấp ủy, ban thường vụ
    PROPAGANDA_COMMISSION = "propaganda_commission"  # ban tuyên giáo (và dân vận)
    BLOC_COMMITTEE = "bloc_committee"  # đảng ủy khối
    GRASSROOTS_PARTY = "grassroots_party"  # chi bộ, đảng bộ cơ sở
    INSPECTION_COMMITTEE = "inspection_committee"  # ủy ban kiểm tra
    STATE_AGENCY = "state_agency"  # UBND, sở, phòng
    FRONT = "front"  # Mặt trận Tổ quốc
    SOCIO_POLITICAL = "socio_political"  # đoàn thể chính trị - xã hội

    @property
    def attached(self) -> bool:
        """Attached to a committee of its level; never a parent."""
        return self in _ATTACHED


_ATTACHED = {Kind.INSPECTION_COMMITTEE, Kind.STATE_AGENCY, Kind.FRONT, Kind.SOCIO_POLITICAL}


def organisation_id(slug: str) -> UUID:
    """The stream of the organisation with this slug (slugs are unique and permanent)."""
    return uuid.uuid5(NAMESPACE, f"organisation:{slug}")


def check_slug(slug: str) -> None:
    if not SLUG.match(slug):
        raise refuse(
            "invalid_organisation_id",
            f"organisation id {slug!r} must be lower-case letters, digits and inner hyphens "
            "(at most 64), so that it can be a NATS subject token",
        )


def check_issuer_code(code: str | None) -> None:
    if code is not None and not re.fullmatch(r"[A-ZĐ0-9]{2,16}", code):
        raise refuse(
            "invalid_issuer_code",
            f"issuer code {code!r} must be 2-16 capital letters or digits (e.g. BTGTU)",
        )


@dataclass(frozen=True)
class IssuerCode:
    """From ``since`` on, the unit's documents carry ``code`` (None: it issues none)."""

    code: str | None
    since: date


@dataclass(frozen=True)
class ParentLink:
    """From ``since`` on, the unit hangs below ``parent`` (None: a root)."""

    parent: str | None
    since: date


class Organisation(Aggregate):
    @staticmethod
    def create_id(slug: str, **_: object) -> UUID:
        return organisation_id(slug)

    @classmethod
    def register(
        cls,
        slug: str,
        name: str,
        level: Level,
        kind: Kind,
        parent: Organisation | None,
        when: When,
        issuer_code: str | None = None,
    ) -> Organisation:
        check_slug(slug)
        if not name.strip():
            raise refuse("name_required", "an organisation needs a name")
        check_placement(level, kind, parent, when.effective_on)
        check_issuer_code(issuer_code)
        return cls(
            slug=slug,
            name=name.strip(),
            level=level,
            kind=kind,
            issuer_code=issuer_code,
            parent=parent.slug if parent else None,
            valid_from=when.effective_on,
            backdated=when.backdated,
            timestamp=when.recorded_at,
        )

    @event("Registered")
    def __init__(
        self,
        slug: str,
        name: str,
        level: Level,
        kind: Kind,
        issuer_code: str | None,
        parent: str | None,
        valid_from: date,
        backdated: bool,
        timestamp: datetime,
    ) -> None:
        self.slug = slug
        self.name = name
        self.level = level
        self.kind = kind
        self.issuer_codes = [IssuerCode(issuer_code, valid_from)]
        self.parents = [ParentLink(parent, valid_from)]
        self.valid_from = valid_from
        self.valid_to: date | None = None
        self.merged_into: str | None = None
        self.children: dict[str, Kind] = {}
        self.assignment_ids: list[UUID] = []

    # -- reading ----------------------------------------------------------------
    @property
    def issuer_code(self) -> str | None:
        return self.issuer_codes[-1].code

    def issuer_code_on(self, day: date) -> str | None:
        """The code in the unit's document numbers on ``day`` (codes change with
        reorganisations: BTGTU became BTGDVTU when the commissions merged in 2025)."""
        current = self.issuer_codes[0].code
        for entry in self.issuer_codes:
            if entry.since <= day:
                current = entry.code
        return current

    @property
    def parent(self) -> str | None:
        return self.parents[-1].parent

    def parent_on(self, day: date) -> str | None:
        """The parent as it was on ``day`` (the first parent before the unit existed)."""
        current = self.parents[0].parent
        for link in self.parents:
            if link.since <= day:
                current = link.parent
        return current

    def active_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day < self.valid_to)

    @property
    def closed(self) -> bool:
        return self.valid_to is not None

    def check_can_receive_tasks(self, day: date) -> None:
        if self.merged_into is not None:
            raise refuse(
                "unit_merged",
                f"{self.name} ({self.slug}) was merged into {self.merged_into} and receives "
                "no new tasks",
            )
        if not self.active_on(day):
            raise refuse(
                "unit_dissolved" if self.closed else "unit_not_yet_existing",
                f"{self.name} ({self.slug}) does not exist on {day.isoformat()} and can "
                "receive no task",
            )

    # -- changing ---------------------------------------------------------------
    def rename(self, name: str, when: When, *, issuer_code: str | None = None) -> None:
        """A new name, and with it, where the reorganisation changed it, a new issuer code."""
        self._check_open(when.effective_on)
        check_issuer_code(issuer_code)
        if not name.strip():
            raise refuse("name_required", "an organisation needs a name")
        if name.strip() == self.name and issuer_code in (None, self.issuer_code):
            raise refuse("name_unchanged", f"{self.slug} is already named {self.name!r}")
        self._renamed(
            name=name.strip(),
            issuer_code=issuer_code,
            effective_on=when.effective_on,
            backdated=when.backdated,
            timestamp=when.recorded_at,
        )

    @event("Renamed")
    def _renamed(
        self,
        name: str,
        issuer_code: str | None,
        effective_on: date,
        backdated: bool,
        timestamp: datetime,
    ) -> None:
        self.name = name
        if issuer_code is not None:
            self.issuer_codes.append(IssuerCode(issuer_code, effective_on))

    def move(self, new_parent: Organisation, when: When) -> None:
        self._check_open(when.effective_on)
        if new_parent.slug == self.parent:
            raise refuse("parent_unchanged", f"{self.slug} already sits below {new_parent.slug}")
        if when.effective_on < self.parents[-1].since:
            raise refuse(
                "move_before_last_move",
                f"{self.slug} cannot move on {when.effective_on.isoformat()}, before its last "
                f"change of parent ({self.parents[-1].since.isoformat()})",
            )
        check_placement(self.level, self.kind, new_parent, when.effective_on)
        self._moved(
            parent=new_parent.slug,
            previous_parent=self.parent,
            effective_on=when.effective_on,
            backdated=when.backdated,
            timestamp=when.recorded_at,
        )

    @event("Moved")
    def _moved(
        self,
        parent: str,
        previous_parent: str | None,
        effective_on: date,
        backdated: bool,
        timestamp: datetime,
    ) -> None:
        self.parents.append(ParentLink(parent, effective_on))

    def merge_into(self, survivor: Organisation, when: When) -> None:
        self._check_open(when.effective_on)
        if survivor.slug == self.slug:
            raise refuse("merge_into_itself", f"{self.slug} cannot be merged into itself")
        survivor.check_can_receive_tasks(when.effective_on)
        self._merged(
            into=survivor.slug,
            effective_on=when.effective_on,
            backdated=when.backdated,
            timestamp=when.recorded_at,
        )

    @event("Merged")
    def _merged(self, into: str, effective_on: date, backdated: bool, timestamp: datetime) -> None:
        self.merged_into = into
        self.valid_to = effective_on

    def dissolve(self, when: When) -> None:
        self._check_open(when.effective_on)
        if self.children:
            raise refuse(
                "unit_has_children",
                f"{self.slug} still has units below it ({', '.join(sorted(self.children))}): "
                "move or merge them first",
            )
        self._dissolved(
            effective_on=when.effective_on, backdated=when.backdated, timestamp=when.recorded_at
        )

    @event("Dissolved")
    def _dissolved(self, effective_on: date, backdated: bool, timestamp: datetime) -> None:
        self.valid_to = effective_on

    def _check_open(self, day: date) -> None:
        if self.closed:
            raise refuse(
                "unit_closed",
                f"{self.slug} was "
                + (f"merged into {self.merged_into}" if self.merged_into else "dissolved")
                + f" on {self.valid_to}; its history can be read but not changed",
            )
        if day < self.valid_from:
            raise refuse(
                "before_unit_existed",
                f"{self.slug} did not exist yet on {day.isoformat()} "
                f"(it was registered from {self.valid_from.isoformat()})",
            )

    # -- the parent's view of its children and the obligations it holds -----------
    def adopt(self, child: Organisation, timestamp: datetime) -> None:
        self._child_attached(child=child.slug, kind=child.kind, timestamp=timestamp)

    @event("ChildAttached")
    def _child_attached(self, child: str, kind: Kind, timestamp: datetime) -> None:
        self.children[child] = kind

    def release(self, child: str, timestamp: datetime) -> None:
        self._child_detached(child=child, timestamp=timestamp)

    @event("ChildDetached")
    def _child_detached(self, child: str, timestamp: datetime) -> None:
        self.children.pop(child, None)

    def receive(
        self,
        assignment_ids: list[UUID],
        when: When,
        *,
        document_id: UUID | None = None,
        transferred_from: str | None = None,
    ) -> None:
        """Record obligations the unit now holds: a document's new tasks, or the open
        assignments of a unit merged into it."""
        self.check_can_receive_tasks(when.effective_on)
        self._obligations_received(
            assignment_ids=assignment_ids,
            document_id=document_id,
            transferred_from=transferred_from,
            timestamp=when.recorded_at,
        )

    @event("ObligationsReceived")
    def _obligations_received(
        self,
        assignment_ids: list[UUID],
        document_id: UUID | None,
        transferred_from: str | None,
        timestamp: datetime,
    ) -> None:
        self.assignment_ids.extend(assignment_ids)


def check_placement(level: Level, kind: Kind, parent: Organisation | None, day: date) -> None:
    """Where a unit of this level and kind may hang (see the module's docstring)."""
    if parent is None:
        if level is not Level.CENTRAL or kind.attached:
            raise refuse(
                "parent_required",
                f"a {level} {kind} needs a parent: only central committees stand at the root",
            )
        return
    if not parent.active_on(day) or parent.merged_into is not None:
        raise refuse(
            "parent_not_active",
            f"{parent.slug} does not exist on {day.isoformat()} and cannot take units below it",
        )
    if parent.kind.attached:
        raise refuse(
            "parent_cannot_have_children",
            f"{parent.slug} is a {parent.kind}, which has no units below it",
        )
    if kind.attached:
        if level.above(parent.level):
            raise refuse(
                "parent_level_too_low",
                f"a {level} {kind} is attached to a committee of its own level or above, "
                f"not to {parent.slug} ({parent.level})",
            )
    elif not parent.level.above(level):
        raise refuse(
            "parent_level_too_low",
            f"a parent sits at a higher level: {parent.slug} is {parent.level}, the unit is "
            f"{level}",
        )
