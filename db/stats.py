"""DOMAIN §6 statistics, read from the rollups (portal.rollup) with SQL sums that give the
same result on SQLite and PostgreSQL; only what depends on the clock (results missing past
their deadline) and the medians are read from the complaints themselves.

Definitions (a period is [first day, last day] on the company's calendar):
- count: complaints received in the period (invalid ones included); the rates below count
  the valid ones (not invalid).
- resolution rate: resolved (replied or closed, as of now) / valid, of those received.
- on-time rate: results submitted by their deadline / results due in the period (approved
  extensions move the deadline, so they count); a result still missing after a deadline that
  has passed counts as due and late.
- overdue: results due in the period submitted late or still missing past the deadline.
- mean / median working hours to resolve: receipt → reply on the business calendar, of the
  resolved complaints received in the period.
- satisfaction rate: survey answers in the period with overall ≥ `satisfied_from` / answers;
  mean score: the mean overall answer.
- revisit rate: complaints replied in the period whose customer answered a revisit / replied;
  its target: the mean of the policy's revisit share for their grades.
- repeat rate: second complaints / valid complaints received.
- urges: how often the office urged (催办) the department about valid complaints received in
  the period;
- appeals, extensions: valid complaints received in the period that were appealed; extension
  requests made on them.
- first-time resolution (for the assessment): resolved without a reopen / resolved."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime

from db.tables import Complaint, StatsDay, StatsPersonDay
from portal.periods import Period
from portal.rollup import COUNTERS, DIMENSIONS, PERSON_COUNTERS, day_of

BREAKDOWNS = DIMENSIONS  # department, category, grade, channel


def _ratio(num: int, den: int) -> float | None:
    return num / den if den else None


@dataclass
class Figures:
    """One group's counters (sums of the rollup, plus the live `missing`) and its KPIs."""

    counts: Counter = field(default_factory=Counter)
    median_minutes: float | None = None

    def add(self, counts) -> None:
        self.counts.update({k: int(v or 0) for k, v in counts.items()})

    def __getattr__(self, name: str) -> int:
        if name in COUNTERS or name == "missing":
            return self.counts[name]
        raise AttributeError(name)

    @property
    def due(self) -> int:
        return self.counts["due_settled"] + self.counts["missing"]

    @property
    def overdue(self) -> int:
        return self.counts["late"] + self.counts["missing"]

    @property
    def on_time_rate(self) -> float | None:
        return _ratio(self.counts["on_time"], self.due)

    @property
    def resolution_rate(self) -> float | None:
        return _ratio(self.counts["resolved"], self.counts["valid"])

    @property
    def first_time_rate(self) -> float | None:
        return _ratio(self.counts["first_time"], self.counts["resolved"])

    @property
    def repeat_rate(self) -> float | None:
        return _ratio(self.counts["repeats"], self.counts["valid"])

    @property
    def satisfaction_rate(self) -> float | None:
        return _ratio(self.counts["satisfied"], self.counts["answers"])

    @property
    def mean_score(self) -> float | None:
        return _ratio(self.counts["score_sum"], self.counts["answers"])

    @property
    def revisit_rate(self) -> float | None:
        return _ratio(self.counts["revisited"], self.counts["replied"])

    @property
    def revisit_target(self) -> float | None:
        n = self.counts["replied"]
        return self.counts["target_milli"] / 1000 / n if n else None

    @property
    def mean_hours(self) -> float | None:
        n = self.counts["resolve_n"]
        return self.counts["resolve_minutes"] / 60 / n if n else None

    @property
    def median_hours(self) -> float | None:
        return None if self.median_minutes is None else self.median_minutes / 60


@dataclass
class Report:
    period: Period
    previous: Period
    by: str
    overall: Figures
    groups: dict[str, Figures]  # group value ('' = not dispatched) -> figures, sorted
    previous_overall: Figures
    previous_groups: dict[str, Figures]
    months: list[tuple[Period, Figures]]  # the trend, month by month
    category_share: dict[str, int]
    channel_share: dict[str, int]


def _sums(names: tuple[str, ...]) -> str:
    return ", ".join(f"SUM({n}) AS {n}" for n in names)


def utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


# A result still missing after a deadline in [start, end): counted live, from open complaints
# only (partial index complaint_result_missing). Parameters: start, end.
MISSING_RESULT = ("result_submitted_at IS NULL AND result_due IS NOT NULL "
                  "AND result_due >= {} AND result_due < {} AND status <> 'invalid'")


