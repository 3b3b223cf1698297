"""Event ids come from ``random_uuids``: they must be what ``uuid.uuid4()`` would give."""

from __future__ import annotations

import pickle
import uuid

from adapters.store.repository import random_uuids


def test_random_uuids_are_distinct_version_4_uuids_like_uuid4_makes() -> None:
    ids = random_uuids(10_000)

    assert len(ids) == len(set(ids)) == 10_000
    for made in ids[:500]:
        assert made.version == 4
        assert made.variant == uuid.RFC_4122
        parsed = uuid.UUID(str(made))
        assert parsed == made and hash(parsed) == hash(made)
        assert pickle.loads(pickle.dumps(made)) == made
    # Every bit outside the version and the variant varies.
    fixed = 0xF000 << 64 | 0xC000 << 48
    varied = 0
    for made in ids:
        varied |= made.int ^ ids[0].int
    assert varied == ((1 << 128) - 1) & ~fixed


def test_no_uuids_for_no_events() -> None:
    assert random_uuids(0) == []
