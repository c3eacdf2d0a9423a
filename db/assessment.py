"""DOMAIN §7 quarterly assessment (季度考核) and the service star (客户服务之星): reads and writes.

A quarter is *open* until someone closes it: its department and employee scores are then
computed live from the rollups (db.stats: a sum over the quarter's days, never a loop over
complaints). Closing it stores every score with its breakdown and the complaints behind it
(assessment_score), so later edits to complaints do not rewrite a published assessment;
reopening it (the CS head, with a reason) deletes the frozen scores and they are computed live
again. Every close and reopen is recorded (assessment_event) in the same transaction.

The service star of a quarter is never updated: naming another person (or rewording the
citation) adds a record that replaces the current one, with a reason."""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from db.stats import MISSING_RESULT, Figures, PersonFigures, as_datetime, people, utc
from db.tables import (
    AssessmentEvent,
    AssessmentQuarter,
    AssessmentScore,
    Complaint,
    Department,
    ServiceStar,
    StatsDay,
    User,
)
from db.transactions import atomic
from portal.assessment import (
    AssessmentRules,
    Component,
    Grade,
    Score,
    department_score,
    employee_score,
    failing_twice,
    grade_of,
    ranks,
)
from portal.periods import Period

OPEN, CLOSED = "open", "closed"
DEPARTMENT, EMPLOYEE = "department", "employee"
EVIDENCE_LIMIT = 20  # complaints listed per part of a breakdown
# The rollup counters a department's score reads (plus `missing`, counted live).
DEPARTMENT_COUNTS = ("received", "valid", "repeats", "resolved", "first_time", "due_settled",
                     "on_time", "late", "answers", "satisfied")
EMPLOYEE_COUNTS = ("resolved", "on_time", "due_settled", "rated", "rating_sum")


