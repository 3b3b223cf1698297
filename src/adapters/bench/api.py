"""``khoagiao bench api``: the HTTP service under load, as integrators would drive it.

The real service (``khoagiao serve``) runs as a child process on a scratch database of
the configured (or embedded) PostgreSQL, with the projections following the log. This
process is the load generator: it registers a tree over the API (a central commission,
provinces, districts, grassroots units, a token for each), has every district issue a
guidance whose tasks give each grassroots unit open assignments, and then times two
workloads, each a fixed number of requests spread over ``clients`` concurrent
keep-alive connections:

* **submissions** — ``POST /api/v1/assignments/{id}/submissions`` by the assignee's
  reporter, each to a distinct open assignment (every one a real command: load the
  aggregate, decide, append with its hash chain, one transaction);
* **compliance reads** — ``GET /api/v1/organizations/{id}/compliance`` by each unit's
  own token, cycling through the four levels.

Latency is measured per request, from writing it to reading the last byte of the
answer. The load generator speaks just enough HTTP/1.1 to cost tens of microseconds a
request: it shares the machine's cores with the server it measures, and a full client
(httpx) would spend several times the server's own CPU time per request. Each workload
also reports the CPU the server process and this process spent per request, which says
where the time went without a profiler.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import math
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg

from adapters.bench.store import scratch_database
from adapters.clock import SystemClock
from domain.calendar import vietnam_date

Progress = Callable[[str], None]
Results = dict[str, dict[str, float]]

PROVINCES = 4
DISTRICTS_PER_PROVINCE = 4
GRASSROOTS_PER_DISTRICT = 16
_START_SECONDS = 90.0
SERVE = "from adapters.cli.main import main; exit(main(['serve']))"
"""The service, as ``khoagiao serve`` runs it, in the same Python environment."""
_CATCH_UP_SECONDS = 60.0
_ANSWER_SECONDS = 30.0
_SETUP_CLIENTS = 8
"""Setting up is not measured, so it stays well below the service's pool of connections."""


@dataclass(frozen=True)
class Target:
    per_s: float
    p99_ms: float


TARGETS = {
    "submissions": Target(per_s=800, p99_ms=100),
    "compliance_reads": Target(per_s=3000, p99_ms=50),
}
"""On this 2-core machine, from the HTTP API issue."""


class BenchError(RuntimeError):
    """The service did not start or answered a request with an error."""


# -- a lean HTTP/1.1 client ------------------------------------------------------------
@dataclass(frozen=True)
class Request:
    method: str
    path: str
    token: str | None = None
    body: bytes | None = None

    def encoded(self, host: str) -> bytes:
        head = f"{self.method} {self.path} HTTP/1.1\r\nHost: {host}\r\n"
        if self.token is not None:
            head += f"Authorization: Bearer {self.token}\r\n"
        if self.body is not None:
            head += f"Content-Type: application/json\r\nContent-Length: {len(self.body)}\r\n"
        return head.encode() + b"\r\n" + (self.body or b"")


