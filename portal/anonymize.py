"""DOMAIN §8: closed complaints are anonymized after N years (*policy*), keeping their
statistics. Pure rules: which complaints are due, and what each field becomes.

Due: a complaint whose status is final — `closed` (after the reply and the revisit) or
`invalid` (closed as invalid or duplicate, DOMAIN §4 "closed with reason") — since
`closed_at`, and not anonymized yet, once `anonymize_after_years` calendar years have passed
on the company's calendar: closed on 5 March 2026 10:00 (local), due from 5 March 2029 10:00
(a 29 February counts its years to 1 March). A complaint reopened after an unsatisfied
revisit is in progress again, not closed: its clock starts anew when it closes again.
`anonymize_after_years = 0` turns anonymization off.

What becomes of the record (the statistics keep every input: grade, category, channel,
departments, the person complained about, dates, deadlines, times to resolve, scores, flags):
- the customer's name, phone, email, address or unit and the order no. (which identifies a
  buyer in the company's order system) are erased (empty);
- free text that may hold the customer's data — the description and demand (the customer's
  own words), where it happened, the result, the reply, reasons, notes, call notes and survey
  comments — is kept but scrubbed: every value that identified this customer (as recorded now
  or before a correction; an address also by its street-level end, 张江路 88 号) and anything
  shaped like a phone number, an email address, an ID or bank card number (any run of 7 or
  more digits) is replaced by ***, as is the customer's surname with a title (张先生, 王女士).
  What people wrote about the matter stays readable; a third party's name written in prose
  cannot be recognised and stays.
- the history's record of a corrected customer field keeps the field and loses the values.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from functools import cached_property

from portal.timeutil import months_before

FINAL_STATUSES = ("closed", "invalid")
MARK = "***"
MAX_YEARS = 50
DEFAULT_YEARS = 3
# The customer's identifying fields: erased from the record, their values hidden in history.
ERASED = ("customer_name", "customer_phone", "customer_email", "customer_address", "order_no")
# Free text of the record that may mention the customer: scrubbed.
SCRUBBED = ("description", "demand", "location", "cause", "solution", "corrective_action",
            "reply", "invalid_reason", "extension_reason", "appeal_reason")
# Chinese forms of address after a surname: 张先生, 王女士.
_TITLES = "先生|女士|小姐|太太|夫人|阿姨|师傅|老师|大爷|大妈|老板|经理"
_PATTERNS = [
    re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+"),  # email
    re.compile(r"(?<!\d)(?:\+?86[\s-]?)?1[3-9]\d(?:[\s-]?\d){8}(?!\d)"),  # mobile, 138-1234-5678
    re.compile(r"(?<!\d)0\d{2,3}[\s-]?\d{7,8}(?!\d)"),  # landline, 021-62345678
    re.compile(r"(?<!\d)\d{3}\*{3,}\d{4}(?!\d)"),  # a masked phone, 138****5678
    re.compile(r"(?<!\d)\d{7,}[Xx]?(?!\d)"),  # ID card, bank card, any long number
]
_HAN = re.compile(r"^[\u3400-\u9fff]{2,4}$")


@dataclass(frozen=True)
class PrivacyRules:
    anonymize_after_years: int = DEFAULT_YEARS  # 0: never

    @property
    def enabled(self) -> bool:
        return self.anonymize_after_years > 0


def parse_privacy(raw: Mapping) -> PrivacyRules:
    """Validate the policy's [privacy] table; raises ValueError naming the bad entry."""
    if not isinstance(raw, Mapping):
        raise ValueError("privacy must be a table")
    unknown = set(raw) - {"anonymize_after_years"}
    if unknown:
        raise ValueError(f"privacy: unknown setting(s) {sorted(unknown)}")
    years = raw.get("anonymize_after_years", DEFAULT_YEARS)
    if not isinstance(years, int) or isinstance(years, bool) or not 0 <= years <= MAX_YEARS:
        raise ValueError(f"privacy.anonymize_after_years must be a whole number of years from "
                         f"0 (never) to {MAX_YEARS}")
    return PrivacyRules(years)


# ---- when ---------------------------------------------------------------------------------------

def closed_at_after(before_status: str, after_status: str, closed_at: datetime | None,
                    now: datetime) -> datetime | None:
    """`closed_at` after a change of status: set when the complaint becomes final, kept while
    it stays final (a note on a closed complaint), cleared when it is reopened."""
    if after_status not in FINAL_STATUSES:
        return None
    if before_status in FINAL_STATUSES and closed_at is not None:
        return closed_at
    return now


def cutoff(now: datetime, rules: PrivacyRules, tz: tzinfo) -> datetime | None:
    """Complaints closed at or before this instant are due (None: anonymization is off).
    Calendar years on the company's calendar, clamped to the month's end."""
    if not rules.enabled:
        return None
    local = now.astimezone(tz)
    return months_before(local, 12 * rules.anonymize_after_years).astimezone(UTC)


def is_due(row: Mapping, now: datetime, rules: PrivacyRules, tz: tzinfo) -> bool:
    limit = cutoff(now, rules, tz)
    return (limit is not None and row["status"] in FINAL_STATUSES
            and row.get("anonymized_at") is None and row.get("closed_at") is not None
            and row["closed_at"] <= limit)


