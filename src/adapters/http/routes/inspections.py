"""Inspections and supervisions (kiểm tra, giám sát): plan one, decide the team, record
findings, conclude per target, follow remediation to verification, close; escalate a
supervision into an inspection."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from adapters.http.api import Api, ApiService, Body, Caller, MinPosition, visible_path
from adapters.http.pages import Limit, decode_key, encode_key
from adapters.http.problems import READ_PROBLEMS, WRITE_PROBLEMS
from adapters.http.writes import sight_of, sight_of_units
from application import inspections as handle
from application.commands import (
    CloseInspection,
    DecideInspectionTeam,
    DraftConclusion,
    EscalateSupervision,
    ExtendInspection,
    InspectionCommand,
    IssueConclusion,
    PlanInspection,
    ReceiveSelfAssessment,
    RecordFinding,
    ReportRemediation,
    VerifyRemediation,
)
from application.inspections import InspectionWritten
from application.ports import Aggregates, CommandContext
from domain.errors import NotFound
from domain.inspection import Inspection
from domain.inspection_terms import FindingKind, InspectionKind, Rating
from domain.permissions import Actor
from projections.inspections import (
    InspectionDetail,
    InspectionOverview,
    InspectionSummary,
    Role,
    inspection_detail,
    inspection_overview,
    inspections_of,
)


class NewInspection(Body, frozen=True, kw_only=True):
    inspector_id: str
    target_ids: list[str]
    scope: list[str]
    """The resolutions and tasks under inspection (``29-NQ/TW``, ``Hướng dẫn 102``)."""
    period_from: date
    period_to: date
    starts_on: date
    due_on: date | None = None
    """Defaults to the legal term for the inspector's level (60, 45 or 20 days)."""
    kind: InspectionKind = InspectionKind.INSPECTION
    effective_on: date | None = None


class Team(Body, frozen=True, kw_only=True):
    members: list[str]
    decision_number: str | None = None
    effective_on: date | None = None


class Extension(Body, frozen=True, kw_only=True):
    due_on: date
    reason: str
    effective_on: date | None = None


class TargetText(Body, frozen=True, kw_only=True):
    """A draft conclusion or a remediation report, about one target."""

    target_id: str
    text: str
    effective_on: date | None = None


class SelfAssessment(Body, frozen=True, kw_only=True):
    target_id: str
    summary: str
    effective_on: date | None = None


class Finding(Body, frozen=True, kw_only=True):
    target_id: str
    kind: FindingKind
    text: str
    document: str | None = None
    effective_on: date | None = None


class Conclusion(Body, frozen=True, kw_only=True):
    target_id: str
    rating: Rating
    text: str
    remediation_due_on: date | None = None
    """Required when the rating calls for remediation."""
    effective_on: date | None = None


class Target(Body, frozen=True, kw_only=True):
    target_id: str
    effective_on: date | None = None


class Dated(Body, frozen=True, kw_only=True):
    effective_on: date | None = None


class InspectionPage(msgspec.Struct, frozen=True):
    inspections: list[InspectionSummary]
    next_after: str | None


InspectionHandler = Callable[[Any, CommandContext, Aggregates], Awaitable[InspectionWritten]]


async def _act(
    request: Request[Any, Any, Any],
    api: Api,
    actor: Actor,
    handler: InspectionHandler,
    command: type[InspectionCommand],
    inspection_id: UUID,
    data: Body,
    *,
    status: int = 200,
) -> Response[InspectionWritten]:
    """Run an inspection command whose body fields are the command's own."""
    fields = msgspec.structs.asdict(data)
    if isinstance(fields.get("members"), list):
        fields["members"] = tuple(fields["members"])
    return await api.writer.run(
        request,
        actor,
        handler,
        command(inspection_id=inspection_id, **fields),
        sight=sight_of(Inspection, inspection_id),
        status=status,
    )