class HttpConnection:
    """One keep-alive connection: a request, then its whole answer, in turn."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def send(self, request: Request) -> tuple[int, bytes]:
        if self._streams is None:
            self._streams = await asyncio.open_connection(self.host, self.port)
        reader, writer = self._streams
        writer.write(request.encoded(f"{self.host}:{self.port}"))
        status_line = await reader.readline()
        if not status_line:
            raise BenchError(f"{request.method} {request.path}: the server closed the connection")
        length, chunked, closing = 0, False, False
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding":
                chunked = b"chunked" in value.lower()
            elif name == b"connection":
                closing = b"close" in value.lower()
        body = await _chunked(reader) if chunked else await reader.readexactly(length)
        if closing:
            await self.close()
        return int(status_line.split(b" ", 2)[1]), body

    async def close(self) -> None:
        if self._streams is not None:
            self._streams[1].close()
            with contextlib.suppress(OSError):
                await self._streams[1].wait_closed()
            self._streams = None


async def _chunked(reader: asyncio.StreamReader) -> bytes:
    parts = []
    while size := int((await reader.readline()).split(b";")[0], 16):
        parts.append(await reader.readexactly(size))
        await reader.readline()
    await reader.readline()
    return b"".join(parts)


class Clients:
    """``count`` concurrent connections working through a list of requests."""

    def __init__(self, base: tuple[str, int], count: int) -> None:
        self.connections = [HttpConnection(*base) for _ in range(count)]

    async def run(self, requests: Sequence[Request], expect: int) -> list[tuple[float, bytes]]:
        """Every request sent once; (seconds it took, body) in request order. An answer
        other than ``expect`` stops the run: a benchmark of refusals measures nothing."""
        results: list[tuple[float, bytes]] = [(0.0, b"")] * len(requests)
        queue = iter(enumerate(requests))

        async def work(connection: HttpConnection) -> None:
            for index, request in queue:
                started = time.perf_counter()
                try:
                    async with asyncio.timeout(_ANSWER_SECONDS):
                        status, body = await connection.send(request)
                except TimeoutError:
                    raise BenchError(
                        f"{request.method} {request.path}: no answer within {_ANSWER_SECONDS:g}s"
                    ) from None
                if status != expect:
                    raise BenchError(
                        f"{request.method} {request.path} answered {status}: {body[:300]!r}"
                    )
                results[index] = (time.perf_counter() - started, body)

        await asyncio.gather(*(work(c) for c in self.connections))
        return results

    async def each(self, requests: Sequence[Request], expect: int) -> list[Any]:
        """The decoded JSON answers (for setting up, not timed)."""
        return [json.loads(body) for _, body in await self.run(requests, expect)]

    async def close(self) -> None:
        for connection in self.connections:
            await connection.close()


# -- the service under test ------------------------------------------------------------
@dataclass(frozen=True)
class Service:
    process: asyncio.subprocess.Process
    host: str
    port: int
    admin_token: str

    def cpu_seconds(self) -> float:
        """User + system CPU time so far of the service's Python processes: ``khoagiao
        serve`` and its HTTP workers, not the embedded servers it started (Linux)."""
        python = Path(f"/proc/{self.process.pid}/exe").resolve()
        ticks = 0
        for pid in [self.process.pid, *_descendants(self.process.pid)]:
            with contextlib.suppress(OSError):
                if Path(f"/proc/{pid}/exe").resolve() == python:
                    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
                    ticks += int(fields[11]) + int(fields[12])
        return ticks / os.sysconf("SC_CLK_TCK")


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError):
            parent = int(stat.read_text().rpartition(")")[2].split()[1])
            children.setdefault(parent, []).append(int(stat.parent.name))
    found, waiting = [], [pid]
    while waiting:
        below = children.get(waiting.pop(), [])
        found += below
        waiting += below
    return found


@contextlib.asynccontextmanager
async def running_service(database_url: str, nats_url: str | None) -> AsyncIterator[Service]:
    """``khoagiao serve`` on a free port of the loopback, with a data directory of its
    own (so it publishes no runtime.json over a real service's), stopped with SIGTERM."""
    with tempfile.TemporaryDirectory(prefix="khoagiao-bench-api-") as data_dir:
        token = "kg_bench_" + secrets.token_urlsafe(24)
        port = _free_port()
        env = {
            **os.environ,
            "KHOAGIAO_DATA_DIR": data_dir,
            "KHOAGIAO_DATABASE_URL": database_url,
            "KHOAGIAO_HOST": "127.0.0.1",
            "KHOAGIAO_PORT": str(port),
            "KHOAGIAO_ADMIN_TOKEN": token,
            "KHOAGIAO_LOG_LEVEL": "WARNING",
            "KHOAGIAO_NATS_PREFIX": f"kgbench{secrets.token_hex(4)}",
        }
        if nats_url is not None:
            env["KHOAGIAO_NATS_URL"] = nats_url
        log = Path(data_dir) / "serve.log"
        with log.open("wb") as output:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-c",
                SERVE,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        service = Service(process, "127.0.0.1", port, token)
        try:
            await _until_healthy(service, log)
            yield service
        except BenchError as error:
            raise BenchError(f"{error}\nkhoagiao serve said:\n{await _tail(log)}") from None
        finally:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), 30)
            except TimeoutError:
                process.kill()
                await process.wait()


