"""The real cascade of the seed documents, kept as facts: numbers, dates, units, tasks and
deadlines (never their text; the project does not read the seeds at run time).

128-HD/BTGTW (22/12/2023) → 76-HD/BTGTU (Hải Phòng, 24/01/2024) → 25-HD/BTGQU
(30/01/2024), and → 102-HD/BTGTU (05/01/2024) → the town guidance (Ban Thường vụ Thị ủy);
85-HD/BTGTU (Bình Định, 28/12/2023) is named in DOMAIN.md. ``tests/scenarios/
test_seed_cascades.py`` checks these facts against the seed text before replaying them.

What the seeds do not say is marked ASSUMED (deadlines of implementing documents and of
yearly reports: the central seed stops before its section III, the others name none) or
STAND-IN (the town seed prints neither its number nor its date; the wards' plans are not
in the seeds). Neither seed names its urban district or its province: they are named
plainly. The town guidance is signed "T/M BAN THƯỜNG VỤ" (so numbered .../TU): the Thị
ủy issues it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from application.commands import TaskInput
from domain.calendar import Recurrence, end_of_month
from domain.organisation import Kind, Level
from domain.task import Review, ReviewKind, TaskKind

CENTRAL, DISTRICT, TOWN = (
    "central-128-HD-BTGTW-2024.txt",
    "urban-district-25-HD-BTGQU-2024.txt",
    "town-thi-uy-2024.txt",
)
"""The seed files that print these facts."""

PC, SA, GP = Kind.PROPAGANDA_COMMISSION, Kind.STATE_AGENCY, Kind.GRASSROOTS_PARTY
PROV, DIST, BASE = Level.PROVINCE, Level.DISTRICT, Level.GRASSROOTS
SINCE = date(2020, 1, 1)
TREE = [  # slug, name, level, kind, parent, issuer code
    ("btg-tw", "Ban Tuyên giáo Trung ương", Level.CENTRAL, PC, None, "BTGTW"),
    ("btg-hai-phong", "Ban Tuyên giáo Thành ủy Hải Phòng", PROV, PC, "btg-tw", "BTGTU"),
    ("btg-tinh", "Ban Tuyên giáo Tỉnh ủy (tỉnh của Thị ủy)", PROV, PC, "btg-tw", "BTGTU"),
    ("btg-binh-dinh", "Ban Tuyên giáo Tỉnh ủy Bình Định", PROV, PC, "btg-tw", "BTGTU"),
    ("btg-quan", "Ban Tuyên giáo Quận ủy (25-HD/BTGQU)", DIST, PC, "btg-hai-phong", "BTGQU"),
    ("ubnd-quan", "UBND quận", DIST, SA, "btg-quan", None),
    ("bhxh-quan", "Bảo hiểm xã hội quận", DIST, SA, "btg-quan", None),
    ("phuong-1", "Đảng ủy phường (1)", BASE, GP, "btg-quan", "ĐU"),
    ("phuong-2", "Đảng ủy phường (2)", BASE, GP, "btg-quan", "ĐU"),
    ("thi-uy", "Thị ủy (Ban Thường vụ)", DIST, Kind.PARTY_COMMITTEE, "btg-tinh", "TU"),
    ("ubnd-thi-xa", "UBND thị xã", DIST, SA, "thi-uy", None),
    ("co-so-1", "Đảng bộ cơ sở (1)", BASE, GP, "thi-uy", None),
    ("co-so-2", "Chi bộ cơ sở (2)", BASE, GP, "thi-uy", None),
]

DUE_128 = date(2024, 1, 31)  # ASSUMED
DUE_PLANS = date(2024, 2, 29)  # ASSUMED, for the implementing documents below the provinces
PLAN, WARD_PLAN, YEAR = "Hướng dẫn năm 2024", "Kế hoạch năm 2024", "Báo cáo năm 2024"
H1, H1_DUE = "Báo cáo 6 tháng đầu năm 2024", date(2024, 7, 10)  # ASSUMED: 10 days after June
QUARTER_DAY = 10  # "trước ngày 10 của tháng cuối quý": 10/03, 10/06, 10/09, 10/12
QUARTERLY = "Báo cáo quý"  # one recurring task, one assignment per quarter
Q1, Q2, Q3, Q4 = QUARTERS = [f"{QUARTERLY} 2024-Q{q}" for q in range(1, 5)]
IMPLEMENTING, REPORT = TaskKind.IMPLEMENTING_DOCUMENT, TaskKind.PERIODIC_REPORT
WORDS = {ReviewKind.TONG_KET: "Tổng kết", ReviewKind.SO_KET: "Sơ kết"}


@dataclass(frozen=True)
class Rv:
    """A review with its due month (of 2024): "Tổng kết 15 năm ... 38-CT/TW (tháng 10/2024)"."""

    kind: ReviewKind
    years: int
    resolution: str
    month: int
    printed: str | None = None  # the seed's spelling, where it is a typo

    @property
    def phrase(self) -> str:
        return f"{WORDS[self.kind]} {self.years:02d} năm"

    @property
    def title(self) -> str:
        return f"{self.phrase} {self.resolution}"

    def task(self, *units: str) -> TaskInput:
        return TaskInput(
            kind=TaskKind.REVIEW,
            title=self.title,
            resolution=self.resolution,
            review=Review(self.kind, self.years),
            due_on=end_of_month(2024, self.month),
            assignee_ids=units,
        )


# The district's appendix lists the 38-CT/TW review with no month: it takes the town's.
TK15_38 = Rv(ReviewKind.TONG_KET, 15, "38-CT/TW", 10)
TK10_31 = Rv(ReviewKind.TONG_KET, 10, "31-NQ/TU", 7)
SK05_52 = Rv(ReviewKind.SO_KET, 5, "52-NQ/TW", 11, printed="52-NQ/TU")


def dated(
    title: str, due: date, *units: str, kind: TaskKind = REPORT, period: str | None = None
) -> TaskInput:
    return TaskInput(kind=kind, title=title, due_on=due, assignee_ids=units, period=period)


def yearly(*units: str) -> TaskInput:  # ASSUMED due 10/01/2025, the domain's default
    return TaskInput(kind=REPORT, title=YEAR, recurrence=Recurrence.YEARLY, assignee_ids=units)


@dataclass(frozen=True)
class Doc:
    number: str
    issuer: str
    day: date
    seed: str | None = None  # the file that prints this number with this date
    implements: str | None = None  # the number of the document it implements
    tasks: tuple[TaskInput, ...] = ()

    @property
    def title(self) -> str:
        kind = "Kế hoạch" if "-KH/" in self.number else "Hướng dẫn"
        return f"{kind} công tác khoa giáo năm 2024"


REPORTERS = ("bhxh-quan", "phuong-1", "phuong-2")

# 22/12/2023: the central guidance, for 2024, asks every province commission for its own.
G128 = Doc(
    "128-HD/BTGTW",
    "btg-tw",
    date(2023, 12, 22),
    CENTRAL,
    tasks=(TaskInput(kind=IMPLEMENTING, title=PLAN, due_on=DUE_128, assignee_kinds=(PC,)),),
)
# Each province implements it. Hải Phòng and the town's province ask their district level
# for a guidance and a year's report (the seeds: both report up to the province
# commission, "theo thời gian quy định").
G85 = Doc("85-HD/BTGTU", "btg-binh-dinh", date(2023, 12, 28), "../DOMAIN.md", G128.number)
G102 = Doc(
    "102-HD/BTGTU",
    "btg-tinh",
    date(2024, 1, 5),
    TOWN,
    G128.number,
    (dated(PLAN, DUE_PLANS, "thi-uy", kind=IMPLEMENTING), yearly("thi-uy")),
)
G76 = Doc(
    "76-HD/BTGTU",
    "btg-hai-phong",
    date(2024, 1, 24),
    DISTRICT,
    G128.number,
    (dated(PLAN, DUE_PLANS, "btg-quan", kind=IMPLEMENTING), yearly("btg-quan")),
)
# The urban district's units owe: the wards, a plan; the wards and BHXH, quarterly reports
# before the 10th of each quarter's last month and the year's report; UBND and BHXH, the
# 15-year review of 38-CT/TW by the end of October 2024.
G25 = Doc(
    "25-HD/BTGQU",
    "btg-quan",
    date(2024, 1, 30),
    DISTRICT,
    G76.number,
    (
        dated(WARD_PLAN, DUE_PLANS, "phuong-1", "phuong-2", kind=IMPLEMENTING),
        TaskInput(
            kind=REPORT,
            title=QUARTERLY,
            recurrence=Recurrence.QUARTERLY,
            due_day_of_last_month=QUARTER_DAY,
            assignee_ids=REPORTERS,
        ),
        yearly(*REPORTERS),
        TK15_38.task("ubnd-quan", "bhxh-quan"),
    ),
)
# The town guidance: the grassroots owe the 6-month and the year's report, UBND thị xã
# the reviews in their months.
GTOWN = Doc(  # STAND-IN number and date
    "01-HD/TU",
    "thi-uy",
    date(2024, 1, 19),
    implements=G102.number,
    tasks=(
        dated(H1, H1_DUE, "co-so-1", "co-so-2", period="2024-H1"),
        yearly("co-so-1", "co-so-2"),
        *(review.task("ubnd-thi-xa") for review in (TK10_31, TK15_38, SK05_52)),
    ),
)
KH_P1 = Doc("15-KH/ĐU", "phuong-1", date(2024, 2, 20), implements=G25.number)  # STAND-IN

CASCADE = (G128, G85, G102, GTOWN, G76, G25, KH_P1)
"""Every document, in the order of its date."""
