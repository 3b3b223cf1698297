"""The integration feed: pages in log order with next_after, and the same events as
Server-Sent Events that resume after Last-Event-ID."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx

from tests.api.conftest import ADMIN_TOKEN, ApiClient, token_for
from tests.api.scenario import register


async def sse_events(
    http: httpx.AsyncClient, token: str, count: int, **headers: str
) -> list[dict[str, Any]]:
    """The first ``count`` events of the stream."""
    received: list[dict[str, Any]] = []
    async with http.stream(
        "GET",
        "/api/v1/feed",
        headers={"Authorization": f"Bearer {token}", "Accept": "text/event-stream", **headers},
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        event: dict[str, str] = {}
        async for line in response.aiter_lines():
            if line.startswith(("id:", "event:", "data:")):
                name, _, value = line.partition(":")
                event[name] = value.strip()
            elif not line and "data" in event:
                received.append({**json.loads(event["data"]), "sse_id": event["id"]})
                event = {}
                if len(received) == count:
                    break
    return received


async def test_the_feed_pages_and_streams_the_same_events_and_resumes(server: str) -> None:
    async with httpx.AsyncClient(base_url=server, timeout=10) as http:
        admin = ApiClient(http, ADMIN_TOKEN)
        await register(admin)
        province = await token_for(admin, "btg-hai-phong", "reader")

        pages: list[dict[str, Any]] = []
        after = 0
        while True:
            page = (await province.get("/api/v1/feed", after=after, limit=2)).json()
            if not page["events"]:
                assert page["next_after"] == after
                break
            pages.extend(page["events"])
            after = page["next_after"]
        units = {e["organization_id"] for e in pages}
        assert units == {"btg-hai-phong", "btg-ngo-quyen", "btg-le-chan", "phuong-may-to"}

        streamed = await asyncio.wait_for(sse_events(http, province.token, len(pages)), 10)
        assert [e["id"] for e in streamed] == [e["id"] for e in pages]
        assert [int(e["sse_id"]) for e in streamed] == [e["position"] for e in pages]

        middle = pages[len(pages) // 2]
        resumed = await asyncio.wait_for(
            sse_events(
                http,
                province.token,
                len(pages) - len(pages) // 2 - 1,
                **{"Last-Event-ID": str(middle["position"])},
            ),
            10,
        )
        assert [e["id"] for e in resumed] == [e["id"] for e in pages[len(pages) // 2 + 1 :]]