async def _tail(log: Path, lines: int = 20) -> str:
    text = await asyncio.to_thread(log.read_text, errors="replace")
    return "\n".join(text.strip().splitlines()[-lines:])


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def _until_healthy(service: Service, log: Path) -> None:
    connection = HttpConnection(service.host, service.port)
    deadline = time.monotonic() + _START_SECONDS
    try:
        while True:
            if service.process.returncode is not None:
                raise BenchError(f"khoagiao serve exited with {service.process.returncode}")
            with contextlib.suppress(OSError, BenchError):
                status, _ = await connection.send(Request("GET", "/health"))
                if status == 200:
                    return
                await connection.close()
            if time.monotonic() > deadline:
                raise BenchError(f"khoagiao serve did not answer /health within {_START_SECONDS}s")
            await asyncio.sleep(0.2)
    finally:
        await connection.close()


# -- the tree and its assignments ------------------------------------------------------
@dataclass(frozen=True)
class Unit:
    id: str
    level: str
    parent: str | None

    def body(self) -> bytes:
        codes = {"central": "BTGTW", "province": "BTGTU", "district": "BTGHU"}
        return json.dumps(
            {
                "id": self.id,
                "name": f"Ban Tuyên giáo {self.id}",
                "level": self.level,
                "kind": "propaganda_commission" if self.level in codes else "grassroots_party",
                "parent_id": self.parent,
                "issuer_code": codes.get(self.level),
                "effective_on": "2020-01-01",
            }
        ).encode()


def tree() -> list[list[Unit]]:
    """The units level by level: 1 central, 4 provinces, 16 districts, 256 grassroots."""
    root = Unit("bench-tw", "central", None)
    provinces = [Unit(f"bench-p{p}", "province", root.id) for p in range(1, PROVINCES + 1)]
    districts = [
        Unit(f"{p.id}-d{d}", "district", p.id)
        for p in provinces
        for d in range(1, DISTRICTS_PER_PROVINCE + 1)
    ]
    grassroots = [
        Unit(f"{d.id}-g{g:02}", "grassroots", d.id)
        for d in districts
        for g in range(1, GRASSROOTS_PER_DISTRICT + 1)
    ]
    return [[root], provinces, districts, grassroots]


async def register(clients: Clients, admin: str, levels: list[list[Unit]]) -> dict[str, str]:
    """Every unit, and a token for each (reporter for grassroots, reader above): unit id
    -> token. Siblings are registered one after another (each attaches itself to their
    parent's stream), different parents' children at once."""
    for level in levels:
        by_parent = [list(group) for _, group in itertools.groupby(level, lambda u: u.parent)]
        for rank in range(max(len(group) for group in by_parent)):
            batch = [g[rank] for g in by_parent if rank < len(g)]
            await clients.run(
                [Request("POST", "/api/v1/organizations", admin, u.body()) for u in batch], 201
            )
    units = [unit for level in levels for unit in level]
    issued = await clients.each(
        [
            Request(
                "POST",
                "/api/v1/tokens",
                admin,
                json.dumps(
                    {
                        "organization_id": unit.id,
                        "role": "reporter" if unit.level == "grassroots" else "reader",
                        "label": "bench",
                    }
                ).encode(),
            )
            for unit in units
        ],
        201,
    )
    return {unit.id: answer["token"] for unit, answer in zip(units, issued, strict=True)}


