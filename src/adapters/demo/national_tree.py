"""The national tree as it stood before 01/07/2025, sized by a scale, and how it merged.

At scale 1: the central commission with the ministries and national bodies attached to
it; 63 provinces and cities, each with its commission, six provincial bodies and two bloc
committees; ~705 district commissions with two district bodies each; ~10,000 communes and
~40,000 other grassroots party organisations (schools, clinics, agencies, enterprises).
On 01/07/2025 the communes of each district merge about three into one, the provinces
merge into 34, and the district level and the bloc committees are abolished, their
units passing to the province. A smaller scale shrinks every count (keeping whole
merger groups of provinces, at least three provinces).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field

from adapters.demo.places import MERGER_GROUPS, Place, place_names
from domain.organisation import Kind, Level

DISTRICTS, COMMUNES, OTHER_GRASSROOTS = 705, 10_035, 40_000
COMMUNES_AFTER = 3_321
PROVINCES = sum(len(group) for group in MERGER_GROUPS)

PC, SA = Kind.PROPAGANDA_COMMISSION, Kind.STATE_AGENCY


@dataclass(frozen=True)
class Unit:
    slug: str
    name: str
    level: Level
    kind: Kind
    parent: str | None
    issuer_code: str | None = None


@dataclass
class District:
    """A district-level committee: a district's commission, or a bloc committee."""

    unit: Unit
    agencies: list[Unit] = field(default_factory=list)
    communes: list[Unit] = field(default_factory=list)
    others: list[Unit] = field(default_factory=list)
    commune_groups: list[list[str]] = field(default_factory=list)
    """The communes merging on 01/07/2025: each group into its first."""

    @property
    def grassroots(self) -> list[Unit]:
        return self.communes + self.others


@dataclass
class Province:
    place: Place
    unit: Unit
    agencies: list[Unit]
    districts: list[District]
    """Districts first, then the two bloc committees."""


@dataclass
class NationalTree:
    central: Unit
    agencies: list[Unit]
    provinces: list[Province]
    merger_groups: list[list[Province]]
    """The provinces merging on 01/07/2025: each group into its first."""

    def units(self) -> Iterator[Unit]:
        """Every unit, each after its parent."""
        yield self.central
        yield from self.agencies
        for province in self.provinces:
            yield province.unit
            yield from province.agencies
            for district in province.districts:
                yield district.unit
                yield from district.agencies
                yield from district.grassroots

    @property
    def communes(self) -> list[Unit]:
        return [c for p in self.provinces for d in p.districts for c in d.communes]

    def survivor(self, province: Province) -> Province:
        """The province that ``province`` is part of after 01/07/2025."""
        for group in self.merger_groups:
            if any(member is province for member in group):
                return group[0]
        return province

    def provinces_after(self) -> list[Province]:
        return [p for p in self.provinces if self.survivor(p) is p]

    def communes_after(self, province: Province) -> list[str]:
        """The communes directly below a province after the merger: the survivors of
        the communes of every province merged into it."""
        return [
            group[0]
            for merged in self.provinces
            if self.survivor(merged) is province
            for district in merged.districts
            for group in district.commune_groups
        ]


CENTRAL = Unit("btg-tw", "Ban Tuyên giáo Trung ương", Level.CENTRAL, PC, None, "BTGTW")
_CENTRAL_BODIES = (
    ("bo-gddt", "Bộ Giáo dục và Đào tạo", SA),
    ("bo-y-te", "Bộ Y tế", SA),
    ("bo-khcn", "Bộ Khoa học và Công nghệ", SA),
    ("bo-vhttdl", "Bộ Văn hóa, Thể thao và Du lịch", SA),
    ("mttq-tw", "Ủy ban Trung ương Mặt trận Tổ quốc Việt Nam", Kind.FRONT),
    ("tw-doan", "Trung ương Đoàn Thanh niên Cộng sản Hồ Chí Minh", Kind.SOCIO_POLITICAL),
)
# (slug suffix, name before the place, kind)
_PROVINCE_BODIES = (
    ("ubnd", "Ủy ban nhân dân", SA),
    ("so-gddt", "Sở Giáo dục và Đào tạo", SA),
    ("so-y-te", "Sở Y tế", SA),
    ("so-khcn", "Sở Khoa học và Công nghệ", SA),
    ("mttq", "Ủy ban Mặt trận Tổ quốc Việt Nam", Kind.FRONT),
    ("doan", "Đoàn Thanh niên", Kind.SOCIO_POLITICAL),
)
_DISTRICT_BODIES = (
    ("ubnd", "Ủy ban nhân dân", SA),
    ("phong-gddt", "Phòng Giáo dục và Đào tạo", SA),
)
# district-level unit: (title, committee, issuer code, commune prefix, weight)
_DISTRICT_KINDS = (
    ("huyện", "Huyện ủy", "BTGHU", "xã", 70),
    ("quận", "Quận ủy", "BTGQU", "phường", 12),
    ("thị xã", "Thị ủy", "BTGTU", "phường", 10),
    ("thành phố", "Thành ủy", "BTGTU", "phường", 8),
)
_BLOCS = (("khoi-co-quan", "các cơ quan"), ("khoi-doanh-nghiep", "doanh nghiệp"))
_OTHERS = (
    "Chi bộ Trường Tiểu học {}",
    "Chi bộ Trường Trung học cơ sở {}",
    "Chi bộ Trường Mầm non {}",
    "Chi bộ Trạm Y tế {}",
    "Chi bộ Hợp tác xã {}",
    "Chi bộ Công an {}",
)
_BLOC_OTHERS = ("Đảng bộ Công ty {}", "Đảng bộ Sở {}", "Chi bộ Trung tâm {}")