class Refused(Exception):
    """Not possible in the quarter's current state; `reason` names which rule refused."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# -- results -----------------------------------------------------------------------------------

@dataclass
class DepartmentResult:
    code: str
    name: str  # as frozen ('' when live: the page names departments itself)
    score: Score | None  # None: nothing measurable in the quarter
    grade: Grade | None
    figures: dict[str, int]
    evidence: dict | None = None  # frozen quarters only
    previous: DepartmentResult | None = None

    @property
    def flagged(self) -> bool:
        """不合格 this quarter and the one before."""
        return self.grade is not None and failing_twice(
            self.grade, self.previous.grade if self.previous else None)

    @property
    def overdue(self) -> int:
        return Figures(Counter(self.figures)).overdue

    @property
    def due(self) -> int:
        return Figures(Counter(self.figures)).due


@dataclass
class EmployeeResult:
    user_id: int
    name: str
    department: str
    rank: int | None  # None: fewer resolved complaints than the policy's minimum
    score: Score | None
    figures: dict[str, float]
    evidence: dict | None = None
    previous: EmployeeResult | None = None

    @property
    def on_time_rate(self) -> float | None:
        return PersonFigures(Counter(self.figures)).on_time_rate

    @property
    def mean_satisfaction(self) -> float | None:
        return PersonFigures(Counter(self.figures)).mean_satisfaction

    @property
    def late(self) -> int:
        return int(self.figures.get("due_settled", 0) - self.figures.get("on_time", 0))


@dataclass
class Assessment:
    period: Period
    quarter: dict | None  # the assessment_quarter row (with closed_by_name), None if never closed
    departments: list[DepartmentResult]
    employees: list[EmployeeResult]  # ranked best first, then those below the minimum
    events: list[dict] = field(default_factory=list)

    @property
    def closed(self) -> bool:
        return bool(self.quarter) and self.quarter["status"] == CLOSED

    @property
    def ranked(self) -> list[EmployeeResult]:
        return [e for e in self.employees if e.rank is not None]

    @property
    def unranked(self) -> list[EmployeeResult]:
        return [e for e in self.employees if e.rank is None]

    def department(self, code: str) -> DepartmentResult | None:
        return next((d for d in self.departments if d.code == code), None)

    def employee(self, user_id: int) -> EmployeeResult | None:
        return next((e for e in self.employees if e.user_id == user_id), None)


def _key(period: Period) -> tuple[int, int]:
    return period.first.year, (period.first.month - 1) // 3 + 1


# -- the quarter's state -----------------------------------------------------------------------

async def quarter_of(period: Period) -> dict | None:
    year, q = _key(period)
    return await AssessmentQuarter.select(
        *AssessmentQuarter.all_columns(),
        AssessmentQuarter.closed_by.display_name.as_alias("closed_by_name"),
    ).where((AssessmentQuarter.year == year) & (AssessmentQuarter.quarter == q)).first()


async def closed_keys() -> set[str]:
    """The quarters closed now, as period keys ("2026-Q3")."""
    rows = await AssessmentQuarter.select(AssessmentQuarter.year, AssessmentQuarter.quarter).where(
        AssessmentQuarter.status == CLOSED)
    return {f"{r['year']}-Q{r['quarter']}" for r in rows}


async def events_of(quarter_id: int) -> list[dict]:
    return await AssessmentEvent.select(
        AssessmentEvent.at, AssessmentEvent.action, AssessmentEvent.reason,
        AssessmentEvent.actor.display_name.as_alias("actor_name"),
    ).where(AssessmentEvent.assessment == quarter_id).order_by(AssessmentEvent.id)


# -- live scores from the rollups --------------------------------------------------------------

async def department_figures(period: Period, tz, now: datetime) -> dict[str, Figures]:
    """Each handling department's counters for the period: the rollup's sums, plus the results
    still missing after a deadline in the period (counted live, like /stats)."""
    sums = ", ".join(f"SUM({c}) AS {c}" for c in DEPARTMENT_COUNTS)
    rows = await StatsDay.raw(
        f"SELECT department, {sums} FROM stats_day WHERE day >= {{}} AND day <= {{}} "  # noqa: S608
        f"GROUP BY department", period.first, period.last)
    out: dict[str, Figures] = {}
    for r in rows:
        out.setdefault(r["department"] or "", Figures()).add({c: r[c] for c in DEPARTMENT_COUNTS})
    start, end = period.bounds(tz)
    end = min(end, now)
    if end > start:
        missing = await Complaint.raw(
            f"SELECT department, COUNT(*) AS n FROM complaint WHERE {MISSING_RESULT} "  # noqa: S608
            "GROUP BY department", utc(start), utc(end))
        for r in missing:
            out.setdefault(r["department"] or "", Figures()).add({"missing": r["n"]})
    return out


def _department_result(code: str, figures: Figures, rules: AssessmentRules) -> DepartmentResult:
    score = department_score(figures.on_time_rate, figures.satisfaction_rate,
                             figures.first_time_rate, figures.repeat_rate, rules)
    counts = {c: figures.counts[c] for c in (*DEPARTMENT_COUNTS, "missing")}
    if all(c.measure is None for c in score.components):
        return DepartmentResult(code, "", None, None, counts)
    return DepartmentResult(code, "", score, grade_of(score.total, rules), counts)


async def _users() -> list[dict]:
    return await User.select(User.id, User.username, User.display_name, User.department,
                             User.role, User.is_active).order_by(User.id)


async def _live(period: Period, rules: AssessmentRules, tz, now: datetime,
                quarter: dict | None) -> Assessment:
    figures = await department_figures(period, tz, now)
    codes = [d["code"] for d in await Department.select(Department.code).order_by(Department.id)]
    codes += sorted(c for c in figures if c and c not in codes)
    departments = [_department_result(c, figures.get(c, Figures()), rules) for c in codes]

    users = {u["id"]: u for u in await _users()}
    names = {uid: tuple(dict.fromkeys((u["display_name"], u["username"])))
             for uid, u in users.items()}
    found = await people(period, rules.employee_penalty_grades, names)
    minimum = rules.employee_min_resolved
    qualified = [uid for uid, f in found.items() if f.counts["resolved"] >= minimum]
    most = max((found[uid].counts["resolved"] for uid in qualified), default=0)
    employees = []
    for uid, f in found.items():
        counts = {c: f.counts[c] for c in EMPLOYEE_COUNTS}
        counts["against"] = f.against
        user = users.get(uid, {"display_name": f"#{uid}", "department": None})
        score = None
        if uid in qualified:
            score = employee_score(f.on_time_rate, f.mean_satisfaction, f.counts["resolved"],
                                   most, f.against, rules)
            counts["most_resolved"] = most
        if counts["resolved"]:
            employees.append(EmployeeResult(uid, user["display_name"], user["department"] or "",
                                            None, score, counts))
    _rank(employees)
    return Assessment(period, quarter, departments, employees)


def _rank(employees: list[EmployeeResult]) -> None:
    """Competition ranks of the scored ones; sorts best first, then the rest by volume."""
    scored = [e for e in employees if e.score is not None]
    for e, rank in zip(scored, ranks([e.score.total for e in scored]), strict=True):
        e.rank = rank
    employees.sort(key=lambda e: (e.rank is None, e.rank or 0, -e.figures.get("resolved", 0),
                                  e.name))


# -- frozen scores -----------------------------------------------------------------------------

def _score_from(row: dict, figures: dict) -> Score | None:
    if row["score"] is None:
        return None
    parts = tuple(Component(**c) for c in json.loads(row["components"]))
    return Score(row["score"], parts, figures.get("penalty", 0.0))


def _restore(evidence: dict) -> dict:
    """The frozen lists with their instants back as datetimes."""
    return {part: [{k: as_datetime(v) if k.endswith(("_at", "_due")) else v
                    for k, v in item.items()} for item in items]
            for part, items in evidence.items()}


async def _frozen(period: Period, quarter: dict) -> Assessment:
    rows = await AssessmentScore.select().where(
        AssessmentScore.assessment == quarter["id"]).order_by(AssessmentScore.id)
    departments, employees = [], []
    for row in rows:
        figures = json.loads(row["figures"])
        score = _score_from(row, figures)
        evidence = _restore(json.loads(row["evidence"]))
        if row["kind"] == DEPARTMENT:
            departments.append(DepartmentResult(
                row["key"], row["name"], score, Grade(row["grade"]) if row["grade"] else None,
                figures, evidence))
        else:
            employees.append(EmployeeResult(int(row["key"]), row["name"], row["department"],
                                            row["rank"], score, figures, evidence))
    employees.sort(key=lambda e: (e.rank is None, e.rank or 0, -e.figures.get("resolved", 0),
                                  e.name))
    return Assessment(period, quarter, departments, employees)


async def assessment(period: Period, rules: AssessmentRules, tz, now: datetime,
                     with_previous: bool = True) -> Assessment:
    """The quarter's scores (frozen if closed, else live), each linked to the previous
    quarter's (frozen or live) for the two-quarters flag and the trend."""
    quarter = await quarter_of(period)
    if quarter and quarter["status"] == CLOSED:
        result = await _frozen(period, quarter)
    else:
        result = await _live(period, rules, tz, now, quarter)
    if quarter:
        result.events = await events_of(quarter["id"])
    if with_previous:
        before = await assessment(period.previous(), rules, tz, now, with_previous=False)
        for d in result.departments:
            d.previous = before.department(d.code)
        for e in result.employees:
            e.previous = before.employee(e.user_id)
    return result