async def open_assignments(
    clients: Clients, admin: str, districts: Sequence[Unit], grassroots: Sequence[Unit], needed: int
) -> list[tuple[str, str]]:
    """At least ``needed`` open assignments: each district issues a guidance whose tasks
    go to each of its grassroots units. (assignment id, assignee) pairs."""
    tasks = math.ceil(needed / len(grassroots))
    today = vietnam_date(SystemClock().now())
    documents = []
    for district in districts:
        below = [unit.id for unit in grassroots if unit.parent == district.id]
        body = {
            "number": "1-HD/BTGHU",
            "title": "Hướng dẫn công tác khoa giáo",
            "issued_on": (today - timedelta(days=10)).isoformat(),
            "issuer_id": district.id,
            "fields": ["giáo dục", "y tế"],
            "tasks": [
                {
                    "kind": "periodic_report",
                    "title": f"Báo cáo chuyên đề {number}",
                    "field": "y tế" if number % 2 else "giáo dục",
                    "due_on": (today + timedelta(days=30)).isoformat(),
                    "assignee_ids": below,
                }
                for number in range(1, tasks + 1)
            ],
        }
        documents.append(Request("POST", "/api/v1/documents", admin, json.dumps(body).encode()))
    issued = await clients.each(documents, 201)
    return [
        (assignment["id"], assignment["assignee_id"])
        for document in issued
        for task in document["tasks"]
        for assignment in task["assignments"]
    ]


_SUBMISSION = json.dumps(
    {
        "summary": "Báo cáo kết quả thực hiện công tác khoa giáo",
        "figures": {"so_lop_tap_huan": 3, "so_nguoi_tham_du": 120},
        "attachments": [{"name": "bao-cao.pdf", "size": 48213, "sha256": "ab" * 32}],
    }
).encode()


def submissions(assignments: Sequence[tuple[str, str]], tokens: dict[str, str]) -> list[Request]:
    return [
        Request("POST", f"/api/v1/assignments/{a}/submissions", tokens[unit], _SUBMISSION)
        for a, unit in assignments
    ]


def compliance_reads(levels: list[list[Unit]], tokens: dict[str, str]) -> Iterator[Request]:
    """Each level in turn, each unit of a level in turn, read with its own token."""
    cycles = [itertools.cycle(level) for level in levels]
    for cycle in itertools.cycle(cycles):
        unit = next(cycle)
        yield Request("GET", f"/api/v1/organizations/{unit.id}/compliance", tokens[unit.id])


async def caught_up(clients: Clients) -> None:
    """Wait until every projection has applied the whole log (``/health``)."""
    deadline = time.monotonic() + _CATCH_UP_SECONDS
    while True:
        (health,) = await clients.each([Request("GET", "/health")], 200)
        if all(p["behind_events"] == 0 for p in health["projections"]):
            return
        if time.monotonic() > deadline:
            raise BenchError(f"the projections did not catch up within {_CATCH_UP_SECONDS:g}s")
        await asyncio.sleep(0.1)


# -- measuring -------------------------------------------------------------------------
async def measure(
    service: Service, clients: Clients, requests: Sequence[Request], expect: int, warmup: int
) -> dict[str, float]:
    """Untimed ``warmup`` requests first (connections, caches, prepared statements), then
    the rest timed: throughput, latency percentiles, CPU per request on both sides."""
    await clients.run(requests[:warmup], expect)
    timed = requests[warmup:]
    server_cpu, own_cpu = service.cpu_seconds(), time.process_time()
    started = time.perf_counter()
    results = await clients.run(timed, expect)
    seconds = time.perf_counter() - started
    server_cpu, own_cpu = service.cpu_seconds() - server_cpu, time.process_time() - own_cpu
    latencies = sorted(spent * 1000 for spent, _ in results)
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    return {
        "count": len(timed),
        "per_s": len(timed) / seconds,
        "p50_ms": cuts[49],
        "p99_ms": cuts[98],
        "max_ms": latencies[-1],
        "server_cpu_ms_per_request": server_cpu * 1000 / len(timed),
        "client_cpu_ms_per_request": own_cpu * 1000 / len(timed),
    }


