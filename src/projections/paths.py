"""Unit paths held in memory through a batch, changed as the batch's registrations and
moves change them in a projection's table of paths — so that each event of the batch
finds its unit's path as it stood at that event, without asking the table again."""

from __future__ import annotations


class UnitPaths:
    """The paths of the units a batch needs (``path`` from the root down to the unit)."""

    def __init__(self, paths: dict[str, list[str]]) -> None:
        self._paths: dict[str, list[str]] = {}
        self._below: dict[str, set[str]] = {}
        """For each unit, the units held here whose paths run through it."""
        for unit, path in paths.items():
            self.set(unit, path)

    def get(self, unit: str) -> list[str] | None:
        return self._paths.get(unit)

    def set(self, unit: str, path: list[str]) -> None:
        for above in self._paths.get(unit, []):
            self._below[above].discard(unit)
        self._paths[unit] = path
        for above in path:
            self._below.setdefault(above, set()).add(unit)

    def move(self, unit: str, parent_path: list[str]) -> list[str]:
        """As the table's move: the unit and every unit held below it take
        ``parent_path`` in place of the unit's ancestors. The units it changed."""
        moved = list(self._below.get(unit, ()))
        for other in moved:
            path = self._paths[other]
            self.set(other, parent_path + path[path.index(unit) :])
        return moved