# -- the complaints behind a score -------------------------------------------------------------

def _rows(rows: Iterable[dict], *instants: str) -> list[dict]:
    out = []
    for r in rows:
        item = dict(r)
        for name in instants:
            item[name] = as_datetime(item[name])
        out.append(item)
    return out


async def department_evidence(period: Period, code: str, tz, now: datetime,
                              satisfied_from: int, limit: int = EVIDENCE_LIMIT) -> dict:
    """Up to `limit` complaints behind each part of a department's score: results late or
    still missing (on time), unsatisfied survey answers (satisfaction), resolved complaints
    that had been reopened (resolved without reopen) and second complaints (repeat rate)."""
    start, end = (utc(b) for b in period.bounds(tz))
    late = await Complaint.raw(
        "SELECT number, grade, result_due, result_submitted_at FROM complaint "
        "WHERE department = {} AND result_submitted_at > result_due AND result_due >= {} "
        f"AND result_due < {{}} AND status <> 'invalid' ORDER BY result_due LIMIT {int(limit)}",
        code, start, end)
    missing = []
    if min(end, now) > start:
        missing = await Complaint.raw(
            "SELECT number, grade, result_due, result_submitted_at FROM complaint "
            "WHERE result_submitted_at IS NULL AND result_due IS NOT NULL AND result_due >= {} "
            "AND result_due < {} AND status <> 'invalid' AND department = {} "
            f"ORDER BY result_due LIMIT {int(limit)}", start, utc(min(end, now)), code)
    overdue = sorted(_rows([*late, *missing], "result_due", "result_submitted_at"),
                     key=lambda r: r["result_due"])[:limit]
    unsatisfied = await Complaint.raw(
        "SELECT c.number, c.grade, s.overall, s.answered_at FROM survey s "
        "JOIN complaint c ON c.id = s.complaint WHERE s.stats_department = {} "
        "AND s.answered_at IS NOT NULL AND s.answered_at >= {} AND s.answered_at < {} "
        f"AND s.overall < {{}} ORDER BY s.answered_at LIMIT {int(limit)}",
        code, start, end, satisfied_from)
    reopened = await Complaint.raw(
        "SELECT number, grade, reopen_count, received_at FROM complaint WHERE department = {} "
        "AND reopen_count > 0 AND received_at >= {} AND received_at < {} "
        f"AND status IN ('replied', 'closed') ORDER BY received_at LIMIT {int(limit)}",
        code, start, end)
    repeats = await Complaint.raw(
        "SELECT number, grade, previous_number, received_at FROM complaint WHERE department = {} "
        "AND is_second AND received_at >= {} AND received_at < {} AND status <> 'invalid' "
        f"ORDER BY received_at LIMIT {int(limit)}", code, start, end)
    return {"overdue": overdue, "unsatisfied": _rows(unsatisfied, "answered_at"),
            "reopened": _rows(reopened, "received_at"), "repeats": _rows(repeats, "received_at")}