def judged(name: str, figures: dict[str, float]) -> dict[str, float]:
    """The figures with their ratios to the target (≥ 1 is met for both)."""
    target = TARGETS[name]
    return {
        **figures,
        "per_s_vs_target": figures["per_s"] / target.per_s,
        "p99_vs_target": target.p99_ms / figures["p99_ms"],
    }


async def run_api_benchmark(
    admin_dsn: str,
    nats_url: str | None,
    *,
    count: int = 4000,
    clients: int = 32,
    progress: Progress | None = None,
) -> Results:
    """Start the service on a scratch database, set up the tree and its assignments over
    HTTP, then time ``count`` submissions and ``count`` compliance reads."""
    report = progress or (lambda _: None)
    async with scratch_database(admin_dsn) as dsn, running_service(dsn, nats_url) as service:
        report(f"khoagiao serve on port {service.port}, pid {service.process.pid}")
        pool = Clients((service.host, service.port), clients)
        setup = Clients((service.host, service.port), min(clients, _SETUP_CLIENTS))
        try:
            levels = tree()
            tokens = await register(setup, service.admin_token, levels)
            assignments = await open_assignments(
                setup, service.admin_token, levels[2], levels[3], count + clients
            )
            report(f"{sum(map(len, levels))} units, {len(assignments)} open assignments")
            await caught_up(pool)
            report(f"submissions: {count} by {clients} clients")
            results = {
                "submissions": await measure(
                    service, pool, submissions(assignments[: count + clients], tokens), 201, clients
                )
            }
            await caught_up(pool)
            reads = list(itertools.islice(compliance_reads(levels, tokens), count + clients))
            report(f"compliance reads: {count} by {clients} clients")
            results["compliance_reads"] = await measure(service, pool, reads, 200, clients)
        finally:
            await setup.close()
            await pool.close()
    return {name: judged(name, figures) for name, figures in results.items()}


def format_table(results: Results) -> str:
    lines = [
        f"{'workload':<18}{'per s':>9}{'p50 ms':>9}{'p99 ms':>9}{'target':>18}"
        f"{'rate/target':>13}{'target/p99':>12}{'server cpu':>12}"
    ]
    for name, figures in results.items():
        target = TARGETS[name]
        met = figures["per_s_vs_target"] >= 1 and figures["p99_vs_target"] >= 1
        lines.append(
            f"{name:<18}{figures['per_s']:>9,.0f}{figures['p50_ms']:>9.1f}"
            f"{figures['p99_ms']:>9.1f}{f'≥{target.per_s:,.0f}/s, ≤{target.p99_ms:g}ms':>18}"
            f"{figures['per_s_vs_target']:>12.2f}×{figures['p99_vs_target']:>11.2f}×"
            f"{figures['server_cpu_ms_per_request']:>9.2f} ms  {'PASS' if met else 'MISS'}"
        )
    lines.append("(ratios ≥ 1 meet the target; server cpu is per request)")
    return "\n".join(lines)


def main_api(
    admin_dsn: str, nats_url: str | None, *, as_json: bool, count: int, clients: int
) -> int:
    """The CLI's ``bench api``: progress on stderr, the figures on stdout."""

    def progress(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    try:
        results = asyncio.run(
            run_api_benchmark(admin_dsn, nats_url, count=count, clients=clients, progress=progress)
        )
    except (OSError, RuntimeError, asyncpg.PostgresError) as error:
        print(f"bench api: {error}", file=sys.stderr)
        return 1
    print(json.dumps(results) if as_json else format_table(results))
    return 0


__all__ = ["main_api", "run_api_benchmark"]
