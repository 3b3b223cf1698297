"""Place names for the national demo: the 63 provinces and cities as they stood before
01/07/2025, grouped as they merged into 34 on that day (the first of each group gives
the merged province its name and survives), and syllables for the names of districts
and communes (generated: the real ~700 districts and ~10,000 communes are not listed).
"""

from __future__ import annotations

import random
import re
import unicodedata
from dataclasses import dataclass

CITY, PROVINCE = "Thành phố", "Tỉnh"


@dataclass(frozen=True)
class Place:
    name: str
    kind: str  # CITY or PROVINCE

    @property
    def key(self) -> str:
        return ascii_slug(self.name)

    @property
    def committee(self) -> str:
        """The party committee's title: Thành ủy for a city, Tỉnh ủy for a province."""
        return "Thành ủy" if self.kind == CITY else "Tỉnh ủy"


def _p(*names: str) -> tuple[Place, ...]:
    return tuple(Place(n, PROVINCE) for n in names)


def _c(name: str, *merged: str) -> tuple[Place, ...]:
    return (Place(name, CITY), *_p(*merged))


MERGER_GROUPS: tuple[tuple[Place, ...], ...] = (
    # In the order a scaled-down demo takes them: a city absorbing a province, a place
    # left as it was, a three-way merger, then the rest.
    _c("Hải Phòng", "Hải Dương"),
    _c("Hà Nội"),
    _p("Ninh Bình", "Hà Nam", "Nam Định"),
    _c("Hồ Chí Minh", "Bình Dương", "Bà Rịa - Vũng Tàu"),
    _c("Đà Nẵng", "Quảng Nam"),
    _c("Cần Thơ", "Sóc Trăng", "Hậu Giang"),
    _c("Huế"),
    _p("Tuyên Quang", "Hà Giang"),
    _p("Lào Cai", "Yên Bái"),
    _p("Thái Nguyên", "Bắc Kạn"),
    _p("Phú Thọ", "Vĩnh Phúc", "Hòa Bình"),
    _p("Bắc Ninh", "Bắc Giang"),
    _p("Hưng Yên", "Thái Bình"),
    _p("Quảng Trị", "Quảng Bình"),
    _p("Quảng Ngãi", "Kon Tum"),
    _p("Gia Lai", "Bình Định"),
    _p("Khánh Hòa", "Ninh Thuận"),
    _p("Lâm Đồng", "Đắk Nông", "Bình Thuận"),
    _p("Đắk Lắk", "Phú Yên"),
    _p("Đồng Nai", "Bình Phước"),
    _p("Tây Ninh", "Long An"),
    _p("Vĩnh Long", "Bến Tre", "Trà Vinh"),
    _p("Đồng Tháp", "Tiền Giang"),
    _p("Cà Mau", "Bạc Liêu"),
    _p("An Giang", "Kiên Giang"),
    _p("Lai Châu"),
    _p("Điện Biên"),
    _p("Sơn La"),
    _p("Lạng Sơn"),
    _p("Quảng Ninh"),
    _p("Thanh Hóa"),
    _p("Nghệ An"),
    _p("Hà Tĩnh"),
    _p("Cao Bằng"),
)

_SYLLABLES = (
    "An",
    "Bình",
    "Phú",
    "Tân",
    "Hòa",
    "Thạnh",
    "Long",
    "Đông",
    "Tây",
    "Nam",
    "Bắc",
    "Sơn",
    "Hải",
    "Phước",
    "Mỹ",
    "Xuân",
    "Thủy",
    "Lộc",
    "Vĩnh",
    "Quảng",
    "Đức",
    "Thanh",
    "Hưng",
    "Yên",
    "Trung",
    "Hiệp",
    "Thái",
    "Lạc",
    "Kim",
    "Cẩm",
    "Gia",
    "Hồng",
    "Minh",
    "Nghĩa",
    "Phong",
    "Quang",
    "Thuận",
    "Tiên",
    "Văn",
    "Định",
)


def place_names(rng: random.Random, count: int) -> list[str]:
    """``count`` distinct two-syllable names ("Tân Phú"), in a random order."""
    pairs = [f"{a} {b}" for a in _SYLLABLES for b in _SYLLABLES if a != b]
    if count > len(pairs):
        raise ValueError(f"at most {len(pairs)} distinct names, not {count}")
    return rng.sample(pairs, count)


def ascii_slug(name: str) -> str:
    """ "Bà Rịa - Vũng Tàu" -> "ba-ria-vung-tau" (an organisation id, a NATS token)."""
    plain = unicodedata.normalize("NFD", name.replace("Đ", "D").replace("đ", "d"))
    plain = "".join(ch for ch in plain if not unicodedata.combining(ch))
    return re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")
