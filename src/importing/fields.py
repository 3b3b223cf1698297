"""The fields (lĩnh vực) of khoa giáo work a document speaks of, by the words it uses.

The codes are the importer's vocabulary for ``IssueDocument.fields`` (the domain keeps
fields as free strings): education and training, science and technology, health,
population, sport, family, children, social security, social evils, environment.
"""

from __future__ import annotations

import re

FIELDS: list[tuple[str, re.Pattern[str]]] = [
    ("education", re.compile(r"giáo dục|đào tạo|khuyến học|nhà giáo|dạy nghề")),
    (
        "science_technology",
        re.compile(
            r"khoa học(?: và|,) công nghệ|công nghệ thông tin|chuyển đổi số|công nghệ sinh học"
        ),
    ),
    ("health", re.compile(r"y tế|sức khỏe|an toàn thực phẩm|hiv|đông y")),
    ("population", re.compile(r"dân số")),
    ("sport", re.compile(r"thể dục|thể thao")),
    ("family", re.compile(r"gia đình")),
    ("children", re.compile(r"trẻ em")),
    ("social_security", re.compile(r"an sinh xã hội|giảm nghèo|bảo hiểm xã hội|chính sách xã hội")),
    ("social_evils", re.compile(r"tệ nạn xã hội")),
    ("environment", re.compile(r"môi trường")),
]


def fields_of(text: str) -> list[str]:
    lowered = text.lower()
    return [code for code, words in FIELDS if words.search(lowered)]
