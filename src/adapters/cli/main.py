"""The ``khoagiao`` command: one verb per job (serve, audit, bench, ...).

Every failure a user can cause or fix (configuration, an unreachable server, a busy
port, an unusable data directory) ends in one line on stderr and a non-zero exit code,
never a traceback.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from adapters.embedded.errors import EmbeddedServerError
from adapters.store.database import MigrationError
from khoagiao.collector import tune_garbage_collector
from khoagiao.config import ConfigError, Settings
from khoagiao.runtime import ServiceUnavailable

USER_ERRORS = (ConfigError, EmbeddedServerError, ServiceUnavailable, MigrationError)


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        prog="khoagiao",
        description="Track the khoa giáo guidance cascade: documents, tasks, reports, inspections.",
    )
    verbs = root.add_subparsers(dest="verb", required=True, metavar="VERB")

    verbs.add_parser("serve", help="run the HTTP API (embedded PostgreSQL and NATS by default)")

    demo = verbs.add_parser("demo", help="load demo data into an empty log")
    demo_verbs = demo.add_subparsers(dest="demo_verb", required=True, metavar="WHAT")
    national = demo_verbs.add_parser("national", help="a generated national year (2025)")
    national.add_argument("--scale", type=float, default=1.0, help="tree size (default 1)")
    national.add_argument("--seed", type=int, default=1, help="the same seed, the same year")
    national.add_argument("--json", action="store_true", help="print the tally as JSON")
    demo_verbs.add_parser("seeds", help="the real cascade of the seed documents")

    audit = verbs.add_parser("audit", help="prove the event log unaltered")
    audit_verbs = audit.add_subparsers(dest="audit_verb", required=True, metavar="ACTION")
    verify = audit_verbs.add_parser("verify", help="check every stream's hash chain")
    verify.add_argument("--stream", help="check only this stream id (a UUID)")
    verify.add_argument("--json", action="store_true", help="print the report as JSON")

    projections = verbs.add_parser("projections", help="the read models")
    projection_verbs = projections.add_subparsers(
        dest="projections_verb", required=True, metavar="ACTION"
    )
    status = projection_verbs.add_parser("status", help="checkpoint and lag of each projection")
    status.add_argument("--json", action="store_true", help="print JSON")
    rebuild = projection_verbs.add_parser(
        "rebuild", help="rebuild from zero beside the live tables, then swap them in"
    )
    rebuild.add_argument("name", nargs="?", help="one projection (default: every one)")
    rebuild.add_argument("--json", action="store_true", help="print JSON")

    importer = verbs.add_parser(
        "import", help="a guidance document (.txt, .md, .docx, .pdf) into a document and tasks"
    )
    importer.add_argument("file", help="the document to import")
    importer.add_argument("--dry-run", action="store_true", help="only show the draft")
    importer.add_argument("--json", action="store_true", help="print JSON")
    importer.add_argument("--yes", action="store_true", help="issue without asking")
    importer.add_argument(
        "--as", dest="issuer", metavar="ORGANISATION", help="the issuing organisation's id"
    )

    bench = verbs.add_parser("bench", help="measure throughput")
    bench_verbs = bench.add_subparsers(dest="bench_verb", required=True, metavar="WHAT")
    views = bench_verbs.add_parser("projections", help="rebuild, roll-up reads and view lag")
    views.add_argument("--json", action="store_true", help="print one JSON object")
    views.add_argument("--scale", type=float, default=1.0, help="national data set size")
    store = bench_verbs.add_parser("store", help="event store appends and log following")
    store.add_argument("--json", action="store_true", help="print one JSON object")
    store.add_argument(
        "--scale", type=float, default=1.0, help="multiply the workload counts (default 1)"
    )
    api = bench_verbs.add_parser("api", help="the HTTP service under 32 concurrent clients")
    api.add_argument("--json", action="store_true", help="print one JSON object")
    api.add_argument("--count", type=int, default=4000, help="requests per workload")
    api.add_argument("--clients", type=int, default=32, help="concurrent connections")
    notify = bench_verbs.add_parser("notify", help="relay throughput and end-to-end latency")
    notify.add_argument("--json", action="store_true", help="print one JSON object")

    watch = verbs.add_parser("watch", help="print, live, the events below an organisation")
    watch.add_argument("organisation", help="the organisation id, e.g. btg-hai-phong")
    watch.add_argument(
        "--since", type=int, metavar="POSITION", help="start over after this log position"
    )
    watch.add_argument("--json", action="store_true", help="print the raw messages")
    return root


def main(argv: Sequence[str] | None = None) -> int:
    arguments = parser().parse_args(argv)
    tune_garbage_collector()
    try:
        settings = Settings.from_env(os.environ)
        logging.basicConfig(
            level=settings.log_level,
            format="%(asctime)s %(levelname)s %(name)s: %(message)s",
            stream=sys.stderr,
        )
        return _dispatch(arguments, settings)
    except USER_ERRORS as error:
        print(f"khoagiao: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _dispatch(arguments: argparse.Namespace, settings: Settings) -> int:
    if arguments.verb == "serve":
        from khoagiao.serve import serve

        return serve(settings)
    if arguments.verb == "audit":
        from adapters.cli.audit import verify

        return verify(settings, stream=arguments.stream, as_json=arguments.json)
    if arguments.verb == "demo":
        from adapters.cli import demo

        if arguments.demo_verb == "seeds":
            return demo.seeds(settings)
        return demo.national(
            settings, seed=arguments.seed, scale=arguments.scale, as_json=arguments.json
        )
    if arguments.verb == "projections":
        from adapters.cli.projections import rebuild_projections, status

        if arguments.projections_verb == "rebuild":
            return rebuild_projections(settings, arguments.name, as_json=arguments.json)
        return status(settings, as_json=arguments.json)
    if arguments.verb == "bench" and arguments.bench_verb == "notify":
        from adapters.bench.notify import notify

        return notify(settings, as_json=arguments.json)
    if arguments.verb == "watch":
        from adapters.cli.watch import watch

        return watch(
            settings, arguments.organisation, since=arguments.since, as_json=arguments.json
        )
    if arguments.verb == "import":
        from adapters.cli.importer import run

        return run(
            settings,
            arguments.file,
            dry_run=arguments.dry_run,
            as_json=arguments.json,
            yes=arguments.yes,
            issuer=arguments.issuer,
        )
    if arguments.verb == "bench" and arguments.bench_verb == "projections":
        from adapters.cli.bench import projections

        return projections(settings, as_json=arguments.json, scale=arguments.scale)
    if arguments.verb == "bench" and arguments.bench_verb == "api":
        from adapters.cli.bench import api

        return api(
            settings, as_json=arguments.json, count=arguments.count, clients=arguments.clients
        )
    if arguments.verb == "bench":
        from adapters.cli.bench import store

        return store(settings, as_json=arguments.json, scale=arguments.scale)
    raise AssertionError(arguments.verb)
