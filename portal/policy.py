"""The company policy (DOMAIN §2–§3) loaded from TOML and validated at start-up."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path

from portal.anonymize import PrivacyRules, parse_privacy
from portal.assessment import AssessmentRules, parse_assessment
from portal.deadlines import DeadlineRules, parse_rules
from portal.revisit import RevisitRules, parse_revisit
from portal.sessions import SessionRules, parse_session

DEFAULT_POLICY_PATH = Path(__file__).with_name("policy.toml")
ROUTE_OFFICE = "office"
ROUTE_COMPLAINED = "complained"


class PolicyError(ValueError):
    """The policy file is unusable; the message names the bad entry."""


@dataclass(frozen=True)
class Labelled:
    code: str
    zh: str
    en: str

    def label(self, locale: str) -> str:
        return self.en if locale.startswith("en") else self.zh


@dataclass(frozen=True)
class Grade(Labelled):
    rank: int = 0


@dataclass(frozen=True)
class Offered(Labelled):
    """A channel or a category. A retired one (`active = false`) is no longer offered at
    intake; complaints that have it keep showing its name, and statistics keep it."""

    active: bool = True


@dataclass(frozen=True)
class Category(Offered):
    route: str = ROUTE_OFFICE


@dataclass(frozen=True)
class Criterion(Labelled):
    grade: str = ""
    automatic: bool = False


@dataclass(frozen=True)
class Policy:
    grades: tuple[Grade, ...]
    channels: tuple[Offered, ...]
    categories: tuple[Category, ...]
    criteria: tuple[Criterion, ...]
    second_complaint_months: int = 3
    work_start: time = time(9)
    work_end: time = time(18)
    deadlines: DeadlineRules | None = None
    revisit: RevisitRules | None = None
    assessment: AssessmentRules | None = None
    session: SessionRules = field(default_factory=SessionRules)
    privacy: PrivacyRules = field(default_factory=PrivacyRules)  # DOMAIN §8
    _index: dict = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        for name in ("grades", "channels", "categories", "criteria"):
            self._index[name] = {item.code: item for item in getattr(self, name)}

    def grade(self, code: str) -> Grade:
        return self._index["grades"][code]

    def channel(self, code: str) -> Offered:
        return self._index["channels"][code]

    def category(self, code: str) -> Category:
        return self._index["categories"][code]

    def criterion(self, code: str) -> Criterion:
        return self._index["criteria"][code]

    def has(self, kind: str, code: str) -> bool:
        return code in self._index[kind]

    def offered(self, kind: str) -> list[Offered]:
        """The channels or categories in use: the ones offered at intake."""
        return [item for item in getattr(self, kind) if item.active]

    def is_offered(self, kind: str, code: str) -> bool:
        return self.has(kind, code) and self._index[kind][code].active

    def grades_by_severity(self) -> list[Grade]:
        return sorted(self.grades, key=lambda g: -g.rank)

    def manual_criteria(self, grade: str) -> list[Criterion]:
        return [c for c in self.criteria if c.grade == grade and not c.automatic]


def _entries(data: dict, key: str) -> list[dict]:
    entries = data.get(key)
    if not isinstance(entries, list) or not entries:
        raise PolicyError(f"policy: '{key}' must be a non-empty list")
    return entries


def _build(cls, key: str, raw: dict, position: int, extra: tuple[str, ...] = ()):
    where = f"policy: {key}[{position}]"
    if not isinstance(raw, dict):
        raise PolicyError(f"{where} is not a table")
    for name in ("code", "zh", "en"):
        if not isinstance(raw.get(name), str) or not raw[name].strip():
            raise PolicyError(f"{where} ({raw.get('code', '?')}): '{name}' is missing or empty")
    unknown = set(raw) - {"code", "zh", "en", *extra}
    if unknown:
        raise PolicyError(f"{where} ({raw['code']}): unknown field(s) {sorted(unknown)}")
    return cls(**raw)


def _unique(items, key: str) -> None:
    seen: set[str] = set()
    for item in items:
        if item.code in seen:
            raise PolicyError(f"policy: {key} code '{item.code}' appears twice")
        seen.add(item.code)


def parse_policy(data: dict, department_codes: set[str] | None = None,
                 check_order: bool = True) -> Policy:
    """Validate raw policy data; department codes, when given, check category routing.
    `check_order=False` only for versions saved before the deadline-order rules
    (portal.deadlines.order_problems): they keep working as they did."""
    grades = [_build(Grade, "grades", g, i, ("rank",)) for i, g in enumerate(_entries(data, "grades"))]
    channels = [_build(Offered, "channels", c, i, ("active",))
                for i, c in enumerate(_entries(data, "channels"))]
    categories = [
        _build(Category, "categories", c, i, ("route", "active"))
        for i, c in enumerate(_entries(data, "categories"))
    ]
    criteria = [
        _build(Criterion, "criteria", c, i, ("grade", "automatic"))
        for i, c in enumerate(_entries(data, "criteria"))
    ]
    for key, items in (("grade", grades), ("channel", channels), ("category", categories),
                       ("criterion", criteria)):
        _unique(items, key)
    for key, items in (("channels", channels), ("categories", categories)):
        for item in items:
            if not isinstance(item.active, bool):
                raise PolicyError(f"policy: {key} '{item.code}': 'active' must be true or false")
        if not any(item.active for item in items):
            raise PolicyError(f"policy: every one of '{key}' is retired (active = false): at "
                              f"least one must stay in use")
    ranks = [g.rank for g in grades]
    if any(not isinstance(r, int) or r <= 0 for r in ranks) or len(set(ranks)) != len(ranks):
        raise PolicyError("policy: grades need distinct positive integer 'rank' values")
    grade_codes = {g.code for g in grades}
    for c in criteria:
        if c.grade not in grade_codes:
            raise PolicyError(f"policy: criterion '{c.code}' names unknown grade '{c.grade}'")
    for cat in categories:
        special = cat.route in (ROUTE_OFFICE, ROUTE_COMPLAINED)
        if not special and department_codes is not None and cat.route not in department_codes:
            raise PolicyError(
                f"policy: category '{cat.code}' routes to unknown department '{cat.route}'"
            )
    months = data.get("second_complaint_months", 3)
    if not isinstance(months, int) or not 1 <= months <= 24:
        raise PolicyError("policy: 'second_complaint_months' must be a whole number from 1 to 24")
    work_start, work_end = _working_hours(data.get("calendar", {}))
    try:
        day = (datetime.combine(date.min, work_end) - datetime.combine(date.min, work_start))
        rules = parse_rules(data.get("deadlines", {}), [g.code for g in grades],
                            day.total_seconds() / 3600, check_order)
        revisit = parse_revisit(data.get("revisit", {}), [g.code for g in grades])
        assessment = parse_assessment(data.get("assessment", {}), [g.code for g in grades])
        session = parse_session(data.get("session", {}))
        privacy = parse_privacy(data.get("privacy", {}))
    except ValueError as exc:
        raise PolicyError(f"policy: {exc}") from exc
    return Policy(tuple(grades), tuple(channels), tuple(categories), tuple(criteria), months,
                  work_start, work_end, rules, revisit, assessment, session, privacy)


def _working_hours(raw: dict) -> tuple[time, time]:
    try:
        start = time.fromisoformat(raw.get("work_start", "09:00"))
        end = time.fromisoformat(raw.get("work_end", "18:00"))
    except (TypeError, ValueError) as exc:
        raise PolicyError("policy: calendar.work_start/work_end must be times like '09:00'") from exc
    if not start < end:
        raise PolicyError("policy: calendar.work_start must be before calendar.work_end")
    return start, end


def load_policy(path: Path | str | None = None, department_codes: set[str] | None = None) -> Policy:
    path = Path(path) if path else DEFAULT_POLICY_PATH
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise PolicyError(f"policy: file not found: {path}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"policy: {path} is not valid TOML: {exc}") from exc
    return parse_policy(data, department_codes)