async def report(period: Period, by: str, tz, now: datetime,
                 department: str | None = None) -> Report:
    """Everything /stats shows for a period, broken down `by` one dimension; a department
    head's view is limited to `department`."""
    if by not in BREAKDOWNS:
        raise ValueError(f"unknown breakdown {by!r}")
    previous = period.previous()
    scope, scope_args = ("AND department = {}", [department]) if department else ("", [])
    # 1. The rollup, summed in SQL down to what the page shows: the period by the breakdown,
    # category and channel (for the shares), the previous period by the breakdown alone — a
    # couple of hundred rows at most, so folding them in Python costs little. One aggregate per
    # period over plain columns: PostgreSQL then estimates the groups right and hashes them
    # (with the period as a computed group key it expected tens of thousands of groups and
    # sorted ~50,000 rows on disk at 1M complaints).
    keys = ", ".join(dict.fromkeys((by, "category", "channel")))
    rows = await StatsDay.raw(
        f"SELECT 1 AS cur, {by} AS g, category AS cat, channel AS chan, {_sums(COUNTERS)} "
        f"FROM stats_day WHERE day >= {{}} AND day <= {{}} {scope} GROUP BY {keys} UNION ALL "
        f"SELECT 0 AS cur, {by} AS g, '' AS cat, '' AS chan, {_sums(COUNTERS)} "
        f"FROM stats_day WHERE day >= {{}} AND day <= {{}} {scope} GROUP BY {by}",
        period.first, period.last, *scope_args, previous.first, previous.last, *scope_args)
    overall, prev_overall = Figures(), Figures()
    groups: dict[str, Figures] = {}
    prev_groups: dict[str, Figures] = {}
    categories: Counter = Counter()
    channels: Counter = Counter()
    for r in rows:
        counts = {c: r[c] for c in COUNTERS}
        if not any(counts.values()):
            continue  # a group its complaints have all moved out of (dispatched, re-graded…)
        if r["cur"]:
            overall.add(counts)
            groups.setdefault(r["g"], Figures()).add(counts)
            categories[r["cat"]] += int(r["received"] or 0)
            channels[r["chan"]] += int(r["received"] or 0)
        else:
            prev_overall.add(counts)
            prev_groups.setdefault(r["g"], Figures()).add(counts)
    # 2. The trend: day sums of the period, added up by month.
    months = [(m, Figures()) for m in period.months()]
    days = await StatsDay.raw(
        f"SELECT day, SUM(received) AS received, SUM(valid) AS valid, SUM(on_time) AS on_time, "
        f"SUM(due_settled) AS due_settled, SUM(late) AS late FROM stats_day "
        f"WHERE day >= {{}} AND day <= {{}} {scope} GROUP BY day",
        period.first, period.last, *scope_args)
    for d in days:
        day = _as_date(d["day"])
        for m, figures in months:
            if m.first <= day <= m.last:
                figures.add({k: d[k] for k in ("received", "valid", "on_time", "due_settled",
                                               "late")})
                break
    # 3. Results missing past their deadline, counted live (only open complaints qualify).
    start, _ = previous.bounds(tz)
    _, end = period.bounds(tz)
    missing = await Complaint.raw(
        f"SELECT {', '.join(DIMENSIONS)}, result_due FROM complaint "
        f"WHERE {MISSING_RESULT} {scope}",
        utc(start), utc(min(end, now)), *scope_args)
    for r in missing:
        day = day_of(as_datetime(r["result_due"]), tz)
        r["department"] = r["department"] or ""
        one = {"missing": 1}
        if day >= period.first:
            overall.add(one)
            groups.setdefault(r[by], Figures()).add(one)
            for m, figures in months:
                if m.first <= day <= m.last:
                    figures.add(one)
        else:
            prev_overall.add(one)
            prev_groups.setdefault(r[by], Figures()).add(one)
    # 4. Medians of the working time to resolve.
    for key, value in (await _cached_medians(period, tz, by, scope, scope_args,
                                             _timed(groups))).items():
        groups.setdefault(key, Figures()).median_minutes = value
    overall.median_minutes = (await _cached_medians(period, tz, None, scope, scope_args,
                                                    _timed({"": overall}))).get("")
    prev_overall.median_minutes = (await _cached_medians(
        previous, tz, None, scope, scope_args, _timed({"": prev_overall}))).get("")
    return Report(period, previous, by, overall, dict(sorted(groups.items())), prev_overall,
                  dict(sorted(prev_groups.items())), months, dict(categories.most_common()),
                  dict(channels.most_common()))


