"""The business calendar on the hard cases of DOMAIN §4 (issue 4), with a fixed clock."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.workcalendar import BusinessCalendar, DayKind, Override

TZ = ZoneInfo("Asia/Shanghai")
CAL = BusinessCalendar.build(TZ)


def at(*args) -> datetime:
    return datetime(*args, tzinfo=TZ)


def test_package_years_are_official_and_2027_falls_back():
    assert CAL.year_source(2026) == "official"
    assert CAL.year_source(2099) == "fallback"


def test_national_day_2026_dispatch_at_1730_on_30_september():
    start = at(2026, 9, 30, 17, 30)
    assert CAL.next_working_time(start) == start
    # 30 minutes that evening, then the holiday 1–7 October; work resumes on the 8th.
    assert CAL.add_working_hours(start, 0.5) == at(2026, 9, 30, 18, 0)
    assert CAL.next_working_time(at(2026, 9, 30, 18, 0)) == at(2026, 10, 8, 9, 0)
    assert CAL.add_working_hours(start, 2) == at(2026, 10, 8, 10, 30)
    assert CAL.end_of_working_day(start) == at(2026, 9, 30, 18, 0)


def test_saturday_10_october_2026_is_a_make_up_working_day():
    assert CAL.is_working_day(date(2026, 10, 10))
    assert not CAL.is_working_day(date(2026, 10, 11))
    assert CAL.next_working_time(at(2026, 10, 10, 8, 0)) == at(2026, 10, 10, 9, 0)
    # Friday 9 October 17:00 + 2 working hours lands on the Saturday.
    assert CAL.add_working_hours(at(2026, 10, 9, 17, 0), 2) == at(2026, 10, 10, 10, 0)


def test_spring_festival_2026():
    for d in range(15, 24):
        assert not CAL.is_working_day(date(2026, 2, d)), d
    assert CAL.is_working_day(date(2026, 2, 14))  # Saturday, worked
    assert CAL.is_working_day(date(2026, 2, 28))  # Saturday, worked
    # 3 working days from Friday 13 Feb 10:00: Sat 14th, then Tue 24th, Wed 25th 10:00.
    assert CAL.add_working_days(at(2026, 2, 13, 10, 0), 3) == at(2026, 2, 25, 10, 0)
    assert CAL.working_time_between(at(2026, 2, 14, 9, 0), at(2026, 2, 24, 18, 0)) == timedelta(hours=18)


def test_eighteen_hundred_exactly_is_not_working_time():
    assert not CAL.is_working_time(at(2026, 11, 24, 18, 0))
    assert CAL.next_working_time(at(2026, 11, 24, 18, 0)) == at(2026, 11, 25, 9, 0)
    assert CAL.add_working_hours(at(2026, 11, 24, 18, 0), 1) == at(2026, 11, 25, 10, 0)
    # Same working day when the clock starts at 18:00: the next day's end of work.
    assert CAL.end_of_working_day(at(2026, 11, 24, 18, 0)) == at(2026, 11, 25, 18, 0)


def test_one_working_day_from_tuesday_1500_is_wednesday_1500():
    assert CAL.add_working_days(at(2026, 11, 24, 15, 0), 1) == at(2026, 11, 25, 15, 0)
    # Friday 15:00 + 1 day -> Monday 15:00.
    assert CAL.add_working_days(at(2026, 11, 27, 15, 0), 1) == at(2026, 11, 30, 15, 0)


def test_across_new_year_into_an_unknown_year_uses_the_fallback():
    # 2027 is not in the package: Mon–Fri, 1 January off. Thu 31 Dec 2026 17:00 + 2h.
    assert not CAL.is_working_day(date(2027, 1, 1))
    assert CAL.add_working_hours(at(2026, 12, 31, 17, 0), 2) == at(2027, 1, 4, 10, 0)
    for month, day in ((5, 1), (10, 1), (10, 2), (10, 3)):
        d = date(2031, month, day)
        assert not CAL.is_working_day(d)


def test_company_holiday_and_make_up_day_entered_by_the_admin():
    cal = BusinessCalendar.build(TZ, overrides=[
        Override(date(2026, 11, 25), DayKind.HOLIDAY, "company anniversary"),
        Override(date(2026, 11, 28), DayKind.WORKDAY, "stocktaking"),
    ])
    assert not cal.is_working_day(date(2026, 11, 25))
    assert cal.is_working_day(date(2026, 11, 28))
    # Tue 24 Nov 17:00 + 2h skips the company holiday: Thursday 10:00.
    assert cal.add_working_hours(at(2026, 11, 24, 17, 0), 2) == at(2026, 11, 26, 10, 0)
    # An override beats the package: a national make-up day can be given off.
    cal2 = BusinessCalendar.build(TZ, overrides=[Override(date(2026, 10, 10), DayKind.HOLIDAY)])
    assert not cal2.is_working_day(date(2026, 10, 10))


def test_a_confirmed_year_drops_the_fixed_date_fallback():
    cal = BusinessCalendar.build(TZ, confirmed_years=[2027], overrides=[
        Override(date(2027, 2, 8), DayKind.HOLIDAY, "春节")])
    assert cal.year_source(2027) == "company"
    assert cal.is_working_day(date(2027, 10, 1))  # the admin's list is the whole truth now
    assert not cal.is_working_day(date(2027, 2, 8))


def test_a_newer_package_release_is_taken_without_code_changes():
    official = ({date(2027, 1, 1): "New year", date(2027, 2, 10): "Spring Festival"},
                {date(2027, 2, 6): "Spring Festival"})
    cal = BusinessCalendar.build(TZ, official=official)
    assert cal.year_source(2027) == "official"
    assert not cal.is_working_day(date(2027, 2, 10))
    assert cal.is_working_day(date(2027, 2, 6))  # a Saturday


def test_custom_working_hours():
    cal = BusinessCalendar.build(TZ, start=time(8, 30), end=time(17, 0))
    assert cal.hours_per_day == timedelta(hours=8, minutes=30)
    assert cal.add_working_days(at(2026, 11, 24, 8, 0), 1) == at(2026, 11, 24, 17, 0)


def test_naive_instants_are_refused():
    with pytest.raises(ValueError):
        CAL.next_working_time(datetime(2026, 11, 24, 10, 0))


def test_negative_span_is_refused_and_between_is_antisymmetric():
    with pytest.raises(ValueError):
        CAL.add_working_hours(at(2026, 11, 24, 10, 0), -1)
    a, b = at(2026, 11, 24, 10, 0), at(2026, 11, 25, 11, 0)
    assert CAL.working_time_between(a, b) == timedelta(hours=10)
    assert CAL.working_time_between(b, a) == -timedelta(hours=10)


instants = st.datetimes(min_value=datetime(2025, 12, 1), max_value=datetime(2027, 3, 1)).map(
    lambda d: d.replace(tzinfo=TZ, second=0, microsecond=0))
spans = st.integers(min_value=0, max_value=9 * 60 * 12).map(lambda m: timedelta(minutes=m))


@settings(max_examples=300, deadline=None)
@given(instants, spans)
def test_adding_then_counting_round_trips(start, span):
    end = CAL.add_working_hours(start, span)
    assert CAL.working_time_between(start, end) == span


@settings(max_examples=300, deadline=None)
@given(instants, spans)
def test_the_result_is_always_inside_working_time(start, span):
    end = CAL.add_working_hours(start, span)
    assert CAL.is_working_time(end, include_end=True)
    assert end >= start


@settings(max_examples=200, deadline=None)
@given(instants, spans, spans)
def test_adding_is_additive(start, a, b):
    assert CAL.add_working_hours(CAL.add_working_hours(start, a), b) == CAL.add_working_hours(start, a + b) or (
        # a + b may end exactly at 18:00 where the two-step path jumps to 09:00 next day
        CAL.working_time_between(start, CAL.add_working_hours(CAL.add_working_hours(start, a), b)) == a + b
    )