# ---- what -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Identity:
    """Everything that identified one customer in one complaint, as a scrubber."""

    values: tuple[str, ...]
    names: tuple[str, ...] = ()

    @classmethod
    def of(cls, values: Iterable[object], names: Iterable[object] = ()) -> Identity:
        """`values`: the erased fields' values, current and former (corrections, survey
        recipients); `names`: the customer's names among them."""
        kept = {str(v).strip() for v in values if v is not None and str(v).strip()}
        return cls(tuple(sorted(kept, key=lambda v: (-len(v), v))),
                   tuple(sorted({str(n).strip() for n in names if n and str(n).strip()})))

    @cached_property
    def _needles(self) -> tuple[str, ...]:
        """What to look for, folded like the text is (see _fold), longest first: the values,
        and a Chinese name's surname with each title (张先生)."""
        found = {_fold(v) for v in self.values}
        for name in self.names:
            if _HAN.match(name):
                surnames = {name[0]} | ({name[:2]} if len(name) == 4 else set())
                found |= {s + t for s in surnames for t in _TITLES.split("|")}
        return tuple(sorted((n for n in found if len(n) >= 2), key=lambda n: (-len(n), n)))

    @cached_property
    def _words(self) -> re.Pattern | None:
        """A Latin name's words of three letters or more, as whole words (Mr Zhang)."""
        words = sorted({w for name in self.names if not _HAN.match(name)
                        for w in re.split(r"[\s,.]+", name) if len(w) >= 3 and w.isalpha()})
        if not words:
            return None
        return re.compile(r"\b(?:" + "|".join(map(re.escape, words)) + r")\b", re.IGNORECASE)

    def scrub(self, text: str | None) -> str | None:
        if not text:
            return text
        text = _replace(text, self._needles)
        if self._words is not None:
            text = self._words.sub(MARK, text)
        for pattern in _PATTERNS:
            text = pattern.sub(MARK, text)
        return text


def _gap(ch: str) -> bool:
    """Characters people put inside a value or leave out of it: 138 1234-5678, 张江路 88 号."""
    return ch.isspace() or ch == "-"


def _word(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def _fold(text: str) -> str:
    """Without gaps, lower case, one character for one (so positions map back)."""
    return "".join(c.lower()[:1] for c in text if not _gap(c))


def _replace(text: str, needles: tuple[str, ...]) -> str:
    """Every occurrence of a needle in `text`, whatever gaps it has there, as MARK. Plain
    string search over the folded text (no regex to build per customer: a batch scrubs
    thousands of texts for hundreds of customers)."""
    if not needles:
        return text
    where = [i for i, c in enumerate(text) if not _gap(c)]
    folded = "".join(text[i].lower()[:1] for i in where)
    spans: list[tuple[int, int]] = []
    for needle in needles:
        start = folded.find(needle)
        while start != -1:
            a, b = where[start], where[start + len(needle) - 1] + 1
            # Latin letters and digits match whole words only: "Li" is not in "delivery".
            inside = (_word(needle[0]) and a > 0 and _word(text[a - 1])) or \
                (_word(needle[-1]) and b < len(text) and _word(text[b]))
            if not inside:
                spans.append((a, b))
            start = folded.find(needle, start + 1 if inside else start + len(needle))
    if not spans:
        return text
    merged: list[list[int]] = []
    for a, b in sorted(spans):
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    for a, b in reversed(merged):
        text = text[:a] + MARK + text[b:]
    return text


def identity_of(row: Mapping, events: Iterable[Mapping] = (),
                recipients: Iterable[str] = ()) -> Identity:
    """The customer of `row`, with the values a correction replaced (history `changes`
    of the erased fields, parsed) and the addresses surveys were emailed to."""
    values: list[object] = [row.get(f) for f in ERASED]
    names: list[object] = [row.get("customer_name")]
    addresses: list[object] = [row.get("customer_address")]
    for changes in events:
        for field in ERASED:
            for value in changes.get(field) or ():
                values.append(value)
                if field == "customer_name":
                    names.append(value)
                elif field == "customer_address":
                    addresses.append(value)
    values += list(recipients)
    for address in addresses:
        values += address_parts(str(address or ""))
    return Identity.of(values, names)


# Where a Chinese address steps down a level (province, city, district, town, road, lane...).
_ADDRESS_STEP = re.compile(r"(?<=[省市区县旗镇乡村街路道巷弄])")


def address_parts(address: str) -> list[str]:
    """The street-level ends of an address, as people write it in a note without the city:
    "上海市浦东新区张江路 88 号" → "浦东新区张江路 88 号", "张江路 88 号" (four characters or more,
    so a bare "88 号" or city name is not one)."""
    cuts = [m.start() for m in _ADDRESS_STEP.finditer(address)]
    parts = [address[i:].strip() for i in cuts if 0 < i < len(address)]
    return [p for p in parts if len([c for c in p if not c.isspace()]) >= 4]


def record_changes(row: Mapping, who: Identity) -> dict:
    """What the complaint's own columns become (only those that change)."""
    out: dict = {f: "" for f in ERASED if row.get(f)}
    for field in SCRUBBED:
        value = row.get(field)
        scrubbed = who.scrub(value)
        if scrubbed != value:
            out[field] = scrubbed
    return out


# History rows whose note the system wrote as a record of codes (the revisit draw's formula,
# a grade rule's code): no personal data, and read back by the page, so left as they are.
SYSTEM_NOTES = ("revisit-draw", "auto-grade", "auto-grade-undone")


def history_note(action: str, note: str, who: Identity) -> str:
    return note if action in SYSTEM_NOTES else who.scrub(note)


def history_changes(changes: Mapping, who: Identity) -> dict:
    """A history row's {field: [before, after]}: the erased fields keep their place without
    their values; free text is scrubbed; codes, dates and amounts stay as they are."""
    out = {}
    for field, pair in changes.items():
        if field in ERASED and isinstance(pair, list):
            out[field] = [MARK if v not in (None, "") else v for v in pair]
        elif field in SCRUBBED and isinstance(pair, list):
            out[field] = [who.scrub(v) if isinstance(v, str) else v for v in pair]
        else:
            out[field] = pair
    return out