async def person_evidence(period: Period, user_id: int, names: Iterable[str], tz,
                          penalty_grades: Iterable[str], satisfied_from: int,
                          limit: int = EVIDENCE_LIMIT) -> dict:
    """Up to `limit` complaints behind an employee's score: their late results and low
    ratings among the complaints they resolved in the period, and the valid complaints of
    the penalty grades naming them."""
    start, end = (utc(b) for b in period.bounds(tz))
    mine = ("FROM complaint WHERE result_by IS NOT NULL AND result_by = {} AND replied_at >= {} "
            "AND replied_at < {} AND status IN ('replied', 'closed')")
    late = await Complaint.raw(
        f"SELECT number, grade, result_due, result_submitted_at {mine} "  # noqa: S608
        f"AND result_submitted_at > result_due ORDER BY replied_at LIMIT {int(limit)}",
        user_id, start, end)
    low = await Complaint.raw(
        f"SELECT number, grade, satisfaction, replied_at {mine} "  # noqa: S608
        f"AND satisfaction IS NOT NULL AND satisfaction < {{}} ORDER BY replied_at "
        f"LIMIT {int(limit)}", user_id, start, end, satisfied_from)
    names = [n for n in dict.fromkeys(names) if n]
    grades = list(penalty_grades)
    against = []
    if names and grades:
        against = await Complaint.raw(
            f"SELECT number, grade, complained_person, received_at FROM complaint "  # noqa: S608
            f"WHERE complained_person <> '' AND complained_person IN "
            f"({', '.join('{}' for _ in names)}) AND received_at >= {{}} AND received_at < {{}} "
            f"AND status <> 'invalid' AND grade IN ({', '.join('{}' for _ in grades)}) "
            f"ORDER BY received_at LIMIT {int(limit)}", *names, start, end, *grades)
    return {"late": _rows(late, "result_due", "result_submitted_at"),
            "low_ratings": _rows(low, "replied_at"), "against": _rows(against, "received_at")}


# -- close and reopen --------------------------------------------------------------------------

def _json(value) -> str:
    return json.dumps(value, ensure_ascii=False, default=lambda v: v.isoformat())


def _components(score: Score | None) -> str:
    if score is None:
        return "[]"
    return _json([{"code": c.code, "measure": c.measure, "weight": c.weight,
                   "effective_weight": c.effective_weight, "points": c.points}
                  for c in score.components])


async def close(period: Period, actor_id: int, rules: AssessmentRules, tz, now: datetime,
                satisfied_from: int) -> Assessment:
    """Freezes the quarter's scores, breakdowns and the complaints behind them; refused
    before the quarter has ended ("not_ended") or when it is closed already ("closed")."""
    if now < period.bounds(tz)[1]:
        raise Refused("not_ended")
    year, q = _key(period)
    async with atomic():
        await AssessmentQuarter.raw(
            "INSERT INTO assessment_quarter (year, quarter, status) VALUES ({}, {}, 'open') "
            "ON CONFLICT (year, quarter) DO NOTHING", year, q)
        # The row lock (PostgreSQL) or the write lock (SQLite) makes a second closer wait
        # here and then find the quarter closed.
        updated = await AssessmentQuarter.update({
            AssessmentQuarter.status: CLOSED, AssessmentQuarter.closed_at: now,
            AssessmentQuarter.closed_by: actor_id,
        }).where((AssessmentQuarter.year == year) & (AssessmentQuarter.quarter == q)
                 & (AssessmentQuarter.status == OPEN)).returning(AssessmentQuarter.id)
        if not updated:
            raise Refused("closed")
        quarter_id = updated[0]["id"]
        live = await _live(period, rules, tz, now, None)
        users = {u["id"]: u for u in await _users()}
        names = {d["code"]: d["name_zh"] for d in await Department.select(
            Department.code, Department.name_zh)}
        rows = []
        for d in live.departments:
            evidence = await department_evidence(period, d.code, tz, now, satisfied_from)
            rows.append(AssessmentScore(
                assessment=quarter_id, kind=DEPARTMENT, key=d.code, department=d.code,
                name=names.get(d.code, "")[:64],
                score=d.score.total if d.score else None, grade=d.grade.value if d.grade else "",
                components=_components(d.score), figures=_json(d.figures),
                evidence=_json(evidence)))
        for e in live.employees:
            user = users.get(e.user_id, {})
            names = (user.get("display_name", ""), user.get("username", ""))
            evidence = await person_evidence(period, e.user_id, names, tz,
                                             rules.employee_penalty_grades, satisfied_from)
            figures = {**e.figures, "penalty": e.score.penalty if e.score else 0.0}
            rows.append(AssessmentScore(
                assessment=quarter_id, kind=EMPLOYEE, key=str(e.user_id), name=e.name[:64],
                department=e.department, score=e.score.total if e.score else None, rank=e.rank,
                components=_components(e.score), figures=_json(figures),
                evidence=_json(evidence)))
        for i in range(0, len(rows), 200):
            await AssessmentScore.insert(*rows[i:i + 200])
        await AssessmentEvent(assessment=quarter_id, at=now, actor=actor_id, action="close").save()
    return live


