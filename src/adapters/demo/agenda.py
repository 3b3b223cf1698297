"""A simulated year: what happens on which day, recorded at that day's time.

The generator never reads the system clock for its facts: the agenda is its clock. Each
day's actions run in turn, and every command of a day is recorded at the same moment
(the end of that working day, Vietnam time), so a day's facts share their metadata and
go to the log in few appends. An action may plan more actions, never before its own day.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, time, timedelta

from application.ports import CommandContext
from domain.calendar import VIETNAM
from domain.permissions import Actor

Action = Callable[[date], Awaitable[None]]

FIRST, NORMAL = 0, 1
"""Priorities within a day: FIRST actions (a reorganisation taking effect) run before
the day's ordinary business."""

RECORDED_AT = time(17, 0)
"""When a day's facts are recorded, Vietnam time."""


def recorded_on(day: date) -> datetime:
    return datetime.combine(day, RECORDED_AT, VIETNAM).astimezone(UTC)


class Agenda:
    def __init__(self, actor: Actor) -> None:
        self.actor = actor
        self.today: date | None = None
        self._queue: list[tuple[date, int, int, Action]] = []
        self._order = itertools.count()

    def at(self, day: date, action: Action, *, priority: int = NORMAL) -> None:
        if self.today is not None and day < self.today:
            raise ValueError(f"cannot plan for {day}, before today ({self.today})")
        heapq.heappush(self._queue, (day, priority, next(self._order), action))

    def after(self, day: date, days: int, action: Action) -> date:
        """Plan ``action`` ``days`` after ``day``; the day it will run."""
        when = day + timedelta(days=days)
        self.at(when, action)
        return when

    def context(self, day: date) -> CommandContext:
        """Who records the facts of ``day``, and when."""
        return CommandContext(self.actor, recorded_on(day))

    async def run(self, between_days: Callable[[], Awaitable[None]] | None = None) -> None:
        """Run every action, day by day; ``between_days`` after each day's last."""
        while self._queue:
            day, _, _, action = heapq.heappop(self._queue)
            self.today = day
            await action(day)
            if between_days is not None and (not self._queue or self._queue[0][0] != day):
                await between_days()
