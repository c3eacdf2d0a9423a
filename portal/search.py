"""What a search box query means: a complaint number or a fragment of one, the last four
digits of a phone, a whole phone, an email, or text (customer name, product, order no.,
description, demand). Pure: db/search.py turns the parsed query into SQL."""

from __future__ import annotations

import re
from dataclasses import dataclass

from portal.contact import normalize_phone
from portal.numbering import parse_number

MAX_QUERY = 100
# Shorter text cannot use a trigram index (three characters make the smallest trigram), so a
# one- or two-character text query searches customer names by their beginning (a surname such
# as 王) rather than every text column from the middle (db/search.py).
MIN_INFIX = 3
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
