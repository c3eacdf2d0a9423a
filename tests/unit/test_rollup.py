"""DOMAIN §6: what one complaint (or survey answer) adds to the daily statistics
(portal.rollup), by hand, for a row in each state; the ranking's rollup; the difference a
change moves (delta) and the sums (merge). Pure: rows are plain dicts, instants in UTC, days
on the company's calendar (Asia/Shanghai, UTC+8)."""

from collections import Counter
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from portal.rollup import (
    COUNTERS,
    PERSON_COUNTERS,
    answer_contribution,
    contributions,
    delta,
    merge,
    person_contributions,
)

TZ = ZoneInfo("Asia/Shanghai")
RATES = {"I": 1.0, "II": 0.8, "M": 0.2}


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def row(**overrides) -> dict:
    """A valid Class II complaint received Mon 2 Nov 2026 09:00 local (01:00 UTC), logged and
    nothing more."""
    values = dict(
        received_at=utc(2026, 11, 2, 1), status="logged", department=None, category="quality",
        grade="II", channel="phone", is_second=False, reopen_count=0, resolve_minutes=None,
        appeal_kind="", extension_requests=0, result_due=None, result_submitted_at=None,
        replied_at=None, revisit_state="", complained_person="", result_by=None,
        satisfaction=None,
    )
    values.update(overrides)
    return values


def plain(rollup: dict) -> dict:
    """Keys with their non-zero counters, as plain dicts (zeros are not written out below)."""
    out = {k: {c: n for c, n in v.items() if n} for k, v in rollup.items()}
    return {k: v for k, v in out.items() if v}


NOV2, NOV3, NOV4 = date(2026, 11, 2), date(2026, 11, 3), date(2026, 11, 4)
QA = ("QA", "quality", "II", "phone")
NOBODY = ("", "quality", "II", "phone")  # not dispatched yet


def replied(**overrides) -> dict:
    """Dispatched to QA, result due Wed 4 Nov 11:00 local and submitted Tue 3 Nov 14:00,
    replied Wed 4 Nov 12:00 after 21 working hours, answered: closed."""
    values = dict(
        status="closed", department="QA", resolve_minutes=21 * 60,
        result_due=utc(2026, 11, 4, 3), result_submitted_at=utc(2026, 11, 3, 6),
        replied_at=utc(2026, 11, 4, 4), revisit_state="done", result_by=7, satisfaction=5)
    values.update(overrides)
    return row(**values)


# ---- contributions ------------------------------------------------------------------------------

def test_no_row_adds_nothing():
    assert contributions(None, TZ, RATES) == {}
    assert person_contributions(None, TZ) == {}


def test_a_logged_complaint_counts_received_and_valid_on_its_day():
    assert plain(contributions(row(), TZ, RATES)) == {
        (NOV2, *NOBODY): {"received": 1, "valid": 1}}


def test_the_day_is_the_company_s_not_utc():
    # 31 Oct 23:30 UTC is 1 Nov 07:30 in Shanghai.
    r = row(received_at=utc(2026, 10, 31, 23, 30))
    assert list(contributions(r, TZ, RATES)) == [(date(2026, 11, 1), *NOBODY)]


def test_an_invalid_complaint_is_only_received():
    # Whatever else it carries (a second complaint, an appeal) counts only among the valid.
    r = row(status="invalid", department="SVC", is_second=True, appeal_kind="not-our-business",
            extension_requests=1)
    assert plain(contributions(r, TZ, RATES)) == {
        (NOV2, "SVC", "quality", "II", "phone"): {"received": 1}}


def test_a_second_complaint_appealed_with_extensions_asked():
    r = row(department="QA", status="in_progress", is_second=True, appeal_kind="dispute-facts",
            extension_requests=2)
    assert plain(contributions(r, TZ, RATES)) == {
        (NOV2, *QA): {"received": 1, "valid": 1, "repeats": 1, "appeals": 1, "extensions": 2}}


