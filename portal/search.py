"""What a search box query means: a complaint number or a fragment of one, the last four
digits of a phone, a whole phone, an email, or text (customer name, product, order no.,
description, demand). Pure: db/search.py turns the parsed query into SQL."""

from __future__ import annotations

import re
from dataclasses import dataclass

from portal.contact import normalize_phone
from portal.numbering import parse_number

MAX_QUERY = 100
# Shorter text cannot use a trigram index (three characters make the smallest trigram): a
# one- or two-character text query also finds customer names by their beginning (a surname
# such as 王 or 欧阳) first, and two characters (漏水, 退款: most Chinese words) search every text
# column through the bigram index instead (db/search.py, migration 2026-12-05T06:30).
MIN_INFIX = 3
# A single character has no bigram either: its text search is bounded to the newest complaints.
MIN_BIGRAM = 2
# "TS-2026-000113", "2026-000113", "ts-000113", "000113", "113"
_FRAGMENT = re.compile(r"^(?:TS-?)?(\d[\d-]*)$")


@dataclass(frozen=True)
class SearchQuery:
    text: str  # the query as typed (trimmed, at most MAX_QUERY characters)
    number: str = ""  # a whole complaint number: exact match
    fragment: str = ""  # digits (and hyphens) a number ends with or contains
    phone_suffix: str = ""  # four digits: the last four of a phone
    phone: str = ""  # seven or more digits: a whole phone
    email: str = ""

    @property
    def short(self) -> bool:
        """Too short for a substring search of the text columns."""
        return len(self.text) < MIN_INFIX

    @property
    def windowed(self) -> bool:
        """Too short even for the bigram index: the text columns are searched among the
        newest complaints only (db/search.py SHORT_WINDOW)."""
        return len(self.text) < MIN_BIGRAM

    @property
    def is_empty(self) -> bool:
        return not self.text


def parse_query(raw: str | None) -> SearchQuery:
    text = " ".join((raw or "").split())[:MAX_QUERY]
    if not text:
        return SearchQuery(text="")
    if parse_number(text):
        return SearchQuery(text=text, number=text.upper())
    if "@" in text and " " not in text:
        return SearchQuery(text=text, email=text)
    digits = normalize_phone(text).lstrip("+")
    phone = digits if digits.isdigit() and len(digits) >= 7 else ""
    match = _FRAGMENT.match(text.upper().replace(" ", ""))
    fragment = match[1].strip("-") if match else ""
    return SearchQuery(
        text=text,
        fragment=fragment,
        phone_suffix=fragment if re.fullmatch(r"\d{4}", fragment) else "",
        phone=phone,
    )
