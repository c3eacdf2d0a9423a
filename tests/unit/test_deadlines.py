"""DOMAIN §4 deadline table, running deadlines, reminders and breaches (issue 4)."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from portal.deadlines import (
    AlertKind,
    Deadline,
    Span,
    SpanError,
    Urgency,
    alerts,
    appeal_allowed,
    check_extension,
    compute,
    nearest,
    parse_rules,
    running,
    urgency,
)
from portal.policy import PolicyError, load_policy, parse_policy
from portal.workcalendar import BusinessCalendar

TZ = ZoneInfo("Asia/Shanghai")
CAL = BusinessCalendar.build(TZ)
RULES = load_policy().deadlines


def at(*args) -> datetime:
    return datetime(*args, tzinfo=TZ)


def test_class_i_deadlines_from_a_tuesday_morning_dispatch():
    dues = compute(RULES, "I", False, at(2026, 11, 24, 10, 0), CAL)
    assert dues == {
        Deadline.ACKNOWLEDGE: at(2026, 11, 24, 12, 0),
        Deadline.CONTACT: at(2026, 11, 24, 18, 0),
        Deadline.RESULT: at(2026, 11, 27, 10, 0),
        Deadline.CAP: at(2026, 12, 3, 10, 0),
    }


def test_class_ii_and_minor():
    start = at(2026, 11, 27, 15, 0)  # a Friday
    ii = compute(RULES, "II", False, start, CAL)
    assert ii[Deadline.ACKNOWLEDGE] == at(2026, 11, 30, 15, 0)
    assert ii[Deadline.RESULT] == at(2026, 12, 1, 15, 0)
    m = compute(RULES, "M", False, start, CAL)
    assert m[Deadline.CONTACT] == at(2026, 12, 1, 15, 0)
    assert m[Deadline.RESULT] == at(2026, 12, 2, 15, 0)


def test_urgent_shortens_the_first_deadlines_only():
    start = at(2026, 11, 24, 17, 30)
    dues = compute(RULES, "M", True, start, CAL)
    assert dues[Deadline.ACKNOWLEDGE] == at(2026, 11, 25, 9, 30)
    assert dues[Deadline.CONTACT] == at(2026, 11, 25, 12, 30)
    assert dues[Deadline.RESULT] == compute(RULES, "M", False, start, CAL)[Deadline.RESULT]


def test_dispatch_before_the_national_day_holiday():
    dues = compute(RULES, "I", False, at(2026, 9, 30, 17, 30), CAL)
    assert dues[Deadline.ACKNOWLEDGE] == at(2026, 10, 8, 10, 30)
    assert dues[Deadline.CONTACT] == at(2026, 9, 30, 18, 0)


def test_running_deadlines_follow_the_status():
    assert running("dispatched", False, False) == list(Deadline)
    assert running("acknowledged", True, False) == [Deadline.CONTACT, Deadline.RESULT, Deadline.CAP]
    assert running("in_progress", True, True) == [Deadline.RESULT, Deadline.CAP]
    assert running("appealed", False, False) == list(Deadline)
    assert running("result_submitted", True, True) == [Deadline.CAP]
    for status in ("logged", "signed_off", "verified", "replied", "closed", "invalid"):
        assert running(status, True, True) == []


def test_reminder_at_three_quarters_of_the_allowed_time_then_breach():
    start = at(2026, 11, 24, 10, 0)
    dues = compute(RULES, "II", False, start, CAL)  # acknowledge: Wed 10:00 (9 h)
    schedule = alerts(dues, [Deadline.ACKNOWLEDGE], start, 0.75, CAL)
    assert [(a.kind, a.at) for a in schedule] == [
        (AlertKind.REMINDER, at(2026, 11, 24, 16, 45)),  # 6.75 working hours later
        (AlertKind.BREACH, at(2026, 11, 25, 10, 0)),
    ]
    assert nearest(dues, [Deadline.RESULT, Deadline.CAP]) == dues[Deadline.RESULT]


def test_urgency_colours():
    start = at(2026, 11, 24, 9, 0)
    due = at(2026, 11, 24, 17, 0)  # 8 h allowed; soon after 6 h
    assert urgency(at(2026, 11, 24, 14, 0), due, start, 0.75, CAL) is Urgency.OK
    assert urgency(at(2026, 11, 24, 15, 30), due, start, 0.75, CAL) is Urgency.SOON
    assert urgency(at(2026, 11, 24, 17, 0), due, start, 0.75, CAL) is Urgency.OVERDUE


def test_appeal_window_is_one_working_day_after_dispatch():
    dispatched = at(2026, 11, 27, 15, 0)  # Friday
    assert appeal_allowed(at(2026, 11, 30, 14, 59), dispatched, RULES, CAL)
    assert appeal_allowed(at(2026, 11, 30, 15, 0), dispatched, RULES, CAL)
    assert not appeal_allowed(at(2026, 11, 30, 15, 1), dispatched, RULES, CAL)
    assert not appeal_allowed(at(2026, 11, 30, 15, 1), None, RULES, CAL)


def test_extension_checks():
    now, due, cap = at(2026, 11, 24, 10), at(2026, 11, 26, 10), at(2026, 12, 3, 10)
    assert check_extension(at(2026, 11, 30, 10), now, due, cap) is None
    assert check_extension(due, now, due, cap) == "not_later"
    assert check_extension(at(2026, 12, 3, 11), now, due, cap) == "past_cap"


def test_span_parsing():
    assert Span.parse("2h") == Span("h", 2)
    assert Span.parse(" 1.5 d ") == Span("d", 1.5)
    assert Span.parse("same-day") == Span("same-day")
    for bad in ("", "2", "0h", "-1d", "2w", None, 3):
        with pytest.raises(SpanError):
            Span.parse(bad)


def test_policy_rejects_bad_deadline_tables():
    with pytest.raises(ValueError, match="deadlines.grades.II.cap"):
        parse_rules({"grades": {"I": {"acknowledge": "1h", "contact": "1h", "result": "1d", "cap": "2d"},
                                "II": {"acknowledge": "1h", "contact": "1h", "result": "1d"}}},
                    ["I", "II"])
    with pytest.raises(ValueError, match="reminder_at"):
        parse_rules({"reminder_at": 1.5}, ["I", "II", "M"])
    base = load_policy()
    raw = {"grades": [{"code": g.code, "zh": g.zh, "en": g.en, "rank": g.rank} for g in base.grades],
           "channels": [{"code": "x", "zh": "x", "en": "x"}],
           "categories": [{"code": "x", "zh": "x", "en": "x", "route": "office"}],
           "criteria": [{"code": "c", "zh": "c", "en": "c", "grade": "I"}],
           "deadlines": {"grades": {"I": {"acknowledge": "soon"}}}}
    with pytest.raises(PolicyError, match="deadlines"):
        parse_policy(raw)
    raw["deadlines"] = {}
    raw["calendar"] = {"work_start": "18:00", "work_end": "09:00"}
    with pytest.raises(PolicyError, match="work_start"):
        parse_policy(raw)


def test_the_cap_bounds_every_deadline():
    rules = parse_rules({"grades": {"I": {"acknowledge": "9d", "contact": "1h", "result": "1d", "cap": "2d"}}},
                        ["I"])
    dues = compute(rules, "I", False, at(2026, 11, 24, 9), CAL)
    assert dues[Deadline.ACKNOWLEDGE] == dues[Deadline.CAP] == at(2026, 11, 25, 18)
    assert CAL.working_time_between(dues[Deadline.RESULT], dues[Deadline.CAP]) == timedelta(hours=9)


def test_plan_i8_counts_the_month_on_the_company_calendar():
    from datetime import UTC

    from portal.schedule import plan

    logged = datetime(2026, 2, 28, 23, 0, tzinfo=UTC)  # 1 March 07:00 in Shanghai
    row = {"status": "logged", "received_at": logged, "logged_at": logged, "criteria": "M-1"}
    p = plan(row, RULES, CAL)
    assert p.next_alert_at == at(2026, 4, 1, 7, 0)
    assert p.next_due == at(2026, 3, 2, 18, 0)  # one working day after receipt (a Sunday)
    row["criteria"] = "M-1,I-8"
    assert plan(row, RULES, CAL).next_alert_at is None