def test_a_replied_complaint_counts_on_its_received_due_and_reply_days():
    assert plain(contributions(replied(), TZ, RATES)) == {
        (NOV2, *QA): {"received": 1, "valid": 1, "resolved": 1, "first_time": 1,
                      "resolve_n": 1, "resolve_minutes": 1260},
        (NOV4, *QA): {"due_settled": 1, "on_time": 1,  # due Wed 4 Nov
                      "replied": 1, "revisited": 1, "target_milli": 800},  # replied Wed 4 Nov
    }


def test_the_reply_day_is_local_too():
    # Replied 30 Nov 17:00 UTC = Tue 1 Dec 01:00 local.
    r = replied(replied_at=utc(2026, 11, 30, 17))
    assert plain(contributions(r, TZ, RATES))[(date(2026, 12, 1), *QA)] == {
        "replied": 1, "revisited": 1, "target_milli": 800}


@pytest.mark.parametrize("submitted,on_time,late", [
    (utc(2026, 11, 4, 2, 59), 1, 0),  # a minute early
    (utc(2026, 11, 4, 3), 1, 0),  # exactly at the deadline
    (utc(2026, 11, 4, 3, 1), 0, 1),  # a minute late
    (utc(2026, 11, 5, 7), 0, 1),  # the next day: still counted on the due day
])
def test_on_time_or_late_is_counted_on_the_due_day(submitted, on_time, late):
    c = plain(contributions(replied(result_submitted_at=submitted), TZ, RATES))
    due = {k: v for k, v in c[(NOV4, *QA)].items() if k in ("due_settled", "on_time", "late")}
    assert due == {"due_settled": 1, **({"on_time": 1} if on_time else {}),
                   **({"late": 1} if late else {})}


def test_an_approved_extension_moves_the_due_day_and_makes_it_on_time():
    # Submitted Thu 5 Nov 15:00 local: late for Wed 4 Nov 11:00, on time for Fri 6 Nov 11:00.
    r = replied(result_submitted_at=utc(2026, 11, 5, 7), result_due=utc(2026, 11, 6, 3),
                replied_at=utc(2026, 11, 6, 7))
    c = plain(contributions(r, TZ, RATES))
    assert c[(date(2026, 11, 6), *QA)] == {"due_settled": 1, "on_time": 1, "replied": 1,
                                           "revisited": 1, "target_milli": 800}
    assert (NOV4, *QA) not in c


def test_a_result_still_missing_is_not_in_the_rollup():
    # The statistics count it live while it is past its deadline (db.stats).
    r = row(status="in_progress", department="QA", result_due=utc(2026, 11, 4, 3))
    assert plain(contributions(r, TZ, RATES)) == {(NOV2, *QA): {"received": 1, "valid": 1}}


def test_a_submitted_result_not_yet_replied():
    r = row(status="result_submitted", department="QA", result_due=utc(2026, 11, 4, 3),
            result_submitted_at=utc(2026, 11, 3, 6))
    assert plain(contributions(r, TZ, RATES)) == {
        (NOV2, *QA): {"received": 1, "valid": 1},
        (NOV4, *QA): {"due_settled": 1, "on_time": 1}}


def test_a_reopened_complaint_is_no_longer_resolved_but_was_replied_and_revisited():
    # Replied Wed 4 Nov, the customer answered 1: back in progress with a new deadline and no
    # result; its reply (and the answer) stay.
    r = replied(status="in_progress", reopen_count=1, revisit_state="", satisfaction=1,
                result_submitted_at=None, result_due=utc(2026, 11, 9, 2))
    assert plain(contributions(r, TZ, RATES)) == {
        (NOV2, *QA): {"received": 1, "valid": 1},
        (NOV4, *QA): {"replied": 1, "revisited": 1, "target_milli": 800}}