class InspectionsController(Controller):
    path = "/api/v1/inspections"
    tags = ["inspections"]  # noqa: RUF012 (Litestar reads it as an instance attribute)

    @get(
        "/{inspection_id:uuid}",
        operation_id="getInspection",
        summary="One inspection in full",
        responses=READ_PROBLEMS,
    )
    async def read(
        self,
        api: ApiService,
        actor: Caller,
        inspection_id: FromPath[UUID],
        min_position: MinPosition = None,
    ) -> InspectionDetail:
        """Its targets, each with findings, conclusion and remediation; overdue judged
        today. Seen by the inspector's and the targets' subtrees."""
        async with api.store.pool.acquire() as connection:
            await api.caught_up(connection, min_position)
            found = await inspection_detail(connection, inspection_id, api.today())
            units = [found.inspector, *(t.target for t in found.targets)] if found else []
            visible = actor.admin or await connection.fetchval(
                "SELECT count(*) > 0 FROM org_units WHERE id = ANY($1::text[])"
                " AND path @> ARRAY[$2::text]",
                units,
                actor.organisation,
            )
        if found is None or not visible:
            raise NotFound(f"no inspection {inspection_id}", code="inspection_not_found")
        return found

    @post(
        "/",
        operation_id="planInspection",
        summary="Plan an inspection or supervision",
        status_code=201,
        responses=WRITE_PROBLEMS,
    )
    async def plan(
        self,
        request: Request[Any, Any, Any],
        api: ApiService,
        actor: Caller,
        data: JSONBody[NewInspection],
    ) -> Response[InspectionWritten]:
        """The inspector (a commission or committee) inspects units in its own subtree."""
        command = PlanInspection(
            inspector_id=data.inspector_id,
            target_ids=tuple(data.target_ids),
            scope=tuple(data.scope),
            period_from=data.period_from,
            period_to=data.period_to,
            starts_on=data.starts_on,
            due_on=data.due_on,
            kind=data.kind,
            effective_on=data.effective_on,
        )
        return await api.writer.run(
            request,
            actor,
            handle.plan_inspection,
            command,
            sight=sight_of_units(data.inspector_id),
            status=201,
        )

    @post(
        "/{inspection_id:uuid}/team",
        status_code=200,
        operation_id="decideInspectionTeam",
        summary="Decide the team",
        responses=WRITE_PROBLEMS,
    )
    async def team(
        self,
        request: Request[Any, Any, Any],
        api: ApiService,
        actor: Caller,
        inspection_id: FromPath[UUID],
        data: JSONBody[Team],
    ) -> Response[InspectionWritten]:
        return await _act(
            request, api, actor, handle.decide_team, DecideInspectionTeam, inspection_id, data
        )

    @post(
        "/{inspection_id:uuid}/extension",
        status_code=200,
        operation_id="extendInspection",
        summary="Extend the due date once, by at most a third",
        responses=WRITE_PROBLEMS,
    )
    async def extend(
        self,
        request: Request[Any, Any, Any],
        api: ApiService,
        actor: Caller,
        inspection_id: FromPath[UUID],
        data: JSONBody[Extension],
    ) -> Response[InspectionWritten]:
        return await _act(
            request, api, actor, handle.extend_inspection, ExtendInspection, inspection_id, data
        )

    @post(
        "/{inspection_id:uuid}/self-assessments",
        operation_id="receiveSelfAssessment",
        summary="A target's self-assessment report (báo cáo tự kiểm tra)",
        status_code=201,
        responses=WRITE_PROBLEMS,
    )
    async def self_assessment(
        self,
        request: Request[Any, Any, Any],
        api: ApiService,
        actor: Caller,
        inspection_id: FromPath[UUID],
        data: JSONBody[SelfAssessment],
    ) -> Response[InspectionWritten]:
        return await _act(
            request,
            api,
            actor,
            handle.receive_self_assessment,
            ReceiveSelfAssessment,
            inspection_id,
            data,
            status=201,
        )

    @post(
        "/{inspection_id:uuid}/findings",
        operation_id="recordFinding",
        summary="Record a finding about a target",
        status_code=201,
        responses=WRITE_PROBLEMS,
    )
    async def finding(
        self,
        request: Request[Any, Any, Any],
        api: ApiService,
        actor: Caller,
        inspection_id: FromPath[UUID],
        data: JSONBody[Finding],
    ) -> Response[InspectionWritten]:
        return await _act(
            request,
            api,
            actor,
            handle.record_finding,
            RecordFinding,
            inspection_id,
            data,
            status=201,
        )

    @post(
        "/{inspection_id:uuid}/draft-conclusions",
        operation_id="draftConclusion",
        summary="Send a draft conclusion to a target for comment",
        status_code=201,
        responses=WRITE_PROBLEMS,
    )
    async def draft(
        self,
        request: Request[Any, Any, Any],
        api: ApiService,
        actor: Caller,
        inspection_id: FromPath[UUID],
        data: JSONBody[TargetText],
    ) -> Response[InspectionWritten]:
        return await _act(
            request,
            api,
            actor,
            handle.draft_conclusion,
            DraftConclusion,
            inspection_id,
            data,
            status=201,
        )

    @post(
        "/{inspection_id:uuid}/conclusions",
        operation_id="issueConclusion",
        summary="Conclude on a target, with a rating and any remediation due date",
        status_code=201,
        responses=WRITE_PROBLEMS,
    )
    async def conclusion(
        self,
        request: Request[Any, Any, Any],
        api: ApiService,
        actor: Caller,
        inspection_id: FromPath[UUID],
        data: JSONBody[Conclusion],
    ) -> Response[InspectionWritten]:
        return await _act(
            request,
            api,
            actor,
            handle.issue_conclusion,
            IssueConclusion,
            inspection_id,
            data,
            status=201,
        )

    @post(
        "/{inspection_id:uuid}/remediations",
        operation_id="reportRemediation",
        summary="A target reports its remediation (khắc phục)",
        status_code=201,
        responses=WRITE_PROBLEMS,
    )
    async def remediation(
        self,
        request: Request[Any, Any, Any],
        api: ApiService,
        actor: Caller,
        inspection_id: FromPath[UUID],
        data: JSONBody[TargetText],
    ) -> Response[InspectionWritten]:
        return await _act(
            request,
            api,
            actor,
            handle.report_remediation,
            ReportRemediation,
            inspection_id,
            data,
            status=201,
        )

    @post(
        "/{inspection_id:uuid}/verifications",
        operation_id="verifyRemediation",
        summary="The inspector verifies a target's remediation",
        status_code=201,
        responses=WRITE_PROBLEMS,
    )
    async def verification(
        self,
        request: Request[Any, Any, Any],
        api: ApiService,
        actor: Caller,
        inspection_id: FromPath[UUID],
        data: JSONBody[Target],
    ) -> Response[InspectionWritten]:
        return await _act(
            request,
            api,
            actor,
            handle.verify_remediation,
            VerifyRemediation,
            inspection_id,
            data,
            status=201,
        )

    @post(
        "/{inspection_id:uuid}/closure",
        status_code=200,
        operation_id="closeInspection",
        summary="Close",
        responses=WRITE_PROBLEMS,
    )
    async def close(
        self,
        request: Request[Any, Any, Any],
        api: ApiService,
        actor: Caller,
        inspection_id: FromPath[UUID],
        data: JSONBody[Dated],
    ) -> Response[InspectionWritten]:
        return await _act(
            request, api, actor, handle.close_inspection, CloseInspection, inspection_id, data
        )

    @post(
        "/{inspection_id:uuid}/escalation",
        operation_id="escalateSupervision",
        summary="Turn a supervision into an inspection (dấu hiệu vi phạm)",
        status_code=201,
        responses=WRITE_PROBLEMS,
    )
    async def escalate(
        self,
        request: Request[Any, Any, Any],
        api: ApiService,
        actor: Caller,
        inspection_id: FromPath[UUID],
        data: JSONBody[Dated],
    ) -> Response[InspectionWritten]:
        return await _act(
            request,
            api,
            actor,
            handle.escalate_supervision,
            EscalateSupervision,
            inspection_id,
            data,
            status=201,
        )