async def reopen(period: Period, actor_id: int, reason: str, now: datetime) -> None:
    """Deletes the frozen scores (they are computed live again) and records why; refused
    when the quarter is not closed ("open")."""
    year, q = _key(period)
    async with atomic():
        updated = await AssessmentQuarter.update({
            AssessmentQuarter.status: OPEN, AssessmentQuarter.closed_at: None,
            AssessmentQuarter.closed_by: None,
        }).where((AssessmentQuarter.year == year) & (AssessmentQuarter.quarter == q)
                 & (AssessmentQuarter.status == CLOSED)).returning(AssessmentQuarter.id)
        if not updated:
            raise Refused("open")
        quarter_id = updated[0]["id"]
        await AssessmentScore.delete().where(AssessmentScore.assessment == quarter_id)
        await AssessmentEvent(assessment=quarter_id, at=now, actor=actor_id, action="reopen",
                              reason=reason).save()


# -- the service star --------------------------------------------------------------------------

async def stars() -> list[dict]:
    """Every award, newest quarter first and, within a quarter, the current one first; each
    with `current` and, when replaced, `replaced_by` (the record that replaced it)."""
    rows = await ServiceStar.select(
        *ServiceStar.all_columns(),
        ServiceStar.user.display_name.as_alias("user_name"),
        ServiceStar.user.department.as_alias("user_department"),
        ServiceStar.named_by.display_name.as_alias("named_by_name"),
    ).order_by(ServiceStar.year, ascending=False).order_by(
        ServiceStar.quarter, ascending=False).order_by(ServiceStar.id, ascending=False)
    replaced_by = {r["replaces"]: r for r in rows if r["replaces"]}
    by_id = {r["id"]: r for r in rows}
    for r in rows:
        r["key"] = f"{r['year']}-Q{r['quarter']}"
        r["named_at"] = as_datetime(r["named_at"])
        r["replaced_by"] = replaced_by.get(r["id"])
        r["current"] = r["replaced_by"] is None
        r["previous"] = by_id.get(r["replaces"])
    return rows


def current_star(records: list[dict], period: Period) -> dict | None:
    return next((r for r in records if r["key"] == period.key and r["current"]), None)


async def name_star(period: Period, user_id: int, citation: str, reason: str,
                    replaces: int | None, named_by: int, now: datetime) -> int:
    """Records the award; `replaces` is the current award the CS head saw (None: none). If
    another award was recorded meanwhile the new one is refused ("star_changed"), so nobody
    overwrites a decision they have not seen."""
    year, q = _key(period)
    try:
        async with atomic():
            chain = await ServiceStar.select(ServiceStar.id, ServiceStar.replaces).where(
                (ServiceStar.year == year) & (ServiceStar.quarter == q))
            replaced = {r["replaces"] for r in chain}
            current = next((r["id"] for r in chain if r["id"] not in replaced), None)
            if current != replaces:
                raise Refused("star_changed")
            rows = await ServiceStar.insert(ServiceStar(
                year=year, quarter=q, user=user_id, citation=citation, named_by=named_by,
                named_at=now, replaces=replaces, reason=reason if replaces else ""))
            return rows[0]["id"]
    except (sqlite3.IntegrityError, _unique_violation()) as exc:
        # Two awards at once (PostgreSQL): the unique indexes let only one through.
        raise Refused("star_changed") from exc


def _unique_violation() -> type[Exception]:
    try:
        from asyncpg.exceptions import UniqueViolationError
    except ImportError:  # pragma: no cover (SQLite-only installs)
        return sqlite3.IntegrityError
    return UniqueViolationError
