"""Who may read what: a unit reads its own subtree and what is addressed to it."""

from __future__ import annotations

from domain.permissions import Actor, Role, can_read

WARD = ["btg-tw", "btg-hai-phong", "btg-ngo-quyen", "phuong-may-to"]


def test_a_unit_reads_its_subtree_not_its_parent_or_a_sibling() -> None:
    district = Actor("btg-ngo-quyen", Role.READER)
    assert can_read(district, WARD)
    assert can_read(district, WARD[:3])
    assert not can_read(district, WARD[:2])
    assert not can_read(district, ["btg-tw", "btg-hai-phong", "btg-le-chan"])


def test_what_is_addressed_to_a_unit_it_may_read_wherever_it_comes_from() -> None:
    sibling = Actor("btg-binh-dinh", Role.READER)
    assert not can_read(sibling, WARD[:2])
    assert can_read(sibling, WARD[:2], addressed_to={"btg-binh-dinh"})
    assert can_read(Actor("system", Role.ADMIN), WARD)
