"""The dashboard views of one unit: compliance (itself, its subtree, each child) and its
deadlines."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any, NamedTuple

import msgspec
from litestar import Controller, MediaType, Response, get
from litestar.params import FromPath, QueryParameter

from adapters.http.answers import Answers
from adapters.http.api import ApiService, Caller, MinPosition, in_sight, visible_path
from adapters.http.problems import READ_PROBLEMS, ApiProblem, FieldError
from adapters.store.database import Connection
from adapters.store.time_travel import compliance_as_of
from domain.permissions import Actor
from projections import compliance
from projections.deadlines import Deadline, open_deadlines
from projections.organisation_tree import OrganisationTree


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

_VIEWS = sorted([compliance.ComplianceRollup.name, OrganisationTree.name])
"""The views a compliance answer is read from: the counts, and the units' names."""

_UNIT_AND_VIEWS = """
SELECT o.path, array(
    SELECT c.xmin::text || ' ' || c.updated_at::text FROM projection_checkpoints c
    WHERE c.name = ANY($2::text[]) ORDER BY c.name
) AS views
FROM org_units o WHERE o.id = $1
"""
"""The unit's path (for the sight check) and, for each of ``_VIEWS``, which transaction
last wrote its checkpoint row and when it began: a view's rows change only in a
transaction that writes its checkpoint row (a runner's batch, a rebuild's swap)."""


class _Question(NamedTuple):
    organization_id: str
    day: date
    year: int | None
    field: str | None
    kind: str | None


async def _today(
    connection: Connection, answers: Answers, actor: Actor, question: _Question
) -> bytes:
    """Today's answer: read from the roll-up, or kept from the last time the views were
    where they are now (``adapters.http.answers``)."""
    row = await connection.fetchrow(_UNIT_AND_VIEWS, question.organization_id, _VIEWS)
    in_sight(actor, question.organization_id, None if row is None else row["path"])
    assert row is not None
    views = tuple(row["views"])
    answer = answers.get(question, views)
    if answer is None:
        found = await compliance.unit_compliance(
            connection,
            question.organization_id,
            question.day,
            year=question.year,
            field=question.field,
            kind=question.kind,
        )
        answer = await _answer(connection, question, found)
        answers.put(question, views, answer)
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
        async with api.store.pool.acquire() as connection:
            await api.caught_up(connection, min_position)
            if day < today:
                await visible_path(connection, actor, organization_id)
                found = await compliance_as_of(
                    connection, organization_id, day, year=year, field=field, kind=kind
                )
                answer = await _answer(connection, question, found)
            else:
                answer = await _today(connection, api.answers, actor, question)
        return _json(answer)

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
