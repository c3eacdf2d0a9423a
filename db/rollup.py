"""Keeps the statistics rollup (stats_day, see portal.rollup) equal to a rebuild: every
write to a complaint moves its difference here, in the caller's transaction."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime

from db.tables import Complaint, StatsDay, StatsPersonDay, Survey
from portal.policy import Policy
from portal.rollup import (
    COUNTERS,
    PERSON_COUNTERS,
    Key,
    answer_contribution,
    contributions,
    delta,
    merge,
    person_contributions,
)

_KEYS = {"stats_day": "day, department, category, grade, channel",
         "stats_person_day": "day, person, grade"}


def _rates(policy: Policy) -> dict[str, float]:
    return dict(policy.revisit.rates)


async def _upsert(changes: dict[tuple, dict[str, int]], table: str = "stats_day") -> None:
    """Adds each key's counters (INSERT … ON CONFLICT DO UPDATE: SQLite and PostgreSQL)."""
    keys = _KEYS[table]
    for key, counts in sorted(changes.items()):
        names = list(counts)
        columns = ", ".join([keys, *names])
        marks = ", ".join(["{}"] * (len(key) + len(names)))
        updates = ", ".join(f"{n} = {table}.{n} + excluded.{n}" for n in names)
        await StatsDay.raw(
            f"INSERT INTO {table} ({columns}) VALUES ({marks}) "  # noqa: S608 (names are ours)
            f"ON CONFLICT ({keys}) DO UPDATE SET {updates}",
            *key, *(counts[n] for n in names))


async def move(before: dict | None, after: dict | None, policy: Policy, tz) -> None:
    """A complaint changed from `before` to `after` (None: did not exist / no longer does)."""
    rates = _rates(policy)
    changes = delta(contributions(before, tz, rates), contributions(after, tz, rates))
    if changes:
        await _upsert(changes)
    people = delta(person_contributions(before, tz), person_contributions(after, tz),
                   PERSON_COUNTERS)
    if people:
        await _upsert(people, "stats_person_day")


async def move_by_id(before: dict | None, complaint_id: int, policy: Policy, tz) -> dict:
    """move() with the complaint as stored now (after the caller's updates); returns it."""
    after = await Complaint.select().where(Complaint.id == complaint_id).first()
    await move(before, after, policy, tz)
    return after


def answer_groups(row: dict) -> dict:
    """What a Survey row keeps of the complaint when answered (its statistics groups)."""
    return {"stats_department": row["department"] or "", "stats_category": row["category"],
            "stats_grade": row["grade"], "stats_channel": row["channel"]}


async def add_answer(row: dict, overall: int, answered_at: datetime, policy: Policy, tz) -> None:
    part = answer_contribution(row, overall, answered_at, tz, policy.revisit.satisfied_from)
    await _upsert({k: dict(v) for k, v in part.items()})


async def rebuild(policy: Policy, tz) -> int:
    """Recomputes the whole rollup from the complaints and the answered surveys (one
    transaction is the caller's choice); returns the rows written."""
    total, people = await computed(policy, tz)
    await StatsDay.delete(force=True)
    await StatsPersonDay.delete(force=True)
    days = [StatsDay(day=k[0], department=k[1], category=k[2], grade=k[3], channel=k[4],
                     **{c: v.get(c, 0) for c in COUNTERS}) for k, v in sorted(total.items())]
    persons = [StatsPersonDay(day=k[0], person=k[1], grade=k[2],
                              **{c: v.get(c, 0) for c in PERSON_COUNTERS})
               for k, v in sorted(people.items())]
    for table, rows in ((StatsDay, days), (StatsPersonDay, persons)):
        for i in range(0, len(rows), 500):
            await table.insert(*rows[i:i + 500])
    return len(days) + len(persons)


async def computed(policy: Policy, tz, batch: int = 20_000) -> tuple[dict, dict]:
    """Both rollups computed from scratch, in memory (keyset-read in batches)."""
    rates = _rates(policy)
    total: dict[Key, Counter] = {}
    people: dict = {}
    last = 0
    while True:
        rows = await Complaint.select(*_ROW_COLUMNS).where(Complaint.id > last).order_by(
            Complaint.id).limit(batch)
        for row in rows:
            merge(total, contributions(row, tz, rates))
            merge(people, person_contributions(row, tz))
        if len(rows) < batch:
            break
        last = rows[-1]["id"]
    last = 0
    while True:
        answers = await Survey.select(
            Survey.id, Survey.overall, Survey.answered_at,
            *[getattr(Survey, f"stats_{c}").as_alias(c)
              for c in ("department", "category", "grade", "channel")],
        ).where((Survey.id > last) & Survey.answered_at.is_not_null()).order_by(
            Survey.id).limit(batch)
        for a in answers:
            merge(total, answer_contribution(a, a["overall"], a["answered_at"], tz,
                                             policy.revisit.satisfied_from))
        if len(answers) < batch:
            break
        last = answers[-1]["id"]
    return total, people


# What contributions() reads of a complaint.
_ROW_COLUMNS = (Complaint.id, Complaint.received_at, Complaint.status, Complaint.department,
                Complaint.category, Complaint.grade, Complaint.channel, Complaint.is_second,
                Complaint.reopen_count, Complaint.resolve_minutes, Complaint.appeal_kind,
                Complaint.extension_requests, Complaint.result_due, Complaint.result_submitted_at,
                Complaint.replied_at, Complaint.revisit_state, Complaint.complained_person,
                Complaint.result_by, Complaint.satisfaction, Complaint.urge_count)


async def stored() -> tuple[dict, dict]:
    """Both rollups as stored, without empty rows (for comparing with a rebuild)."""
    out, people = {}, {}
    for r in await StatsDay.select():
        counts = {c: r[c] for c in COUNTERS if r[c]}
        if counts:
            out[(_day(r["day"]), r["department"], r["category"], r["grade"], r["channel"])] = counts
    for r in await StatsPersonDay.select():
        counts = {c: r[c] for c in PERSON_COUNTERS if r[c]}
        if counts:
            people[(_day(r["day"]), r["person"], r["grade"])] = counts
    return out, people


def _day(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))