class UnitInspectionsController(Controller):
    path = "/api/v1/organizations/{organization_id:str}/inspections"
    tags = ["inspections"]  # noqa: RUF012 (Litestar reads it as an instance attribute)

    @get(
        "/",
        operation_id="listInspections",
        summary="Inspections a unit runs or undergoes",
        responses=READ_PROBLEMS,
    )
    async def list_for(
        self,
        api: ApiService,
        actor: Caller,
        organization_id: FromPath[str],
        role: Annotated[
            Role,
            QueryParameter(
                description="inspector: those it runs; target: those it undergoes; any: both."
            ),
        ] = "any",
        open_only: Annotated[
            bool, QueryParameter(name="open", description="Only planned and under way.")
        ] = False,
        subtree: Annotated[bool, QueryParameter(description="Include units below it.")] = True,
        after: FromQuery[str | None] = None,
        limit: Limit = 100,
        min_position: MinPosition = None,
    ) -> InspectionPage:
        """Soonest due first; overdue judged today."""
        since = decode_key(after, date.min, UUID(int=0), date.fromisoformat, UUID)
        async with api.store.pool.acquire() as connection:
            await api.caught_up(connection, min_position)
            await visible_path(connection, actor, organization_id)
            page = await inspections_of(
                connection,
                organization_id,
                api.today(),
                subtree=subtree,
                role=role,
                open_only=open_only,
                after=since,
                limit=limit,
            )
        next_after = (
            encode_key(page[-1].due_on.isoformat(), page[-1].id) if len(page) == limit else None
        )
        return InspectionPage(page, next_after)

    @get(
        "/overview",
        operation_id="getInspectionOverview",
        summary="Inspections, conclusions by rating and remediation, at a glance",
        responses=READ_PROBLEMS,
    )
    async def overview(
        self,
        api: ApiService,
        actor: Caller,
        organization_id: FromPath[str],
        subtree: Annotated[bool, QueryParameter(description="Include units below it.")] = True,
        min_position: MinPosition = None,
    ) -> InspectionOverview:
        async with api.store.pool.acquire() as connection:
            await api.caught_up(connection, min_position)
            await visible_path(connection, actor, organization_id)
            return await inspection_overview(
                connection, organization_id, api.today(), subtree=subtree
            )
