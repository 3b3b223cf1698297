"""The dashboard views of one unit: compliance (itself, its subtree, each child) and its
deadlines."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any, NamedTuple

import msgspec
from litestar import Controller, MediaType, Response, get
from litestar.params import FromPath, QueryParameter

from adapters.http.api import Api, ApiService, Caller, MinPosition, in_sight, visible_path
from adapters.http.problems import READ_PROBLEMS, ApiProblem, FieldError
from adapters.store.database import Connection
from adapters.store.time_travel import compliance_as_of
from domain.permissions import Actor
from projections import compliance
from projections.deadlines import Deadline, open_deadlines


class Counts(msgspec.Struct, frozen=True):
    assigned: int
    done_on_time: int
    done_late: int
    open_in_time: int
    open_overdue: int
    returned: int
    """Submissions sent back for revision (each return counts once)."""
    on_time_rate: float | None
    """done_on_time / (done_on_time + done_late + open_overdue); null when nothing is due."""

    @classmethod
    def of(cls, counts: compliance.Counts) -> Counts:
        return cls(
            counts.assigned,
            counts.done_on_time,
            counts.done_late,
            counts.open_in_time,
            counts.open_overdue,
            counts.returned,
            counts.on_time_rate,
        )


class ChildCompliance(msgspec.Struct, frozen=True):
    organization_id: str
    name: str
    subtree: Counts


class Compliance(msgspec.Struct, frozen=True):
    organization_id: str
    as_of: date
    self: Counts
    subtree: Counts
    children: list[ChildCompliance]


class Deadlines(msgspec.Struct, frozen=True):
    organization_id: str
    as_of: date
    deadlines: list[Deadline]
    """Open assignments, overdue first, then soonest due."""


_MAX_WITHIN_DAYS = 3660


class _Question(NamedTuple):
    organization_id: str
    day: date
    year: int | None
    field: str | None
    kind: str | None


async def _today(api: Api, actor: Actor, question: _Question, min_position: int | None) -> bytes:
    """Today's answer: read from the roll-up, or kept from the last time the views were
    where they are now (``adapters.http.answers``) — then without a connection of its
    own: the unit's path is kept with the answer, and where the views stand is read
    once for every request that came meanwhile."""
    if min_position is not None:
        async with api.store.pool.acquire() as connection:
            await api.caught_up(connection, min_position)
    stamps = await api.stamps.read(api.store.pool)  # first: nothing kept is older
    unit = question.organization_id
    kept_path = api.paths.get(unit, stamps)
    if kept_path is not None:
        in_sight(actor, unit, msgspec.json.decode(kept_path))
        answer = api.answers.get(question, stamps)
        if answer is not None:
            return answer
    async with api.store.pool.acquire() as connection:
        if kept_path is None:
            path = await visible_path(connection, actor, unit)
            api.paths.put(unit, stamps, msgspec.json.encode(path))
        found = await compliance.unit_compliance(
            connection,
            unit,
            question.day,
            year=question.year,
            field=question.field,
            kind=question.kind,
        )
        answer = await _answer(connection, question, found)
    api.answers.put(question, stamps, answer)
    return answer


async def _answer(
    connection: Connection, question: _Question, found: compliance.UnitCompliance
) -> bytes:
    """The JSON answer, with each child's name."""
    names = dict(
        await connection.fetch(
            "SELECT id, name FROM org_units WHERE id = ANY($1::text[])", list(found.children)
        )
    )
    return msgspec.json.encode(
        Compliance(
            organization_id=question.organization_id,
            as_of=question.day,
            self=Counts.of(found.self),
            subtree=Counts.of(found.subtree),
            children=[
                ChildCompliance(child, names.get(child, child), Counts.of(counts))
                for child, counts in found.children.items()
            ],
        )
    )


def _json(answer: bytes) -> Response[Any]:
    """An answer encoded already (the schema is the handler's ``Response[Compliance]``)."""
    return Response(answer, media_type=MediaType.JSON)


class ViewsController(Controller):
    path = "/api/v1/organizations"
    tags = ["views"]  # noqa: RUF012 (Litestar reads it as an instance attribute)

    @get(
        "/{organization_id:str}/compliance",
        operation_id="getCompliance",
        summary="Compliance of a unit, its subtree and each direct child",
        responses=READ_PROBLEMS,
    )
    async def compliance(
        self,
        api: ApiService,
        actor: Caller,
        organization_id: FromPath[str],
        year: Annotated[
            int | None,
            QueryParameter(
                ge=1900, le=2200, description="Only assignments of this year's periods."
            ),
        ] = None,
        field: Annotated[
            str | None, QueryParameter(description="Only tasks of this field (lĩnh vực).")
        ] = None,
        kind: Annotated[str | None, QueryParameter(description="Only tasks of this kind.")] = None,
        as_of: Annotated[
            date | None,
            QueryParameter(description="The day to judge on; today (Vietnam time) by default."),
        ] = None,
        min_position: MinPosition = None,
    ) -> Response[Compliance]:
        """Today's counts come from a roll-up kept per unit, so a unit with all its children
        costs O(children). With a past `as_of`, the answer is the log as it stood at the
        end of that day (Vietnam time), replayed — exactly what this endpoint answered
        then; it costs a replay of the log's assignment events. Open assignments are
        overdue when due before `as_of`."""
        today = api.today()
        day = as_of or today
        if day > today:
            raise ApiProblem(
                400,
                "invalid_request",
                f"as_of {day} is in the future (today is {today})",
                errors=[FieldError("query.as_of", "must not be after today")],
            )
        question = _Question(organization_id, day, year, field, kind)
        if day == today:
            return _json(await _today(api, actor, question, min_position))
        async with api.store.pool.acquire() as connection:
            await api.caught_up(connection, min_position)
            await visible_path(connection, actor, organization_id)
            found = await compliance_as_of(
                connection, organization_id, day, year=year, field=field, kind=kind
            )
            return _json(await _answer(connection, question, found))

    @get(
        "/{organization_id:str}/deadlines",
        operation_id="getDeadlines",
        summary="Open assignments of a unit and its subtree by due date",
        responses=READ_PROBLEMS,
    )
    async def deadlines(
        self,
        api: ApiService,
        actor: Caller,
        organization_id: FromPath[str],
        within_days: Annotated[
            int | None,
            QueryParameter(
                ge=0,
                le=_MAX_WITHIN_DAYS,
                description="Only those due within this many days (overdue ones always).",
            ),
        ] = None,
        subtree: Annotated[bool, QueryParameter(description="Include units below it.")] = True,
        min_position: MinPosition = None,
    ) -> Deadlines:
        today = api.today()
        due_by = today + timedelta(days=within_days) if within_days is not None else None
        async with api.store.pool.acquire() as connection:
            await api.caught_up(connection, min_position)
            await visible_path(connection, actor, organization_id)
            found = await open_deadlines(
                connection, organization_id, today, subtree=subtree, due_by=due_by
            )
        return Deadlines(organization_id, today, found)