def test_resolved_after_a_reopen_is_not_first_time():
    c = plain(contributions(replied(reopen_count=1), TZ, RATES))
    assert c[(NOV2, *QA)] == {"received": 1, "valid": 1, "resolved": 1, "resolve_n": 1,
                              "resolve_minutes": 1260}


def test_resolved_without_a_recorded_time_is_not_in_the_mean():
    c = plain(contributions(replied(resolve_minutes=None), TZ, RATES))
    assert c[(NOV2, *QA)] == {"received": 1, "valid": 1, "resolved": 1, "first_time": 1}


def test_resolved_on_the_spot_has_no_department_and_no_deadline():
    r = row(status="closed", grade="M", resolve_minutes=90, replied_at=utc(2026, 11, 2, 2, 30),
            revisit_state="not-drawn")
    assert plain(contributions(r, TZ, RATES)) == {
        (NOV2, "", "quality", "M", "phone"): {
            "received": 1, "valid": 1, "resolved": 1, "first_time": 1, "resolve_n": 1,
            "resolve_minutes": 90, "replied": 1, "target_milli": 200}}


@pytest.mark.parametrize("state,status,revisited", [
    ("done", "closed", 1),  # answered, satisfied
    ("escalated", "replied", 1),  # answered, unsatisfied after the last reopen
    ("pending", "replied", 0),  # drawn, not reached yet
    ("survey", "replied", 0),  # the email is out
    ("not-drawn", "closed", 0),
    ("unreachable", "closed", 0),  # three failed calls
])
def test_revisited_means_the_customer_answered(state, status, revisited):
    c = contributions(replied(revisit_state=state, status=status), TZ, RATES)
    assert (c[(NOV4, *QA)]["replied"], c[(NOV4, *QA)]["revisited"]) == (1, revisited)


@pytest.mark.parametrize("grade,milli", [("I", 1000), ("II", 800), ("M", 200), ("X", 1000)])
def test_the_revisit_target_is_the_grade_s_share_in_thousandths(grade, milli):
    # A grade the rates do not know is always revisited (share 1).
    c = contributions(replied(grade=grade), TZ, RATES)
    assert c[(NOV4, "QA", "quality", grade, "phone")]["target_milli"] == milli


def test_counters_are_the_declared_ones():
    c = contributions(replied(is_second=True, appeal_kind="x", extension_requests=1), TZ, RATES)
    assert set().union(*c.values()) <= set(COUNTERS)


# ---- survey answers --------------------------------------------------------------------------

@pytest.mark.parametrize("overall,satisfied", [(5, 1), (4, 1), (3, 0), (1, 0)])
def test_an_answer_counts_once_on_its_day(overall, satisfied):
    # Answered 2 Nov 16:30 UTC = Tue 3 Nov 00:30 local, for a complaint not dispatched.
    part = answer_contribution(row(), overall, utc(2026, 11, 2, 16, 30), TZ, satisfied_from=4)
    assert part == {(NOV3, *NOBODY): Counter(answers=1, satisfied=satisfied, score_sum=overall)}


def test_the_satisfied_threshold_is_the_policy_s():
    part = answer_contribution(row(department="QA"), 3, utc(2026, 11, 3, 2), TZ,
                               satisfied_from=3)
    assert part == {(NOV3, *QA): Counter(answers=1, satisfied=1, score_sum=3)}


# ---- the employee ranking's rollup ------------------------------------------------------------

def test_the_person_complained_about_is_counted_on_the_received_day():
    r = row(complained_person="  张三 ", status="dispatched", department="QA")
    assert plain(person_contributions(r, TZ)) == {(NOV2, "n张三", "II"): {"against": 1}}


def test_nobody_named_and_invalid_complaints_count_nothing():
    assert person_contributions(row(complained_person="   "), TZ) == {}
    assert person_contributions(row(complained_person="张三", status="invalid"), TZ) == {}