# Medians are the one figure that reads every resolved complaint of the period. They change
# only when a resolved complaint's working time does, and that moves the rollup's count and
# sum of those times: with both in the key, a repeated view of unchanged data reuses the
# median. The age limit bounds what a coincidence (same count, same sum) could hide.
MEDIAN_CACHE_SECONDS = 600
MEDIAN_CACHE_SIZE = 512
_median_cache: dict[tuple, tuple[float, dict[str, float]]] = {}


def _timed(groups: dict[str, Figures]) -> tuple:
    """Each group's count and sum of working times to resolve (from the rollup)."""
    return tuple(sorted((k, f.counts["resolve_n"], f.counts["resolve_minutes"])
                        for k, f in groups.items()))


async def _cached_medians(period: Period, tz, by: str | None, scope: str, scope_args: list,
                          timed: tuple) -> dict[str, float]:
    key = (period.key, str(tz), by, tuple(scope_args), timed)
    hit = _median_cache.get(key)
    clock = time.monotonic()
    if hit and clock - hit[0] < MEDIAN_CACHE_SECONDS:
        return hit[1]
    value = await _medians(period, tz, by, scope, scope_args)
    if len(_median_cache) >= MEDIAN_CACHE_SIZE:
        _median_cache.clear()
    _median_cache[key] = (clock, value)
    return value


async def _medians(period: Period, tz, by: str | None, scope: str, scope_args: list
                   ) -> dict[str, float]:
    """The median (the mean of the middle two for an even count) per group, in SQL both
    engines run: first a histogram (how many complaints per group and number of minutes, a
    hash aggregate over an index-only scan of complaint_resolved), then running counts over
    that histogram (a few thousand rows, not one per complaint) find the value at positions
    (n + 1) / 2 and (n + 2) / 2 of each group. Same result as sorting every complaint."""
    group = f"COALESCE({by}, '')" if by else "''"
    keys = f"{group}, resolve_minutes" if by else "resolve_minutes"
    start, end = period.bounds(tz)
    rows = await Complaint.raw(
        f"SELECT g, AVG(m) AS median FROM (SELECT g, m, n, "
        f"CAST(SUM(n) OVER (PARTITION BY g ORDER BY m) AS INTEGER) AS upto, "
        f"CAST(SUM(n) OVER (PARTITION BY g) AS INTEGER) AS cnt FROM ("
        f"SELECT {group} AS g, resolve_minutes AS m, COUNT(*) AS n FROM complaint "
        f"WHERE received_at >= {{}} AND received_at < {{}} AND resolve_minutes IS NOT NULL "
        f"AND status IN ('replied', 'closed') {scope} GROUP BY {keys}) h) t "
        f"WHERE (upto - n < (cnt + 1) / 2 AND (cnt + 1) / 2 <= upto) "
        f"OR (upto - n < (cnt + 2) / 2 AND (cnt + 2) / 2 <= upto) GROUP BY g",
        utc(start), utc(end), *scope_args)
    return {r["g"]: float(r["median"]) for r in rows}


@dataclass
class PersonFigures:
    counts: Counter = field(default_factory=Counter)
    against: int = 0  # valid complaints of the penalty grades naming the person

    @property
    def on_time_rate(self) -> float | None:
        return _ratio(self.counts["on_time"], self.counts["due_settled"])

    @property
    def mean_satisfaction(self) -> float | None:
        return _ratio(self.counts["rating_sum"], self.counts["rated"])


async def people(period: Period, penalty_grades: tuple[str, ...],
                 names: dict[int, tuple[str, ...]] | None = None) -> dict[int, PersonFigures]:
    """Per user who submitted results that were replied to in the period: their counts, and
    the complaints of the penalty grades naming them (`names`: each user's display name and
    username, as a complaint's "person complained about" would give them)."""
    rows = await StatsPersonDay.raw(
        f"SELECT person, grade, {_sums(PERSON_COUNTERS)} FROM stats_person_day "
        f"WHERE day >= {{}} AND day <= {{}} GROUP BY person, grade", period.first, period.last)
    out: dict[int, PersonFigures] = {}
    named: Counter = Counter()
    for r in rows:
        if r["person"].startswith("u"):
            figures = out.setdefault(int(r["person"][1:]), PersonFigures())
            figures.counts.update({c: int(r[c] or 0) for c in PERSON_COUNTERS if c != "against"})
        elif r["grade"] in penalty_grades:
            named[r["person"][1:]] += int(r["against"] or 0)
    for uid, figures in out.items():
        for name in (names or {}).get(uid, ()):
            figures.against += named[name]
    return out


def _as_date(value):
    from datetime import date

    return value if isinstance(value, date) else date.fromisoformat(str(value))


def as_datetime(value) -> datetime | None:
    """A stored instant as a datetime (SQLite may hand back text)."""
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))
