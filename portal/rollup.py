"""What one complaint (or one survey answer) adds to the daily statistics (DOMAIN §6). Pure.

The statistics read a rollup, `stats_day`: one row per local day and (handling department,
category, grade, channel), holding counters that add up. Each complaint contributes to the
day it was received, the day its result was due and the day it was replied to; every change
to a complaint moves the difference (`delta`) in the same transaction, so the rollup always
equals a rebuild from scratch, and a quarter's figures are a sum over ~90 days × a few hundred
groups whatever the number of complaints.

Counters, by the day they count on:
- received day: received, valid (not invalid), repeats (second complaints among the valid),
  resolved (valid and replied or closed), first_time (resolved, never reopened),
  resolve_n / resolve_minutes (resolved with a recorded working time to resolve),
  appeals (valid complaints the department appealed), extensions (requests made),
  urges (times the office urged the department, 催办);
- result due day (valid, result submitted): due_settled, on_time (submitted by the deadline,
  approved extensions included since they move the deadline), late;
- reply day (valid): replied, revisited (the customer answered a revisit: done, handed to the
  CS head, or reopened by an unsatisfied answer), target_milli (the policy's revisit share of
  its grade, in thousandths);
- answer day (one per survey answer, never changed afterwards): answers, satisfied (overall
  at least `satisfied_from`), score_sum.
What depends on the clock (results still missing after their deadline) is not in the rollup:
the statistics count those live from the few open complaints.

A second rollup, `stats_person_day`, serves the employee ranking (DOMAIN §7): per local day,
person and grade — the person being "u<user id>" for the handler who submitted the result
(counted on the reply day: resolved, on_time, due_settled, rated, rating_sum; the rating is the
complaint's latest overall score) or "n<name>" for the person complained about (counted on the
received day of valid complaints: against)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from datetime import date, datetime, tzinfo

COUNTERS = ("received", "valid", "repeats", "resolved", "first_time", "resolve_n",
            "resolve_minutes", "appeals", "extensions", "due_settled", "on_time", "late",
            "replied", "revisited", "target_milli", "answers", "satisfied", "score_sum", "urges")
DIMENSIONS = ("department", "category", "grade", "channel")

Key = tuple[date, str, str, str, str]  # day, department ('' before dispatch), category, grade, channel
PersonKey = tuple[date, str, str]  # day, person ("u12" or "n张三"), grade
PERSON_COUNTERS = ("resolved", "on_time", "due_settled", "rated", "rating_sum", "against")

RESOLVED = ("replied", "closed")
REVISITED = ("done", "escalated")


def day_of(moment: datetime, tz: tzinfo) -> date:
    return moment.astimezone(tz).date()


def _key(day: date, row: Mapping) -> Key:
    return (day, row["department"] or "", row["category"], row["grade"], row["channel"])


def contributions(row: Mapping | None, tz: tzinfo, rates: Mapping[str, float]
                  ) -> dict[Key, Counter]:
    """Every counter a complaint row adds, by rollup key (nothing for None)."""
    out: dict[Key, Counter] = {}
    if row is None:
        return out

    def add(day: date, **counts: int) -> None:
        out.setdefault(_key(day, row), Counter()).update(counts)

    received = day_of(row["received_at"], tz)
    add(received, received=1)
    if row["status"] == "invalid":
        return out
    resolved = row["status"] in RESOLVED
    timed = resolved and row["resolve_minutes"] is not None
    add(received, valid=1, repeats=int(bool(row["is_second"])), resolved=int(resolved),
        first_time=int(resolved and not row["reopen_count"]), resolve_n=int(timed),
        resolve_minutes=row["resolve_minutes"] if timed else 0,
        appeals=int(bool(row["appeal_kind"])), extensions=row["extension_requests"] or 0,
        urges=row.get("urge_count") or 0)
    due, submitted = row["result_due"], row["result_submitted_at"]
    if due is not None and submitted is not None:
        add(day_of(due, tz), due_settled=1, on_time=int(submitted <= due),
            late=int(submitted > due))
    if row["replied_at"] is not None:
        add(day_of(row["replied_at"], tz), replied=1,
            # A reopen resets the revisit state, but only an answer reopens a complaint.
            revisited=int(row["revisit_state"] in REVISITED or bool(row["reopen_count"])),
            target_milli=round(rates.get(row["grade"], 1.0) * 1000))
    return out


def answer_contribution(row: Mapping, overall: int, answered_at: datetime, tz: tzinfo,
                        satisfied_from: int) -> dict[Key, Counter]:
    """A survey answer counts once, on its day, for the complaint's groups at that time."""
    return {_key(day_of(answered_at, tz), row): Counter(
        answers=1, satisfied=int(overall >= satisfied_from), score_sum=overall)}


def person_contributions(row: Mapping | None, tz: tzinfo) -> dict[PersonKey, Counter]:
    """What a complaint adds to the employee ranking's rollup."""
    out: dict[PersonKey, Counter] = {}
    if row is None or row["status"] == "invalid":
        return out

    def add(key: PersonKey, **counts: int) -> None:
        out.setdefault(key, Counter()).update(counts)

    person = (row["complained_person"] or "").strip()
    if person:
        add((day_of(row["received_at"], tz), f"n{person}", row["grade"]), against=1)
    if row["result_by"] and row["replied_at"] is not None and row["status"] in RESOLVED:
        due, submitted = row["result_due"], row["result_submitted_at"]
        settled = due is not None and submitted is not None
        rated = row["satisfaction"] is not None
        add((day_of(row["replied_at"], tz), f"u{row['result_by']}", row["grade"]), resolved=1,
            due_settled=int(settled), on_time=int(settled and submitted <= due),
            rated=int(rated), rating_sum=row["satisfaction"] if rated else 0)
    return out


def delta(before: dict, after: dict, counters: tuple[str, ...] = COUNTERS) -> dict:
    """after − before, per key, keeping only the counters that change."""
    out = {}
    for key in before.keys() | after.keys():
        a, b = after.get(key, Counter()), before.get(key, Counter())
        changed = {c: a[c] - b[c] for c in counters if a[c] != b[c]}
        if changed:
            out[key] = changed
    return out


def merge(total: dict[Key, Counter], part: dict[Key, Counter]) -> None:
    for key, counts in part.items():
        total.setdefault(key, Counter()).update(counts)
