"""The dates of the national demo year (2025), each as the story needs it."""

from __future__ import annotations

from datetime import date

ESTABLISHED = date(2020, 1, 1)
"""The units are in force from here (entered later, so marked backdated)."""
ENTERED = date(2024, 12, 2)
CENTRAL_ISSUES = date(2024, 12, 20)
PROVINCES_LATEST, DISTRICTS_LATEST = date(2025, 2, 10), date(2025, 3, 5)
"""A late province still leaves its districts time; a district issues before its
communes' first quarterly report falls due (10/03)."""
CENTRAL_RENAMED, PROVINCES_RENAMED = date(2025, 2, 1), date(2025, 3, 1)
"""The propaganda and mass-mobilisation commissions merge: new names, new codes."""
MERGER = date(2025, 7, 1)
AMENDED = date(2025, 9, 15)
ENDS = date(2026, 2, 15)
"""After the year's reports (due in January 2026) and the late ones."""