def test_the_handler_who_submitted_the_result_is_counted_on_the_reply_day():
    r = replied(complained_person="李四")
    assert plain(person_contributions(r, TZ)) == {
        (NOV2, "n李四", "II"): {"against": 1},
        (NOV4, "u7", "II"): {"resolved": 1, "due_settled": 1, "on_time": 1, "rated": 1,
                             "rating_sum": 5},
    }


def test_a_late_unrated_result():
    r = replied(result_submitted_at=utc(2026, 11, 4, 5), satisfaction=None, revisit_state="")
    assert plain(person_contributions(r, TZ)) == {
        (NOV4, "u7", "II"): {"resolved": 1, "due_settled": 1}}


def test_no_handler_entry_until_resolved_nor_without_a_result():
    # Reopened (replied, but back in progress) and resolved on the spot (no result author).
    reopened = replied(status="in_progress", reopen_count=1, result_submitted_at=None)
    assert person_contributions(reopened, TZ) == {}
    on_the_spot = replied(result_by=None, result_due=None, result_submitted_at=None)
    assert person_contributions(on_the_spot, TZ) == {}
    counted = person_contributions(replied(), TZ)
    assert set().union(*counted.values()) <= set(PERSON_COUNTERS)


# ---- delta and merge ------------------------------------------------------------------------

K1, K2, K3 = ((date(2026, 11, d), "QA", "quality", "II", "phone") for d in (2, 3, 4))


def test_delta_keeps_only_the_counters_that_change():
    before = {K1: Counter(received=1, valid=1, resolved=0), K2: Counter(due_settled=1, late=1)}
    after = {K1: Counter(received=1, valid=1, resolved=1), K3: Counter(replied=1)}
    assert delta(before, after) == {
        K1: {"resolved": 1},  # received, valid unchanged: left out
        K2: {"due_settled": -1, "late": -1},  # gone: taken back
        K3: {"replied": 1},  # new
    }


def test_delta_of_no_change_is_empty_and_skips_unlisted_counters():
    same = {K1: Counter(received=1, valid=1)}
    assert delta(same, {K1: Counter(received=1, valid=1)}) == {}
    assert delta({}, {K1: Counter(received=1, other=5)}, ("received",)) == {K1: {"received": 1}}
    assert delta({}, {}) == {}


def test_dispatching_moves_the_counts_from_no_department_to_the_department():
    before = contributions(row(), TZ, RATES)
    after = contributions(row(status="dispatched", department="QA"), TZ, RATES)
    assert delta(before, after) == {
        (NOV2, *NOBODY): {"received": -1, "valid": -1},
        (NOV2, *QA): {"received": 1, "valid": 1}}


def test_a_reopen_moves_exactly_its_difference():
    before = contributions(replied(), TZ, RATES)
    after = contributions(replied(status="in_progress", reopen_count=1, revisit_state="",
                                  result_submitted_at=None), TZ, RATES)
    assert delta(before, after) == {
        (NOV2, *QA): {"resolved": -1, "first_time": -1, "resolve_n": -1,
                      "resolve_minutes": -1260},
        (NOV4, *QA): {"due_settled": -1, "on_time": -1}}
    # before + delta = after
    total = {k: Counter(v) for k, v in before.items()}
    merge(total, {k: Counter(v) for k, v in delta(before, after).items()})
    assert plain(total) == plain(after)


def test_merge_adds_into_the_total_without_sharing_counters():
    total = {K1: Counter(received=1)}
    part = {K1: Counter(received=2, valid=1), K2: Counter(on_time=1)}
    merge(total, part)
    assert total == {K1: Counter(received=3, valid=1), K2: Counter(on_time=1)}
    total[K2]["on_time"] += 1
    assert part[K2] == Counter(on_time=1)  # the part is left as it was
    merge(total, {})
    assert total == {K1: Counter(received=3, valid=1), K2: Counter(on_time=2)}
