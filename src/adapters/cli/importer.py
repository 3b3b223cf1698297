"""``khoagiao import FILE``: a guidance document (.txt, .md, .docx, .pdf) into a tracked
document with its tasks, after a look at the draft.

``--dry-run`` reads and extracts only (no database); ``--json`` prints the draft (and,
when issuing, what was resolved and issued) as JSON. Otherwise the draft is matched
against the organisations and documents in the system, shown, and issued once
confirmed (``--yes`` for scripts) through the normal command path, as the issuing unit
(the audit trail records the token id ``cli``).
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import msgspec

from application.errors import ConcurrencyError
from domain.errors import DomainError
from importing.draft import Draft
from importing.extract import extract
from importing.issuing import ImportRefused
from importing.readers import UnreadableDocument, read_text
from khoagiao.config import Settings

if TYPE_CHECKING:
    from adapters.store.event_store import PostgresEventStore
    from application.results import DocumentIssued
    from importing.resolution import Resolution


class _Declined(Exception):
    pass


def run(
    settings: Settings,
    path: str,
    *,
    dry_run: bool,
    as_json: bool,
    yes: bool,
    issuer: str | None,
) -> int:
    try:
        draft = extract(read_text(path, _read(path)))
        if dry_run:
            print(msgspec.json.encode(draft).decode() if as_json else _describe(draft))
            return 0
        from khoagiao.runtime import endpoints  # noqa: PLC0415 (a dry run needs no database)

        with endpoints(settings, nats=False) as found:
            confirm = (lambda: True) if yes else _ask
            return asyncio.run(_import(found.database_url, draft, issuer, confirm, as_json=as_json))
    except (UnreadableDocument, ImportRefused) as error:
        return _fail(str(error))
    except (DomainError, ConcurrencyError) as error:
        return _fail(f"{error.code}: {error}")
    except _Declined:
        print("not issued", file=sys.stderr)
        return 1


def _read(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as error:
        raise UnreadableDocument(f"cannot read {path}: {error.strerror}") from None


def _fail(message: str) -> int:
    print(f"khoagiao: error: {message}", file=sys.stderr)
    return 2


def _ask() -> bool:
    print("Issue this document? [y/N] ", end="", file=sys.stderr, flush=True)
    answer = sys.stdin.readline()
    return answer.strip().lower() in ("y", "yes", "có", "co")


async def _import(
    url: str,
    draft: Draft,
    issuer: str | None,
    confirm: Callable[[], bool],
    *,
    as_json: bool,
) -> int:
    """Resolve, show, confirm, issue. Imported here, not above: a dry run (the common,
    scripted use) should not pay for the database and service modules."""
    import uuid  # noqa: PLC0415

    from adapters.clock import SystemClock  # noqa: PLC0415
    from adapters.store.event_store import PostgresEventStore  # noqa: PLC0415
    from adapters.store.repository import AggregateRepository  # noqa: PLC0415
    from application.ports import CommandContext  # noqa: PLC0415
    from domain.permissions import Actor, Role  # noqa: PLC0415
    from importing.issuing import issue, to_command  # noqa: PLC0415
    from importing.resolution import resolve  # noqa: PLC0415
    from khoagiao.services import open_database  # noqa: PLC0415

    async with open_database(url) as pool:
        store = PostgresEventStore(pool)
        await _fresh_read_models(store, url)
        async with pool.acquire() as connection:
            resolution = await resolve(connection, draft, issuer_id=issuer)
        command = to_command(draft, resolution)
        if not as_json:
            print(_describe(draft, resolution))
        if not confirm():
            raise _Declined
        assert resolution.issuer is not None
        context = CommandContext(
            Actor(resolution.issuer.id, Role.OFFICER, "cli"),
            SystemClock().now(),
            correlation_id=uuid.uuid4(),
            request_id=f"import:{command.number}",
        )
        issued = await issue(draft, resolution, context, AggregateRepository(store))
    if as_json:
        report = {"draft": draft, "resolution": resolution, "issued": issued}
        print(msgspec.json.encode(report).decode())
    else:
        print(_issued(issued))
    return 0


async def _fresh_read_models(store: PostgresEventStore, url: str, *, within: float = 5.0) -> None:
    """The organisation tree and the document index up to the log's end: caught up here
    when no service is running, waited for when one is (it holds their runners' lock).
    A transaction left open elsewhere on the server holds the log's end back; after
    ``within`` seconds the import goes on with the read models as they are, and says so."""
    from adapters.store.projection_runner import ProjectionRunner, lag  # noqa: PLC0415
    from projections.cascade import DocumentIndex  # noqa: PLC0415
    from projections.organisation_tree import OrganisationTree  # noqa: PLC0415

    projections = (OrganisationTree(), DocumentIndex())
    for projection in projections:  # their tables, even when nothing can be applied yet
        await ProjectionRunner(projection, store, None, url).prepare()  # type: ignore[arg-type]

    async def fresh() -> None:
        for projection in projections:
            key = f"projection:{projection.name}"
            async with store.pool.acquire() as connection:
                if await connection.fetchval("SELECT pg_try_advisory_lock(hashtext($1))", key):
                    try:
                        runner = ProjectionRunner(projection, store, None, url)  # type: ignore[arg-type]
                        await runner.catch_up()
                    finally:
                        await connection.execute("SELECT pg_advisory_unlock(hashtext($1))", key)
                    continue
                for _ in range(int(within * 10)):  # the service's runner is on it
                    if not (await lag(connection, projection.name))["behind_events"]:
                        break
                    await asyncio.sleep(0.1)

    try:
        await asyncio.wait_for(fresh(), within)
    except TimeoutError:
        print(
            f"khoagiao: warning: the read models are still behind the log after {within:.0f} s "
            "(a long transaction on the server?): matching uses them as they are",
            file=sys.stderr,
        )


def _describe(draft: Draft, resolution: Resolution | None = None) -> str:
    d = draft.document
    lines = [
        f"{d.number or '(no number)'}  {d.title or '(no title)'}",
        f"  issued {d.issued_on or '(no date)'} at {d.place or '(no place)'} by "
        f"{d.issuer_name or '(no issuer)'} ({d.issuer_code or '-'}), signed {d.signer or '-'}",
    ]
    if d.implements:
        lines.append(
            f"  implements {d.implements.number} of {d.implements.issued_on or '(no date)'}"
            f" ({d.implements.issuer_name or '-'})"
        )
    if resolution:
        lines.append(
            "  resolved: issuer "
            + (f"{resolution.issuer.id} ({resolution.issuer.name})" if resolution.issuer else "-")
            + ", parent "
            + (f"{resolution.parent.number} {resolution.parent.id}" if resolution.parent else "-")
        )
    lines.append(f"  fields: {', '.join(d.fields) or '-'}")
    lines.append(f"  references ({len(d.references)}):")
    lines += [f"    {r.number}  {r.issued_on or '(no date)'}" for r in d.references]
    lines.append(f"  recipients ({len(d.recipients)}):")
    lines += [f"    {r.name}{'  (b/c)' if r.for_reporting else ''}" for r in d.recipients]
    lines.append(f"tasks ({len(draft.tasks)}):")
    for index, task in enumerate(draft.tasks):
        due = task.due_on or task.due_month or task.recurrence or "-"
        to = (
            ", ".join(resolution.assignees[index]) or "NO UNIT (left out)"
            if resolution
            else ", ".join(task.assignee_hint or []) or "-"
        )
        lines.append(f"  [{task.kind}] {task.title}  due {due}  to {to}")
    problems = draft.warnings + (resolution.problems if resolution else [])
    lines.append(f"warnings ({len(problems)}):")
    lines += [f"  {w.code}: {w.message}" for w in problems]
    return "\n".join(lines)


def _issued(issued: DocumentIssued) -> str:
    assignments = sum(len(task.assignments) for task in issued.tasks)
    return (
        f"issued {issued.number} as document {issued.id} at position {issued.position}: "
        f"{len(issued.tasks)} tasks, {assignments} assignments"
    )
