"""DOMAIN §4 deadline table, running deadlines, reminders and breaches (issue 4)."""

import re
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
from portal.policy import DEFAULT_POLICY_PATH, PolicyError, load_policy, parse_policy
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
    # check_order=False: such a table is refused now, but a version saved before that rule
    # still computes as it did.
    rules = parse_rules({"grades": {"I": {"acknowledge": "9d", "contact": "1h", "result": "1d", "cap": "2d"}}},
                        ["I"], check_order=False)
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


GRADES = {"I": {"acknowledge": "2h", "contact": "same-day", "result": "3d", "cap": "7d"},
          "II": {"acknowledge": "1d", "contact": "1d", "result": "2d", "cap": "7d"},
          "M": {"acknowledge": "1d", "contact": "2d", "result": "3d", "cap": "7d"}}


def _rules(grade="M", urgent=None, hours_per_day=9.0, **steps):
    grades = {g: dict(t) for g, t in GRADES.items()}
    grades[grade].update(steps)
    raw = {"grades": grades, "urgent": urgent if urgent is not None else {"acknowledge": "1h",
                                                                          "contact": "4h"}}
    return parse_rules(raw, ["I", "II", "M"], hours_per_day)


def test_a_cap_shorter_than_the_result_deadline_is_refused_naming_both():
    with pytest.raises(ValueError, match=re.escape(
            "deadlines.grades.M.cap (1d) is shorter than deadlines.grades.M.result (3d)")):
        _rules(cap="1d")
    with pytest.raises(ValueError, match=re.escape("deadlines.grades.II.cap (2d) is shorter")):
        _rules("II", result="3d", cap="2d")
    _rules(cap="3d")  # as long as the result: nothing is cut


def test_hours_and_days_compare_on_the_length_of_the_working_day():
    with pytest.raises(ValueError, match="deadlines.grades.M.cap"):
        _rules(result="10h", cap="1d")  # a 9-hour day
    _rules(result="10h", cap="1d", hours_per_day=10)
    _rules(result="9h", cap="1d")
    with pytest.raises(ValueError, match="deadlines.grades.I.cap"):
        _rules("I", result="same-day", cap="8h")  # same-day counts as a whole working day


def test_an_urgent_deadline_longer_than_a_grade_s_is_refused():
    with pytest.raises(ValueError, match=re.escape(
            "deadlines.urgent.acknowledge (same-day) is longer than "
            "deadlines.grades.I.acknowledge (2h)")):
        _rules(urgent={"acknowledge": "same-day", "contact": "4h"})
    # Compared with the grade whose deadline is shortest (Class II's 2d result here).
    with pytest.raises(ValueError, match=re.escape(
            "deadlines.urgent.result (3d) is longer than deadlines.grades.II.result (2d)")):
        _rules(urgent={"acknowledge": "1h", "result": "3d"})
    with pytest.raises(ValueError, match="deadlines.urgent.contact"):
        _rules(urgent={"contact": "10h"})  # longer than Class I's same-day (9 hours)
    with pytest.raises(ValueError, match="deadlines.urgent.acknowledge"):
        _rules("M", acknowledge="0.5h")  # a grade under the urgent 1h
    _rules(urgent={"acknowledge": "2h", "contact": "same-day", "result": "2d", "cap": "7d"})
    _rules(urgent={})


def test_an_urgent_cap_must_leave_room_for_the_result():
    with pytest.raises(ValueError, match=re.escape(
            "deadlines.urgent.cap (2d) is shorter than deadlines.grades.I.result (3d)")):
        _rules(urgent={"cap": "2d"})
    with pytest.raises(ValueError, match=re.escape(
            "deadlines.urgent.cap (1d) is shorter than deadlines.urgent.result (2d)")):
        _rules(urgent={"result": "2d", "cap": "1d"})
    _rules(urgent={"result": "1d", "cap": "1d"})


def test_the_order_rules_can_be_skipped_for_an_old_saved_version():
    raw = {"grades": {**GRADES, "M": {**GRADES["M"], "cap": "1d"}}}
    rules = parse_rules(raw, ["I", "II", "M"], check_order=False)
    assert str(rules.by_grade["M"][Deadline.CAP]) == "1d"


def test_start_up_refuses_the_same_in_the_policy_file(tmp_path):
    text = DEFAULT_POLICY_PATH.read_text(encoding="utf-8")
    bad = tmp_path / "policy.toml"
    bad.write_text(text.replace('[deadlines.urgent]\nacknowledge = "1h"',
                                '[deadlines.urgent]\nacknowledge = "same-day"'), encoding="utf-8")
    with pytest.raises(PolicyError, match=re.escape("deadlines.urgent.acknowledge (same-day)")):
        load_policy(bad)
    # The length of the working day comes from [calendar]: 4 hours make urgent contact's 4h
    # as long as Class I's same-day, and 5h longer.
    short_day = text.replace('work_end = "18:00"', 'work_end = "13:00"')
    bad.write_text(short_day, encoding="utf-8")
    load_policy(bad)
    bad.write_text(short_day.replace('contact = "4h"', 'contact = "5h"'), encoding="utf-8")
    with pytest.raises(PolicyError, match="deadlines.urgent.contact"):
        load_policy(bad)
    load_policy()  # the shipped file passes