def national_tree(rng: random.Random, scale: float) -> NationalTree:
    if scale <= 0:
        raise ValueError("scale must be positive")
    groups: list[tuple[Place, ...]] = []
    while sum(map(len, groups)) < max(3, round(PROVINCES * scale)):
        groups.append(MERGER_GROUPS[len(groups)])
    places = [place for group in groups for place in group]
    district_counts = _share(rng, max(len(places), round(DISTRICTS * scale)), len(places))
    commune_counts = _share(
        rng, max(sum(district_counts), round(COMMUNES * scale)), sum(district_counts)
    )
    other_total = round(OTHER_GRASSROOTS * scale)
    bloc_share = other_total // 4
    other_counts = iter(_share(rng, other_total - bloc_share, sum(district_counts), minimum=0))
    bloc_counts = iter(_share(rng, bloc_share, 2 * len(places), minimum=0))
    communes = iter(commune_counts)
    by_slug: dict[str, Province] = {}
    for place, districts in zip(places, district_counts, strict=True):
        province = _province(place)
        sizes = [next(communes) for _ in range(districts)]
        names = iter(place_names(rng, districts + sum(sizes) + len(_BLOCS)))
        for number, size in enumerate(sizes, 1):
            province.districts.append(
                _district(rng, province, number, size, next(other_counts), names)
            )
        for (suffix, what), others in zip(
            _BLOCS, (next(bloc_counts), next(bloc_counts)), strict=True
        ):
            province.districts.append(_bloc(province, suffix, what, others, names))
        by_slug[province.unit.slug] = province
    return NationalTree(
        CENTRAL,
        [
            Unit(slug, name, Level.CENTRAL, kind, CENTRAL.slug)
            for slug, name, kind in _CENTRAL_BODIES
        ],
        list(by_slug.values()),
        [[by_slug[f"btg-{p.key}"] for p in group] for group in groups if len(group) > 1],
    )


def _province(place: Place) -> Province:
    slug = f"btg-{place.key}"
    unit = Unit(
        slug,
        f"Ban Tuyên giáo {place.committee} {place.name}",
        Level.PROVINCE,
        PC,
        CENTRAL.slug,
        "BTGTU",
    )
    where = f"{place.kind.lower()} {place.name}"
    agencies = [
        Unit(f"{place.key}-{suffix}", f"{name} {where}", Level.PROVINCE, kind, slug)
        for suffix, name, kind in _PROVINCE_BODIES
    ]
    return Province(place, unit, agencies, [])


def _district(
    rng: random.Random,
    province: Province,
    number: int,
    communes: int,
    others: int,
    names: Iterator[str],
) -> District:
    title, committee, code, commune_kind, _ = rng.choices(
        _DISTRICT_KINDS, weights=[k[-1] for k in _DISTRICT_KINDS]
    )[0]
    name = next(names)
    slug = f"{province.place.key}-d{number:02d}"
    district = District(
        Unit(
            slug, f"Ban Tuyên giáo {committee} {name}", Level.DISTRICT, PC, province.unit.slug, code
        )
    )
    district.agencies = [
        Unit(f"{slug}-{suffix}", f"{body} {title} {name}", Level.DISTRICT, kind, slug)
        for suffix, body, kind in _DISTRICT_BODIES
    ]
    commune_names = [next(names) for _ in range(communes)]
    district.communes = [
        Unit(
            f"{slug}-x{i:02d}",
            f"Đảng ủy {commune_kind} {commune}",
            Level.GRASSROOTS,
            Kind.GRASSROOTS_PARTY,
            slug,
            "ĐU",
        )
        for i, commune in enumerate(commune_names, 1)
    ]
    district.others = [
        _grassroots(
            f"{slug}-cs{i:03d}", _OTHERS[i % len(_OTHERS)], commune_names[i % communes], slug
        )
        for i in range(1, others + 1)
    ]
    survivors = max(1, round(communes * COMMUNES_AFTER / COMMUNES))
    slugs = [c.slug for c in district.communes]
    district.commune_groups = [slugs[i::survivors] for i in range(survivors)]
    return district


def _bloc(
    province: Province, suffix: str, what: str, others: int, names: Iterator[str]
) -> District:
    slug = f"{province.place.key}-{suffix}"
    bloc = District(
        Unit(
            slug,
            f"Đảng ủy Khối {what} {province.place.kind.lower()} {province.place.name}",
            Level.DISTRICT,
            Kind.BLOC_COMMITTEE,
            province.unit.slug,
            "ĐUK",
        )
    )
    name = next(names)
    bloc.others = [
        _grassroots(f"{slug}-cs{i:03d}", _BLOC_OTHERS[i % len(_BLOC_OTHERS)], f"{name} {i}", slug)
        for i in range(1, others + 1)
    ]
    return bloc


def _grassroots(slug: str, template: str, name: str, parent: str) -> Unit:
    return Unit(slug, template.format(name), Level.GRASSROOTS, Kind.GRASSROOTS_PARTY, parent)


def _share(rng: random.Random, total: int, parts: int, *, minimum: int = 1) -> list[int]:
    """``total`` cut into ``parts`` uneven shares (each at least ``minimum``)."""
    weights = [rng.uniform(0.6, 1.4) for _ in range(parts)]
    spare = max(0, total - minimum * parts)
    shares = [minimum + int(spare * w / sum(weights)) for w in weights]
    for index in sorted(range(parts), key=lambda i: -weights[i])[: total - sum(shares)]:
        shares[index] += 1
    return shares
