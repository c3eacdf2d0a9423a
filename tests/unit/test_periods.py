"""DOMAIN §6 reporting periods: months, quarters, years and custom ranges on the company's
calendar, their URL keys, the period before, UTC bounds and the months they touch."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.periods import (
    MAX_CUSTOM_DAYS,
    Period,
    PeriodError,
    custom,
    month,
    parse,
    quarter,
    quarter_of,
    year,
)

TZ = ZoneInfo("Asia/Shanghai")


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


# --- construction ---------------------------------------------------------------------------

@pytest.mark.parametrize("y,m,first,last", [
    (2026, 1, date(2026, 1, 1), date(2026, 1, 31)),
    (2026, 2, date(2026, 2, 1), date(2026, 2, 28)),
    (2028, 2, date(2028, 2, 1), date(2028, 2, 29)),  # leap year
    (2100, 2, date(2100, 2, 1), date(2100, 2, 28)),  # not a leap year (century)
    (2000, 2, date(2000, 2, 1), date(2000, 2, 29)),  # leap year (400)
    (2026, 4, date(2026, 4, 1), date(2026, 4, 30)),
    (2026, 11, date(2026, 11, 1), date(2026, 11, 30)),
    (2026, 12, date(2026, 12, 1), date(2026, 12, 31)),  # December: the next month is January
])
def test_a_month_runs_from_its_first_to_its_last_day(y, m, first, last):
    p = month(y, m)
    assert (p.kind, p.first, p.last) == ("month", first, last)
    assert p.days == last.day


@pytest.mark.parametrize("q,first,last,days", [
    (1, date(2026, 1, 1), date(2026, 3, 31), 90),
    (2, date(2026, 4, 1), date(2026, 6, 30), 91),
    (3, date(2026, 7, 1), date(2026, 9, 30), 92),
    (4, date(2026, 10, 1), date(2026, 12, 31), 92),
])
def test_quarter_boundaries(q, first, last, days):
    p = quarter(2026, q)
    assert (p.kind, p.first, p.last, p.days) == ("quarter", first, last, days)


def test_a_leap_first_quarter_has_91_days():
    assert quarter(2028, 1).days == 91
    assert quarter(2028, 1).last == date(2028, 3, 31)


def test_a_year_runs_from_january_1_to_december_31():
    assert year(2026) == Period("year", date(2026, 1, 1), date(2026, 12, 31))
    assert year(2026).days == 365
    assert year(2028).days == 366


@pytest.mark.parametrize("day,q", [
    (date(2026, 1, 1), 1), (date(2026, 3, 31), 1), (date(2026, 4, 1), 2), (date(2026, 6, 30), 2),
    (date(2026, 7, 1), 3), (date(2026, 9, 30), 3), (date(2026, 10, 1), 4), (date(2026, 12, 31), 4),
])
def test_quarter_of_a_day(day, q):
    assert quarter_of(day) == quarter(2026, q)


def test_a_custom_range_is_inclusive():
    p = custom(date(2026, 11, 1), date(2026, 11, 15))
    assert (p.kind, p.first, p.last, p.days) == ("custom", date(2026, 11, 1), date(2026, 11, 15), 15)
    assert custom(date(2026, 11, 1), date(2026, 11, 1)).days == 1


def test_a_custom_range_may_span_three_years_but_not_more():
    first = date(2026, 1, 1)
    assert custom(first, first + timedelta(days=MAX_CUSTOM_DAYS - 1)).days == MAX_CUSTOM_DAYS
    assert custom(date(2026, 1, 1), date(2028, 12, 31)).days == 1096  # three calendar years
    with pytest.raises(PeriodError, match="three years"):
        custom(first, first + timedelta(days=MAX_CUSTOM_DAYS))
    with pytest.raises(PeriodError, match="ends before it starts"):
        custom(date(2026, 11, 2), date(2026, 11, 1))


# --- keys and parsing -----------------------------------------------------------------------

@pytest.mark.parametrize("p,key", [
    (month(2026, 11), "2026-11"),
    (month(2026, 1), "2026-01"),
    (quarter(2026, 1), "2026-Q1"),
    (quarter(2026, 4), "2026-Q4"),
    (year(2026), "2026"),
    (custom(date(2026, 11, 1), date(2026, 11, 15)), "2026-11-01..2026-11-15"),
])
def test_keys_round_trip_through_parse(p, key):
    assert p.key == key
    assert parse(key) == p
    assert parse(key).kind == p.kind


def test_parse_is_lenient_about_blanks_and_the_quarter_letter():
    assert parse("  2026-11 ") == month(2026, 11)
    assert parse("2026-q4") == quarter(2026, 4)
    assert parse("2026-q4").key == "2026-Q4"
    assert parse("2026-11-01 .. 2026-11-15") == custom(date(2026, 11, 1), date(2026, 11, 15))


@pytest.mark.parametrize("text", [
    "2026-13", "2026-00", "2026-1", "26-11", "2026-Q5", "2026-Q0", "2026-Q", "Q4-2026",
    "abc", "", "   ", None, "0000", "0000-01", "2026/11",
    "2026-11-31..2026-12-01",  # no 31 November
    "2026-11-01..",
    "..2026-11-01",
    "2026-11-01..tomorrow",
    "2026-11-01...2026-11-15",
    "2026-11-01..2026-11-15..2026-11-20",
    "2026-11-15..2026-11-01",  # ends before it starts
    "2026-01-01..2029-12-31",  # longer than three years
    "2026-11..2026-12",
])
def test_what_is_not_a_period_is_refused(text):
    with pytest.raises(PeriodError):
        parse(text)


def test_period_errors_say_what_is_wrong():
    with pytest.raises(PeriodError, match="not a period: 'abc'"):
        parse("abc")
    with pytest.raises(PeriodError, match="ends before it starts"):
        parse("2026-11-15..2026-11-01")
    with pytest.raises(PeriodError, match="at most three years"):
        parse("2026-01-01..2029-12-31")


def test_a_period_error_is_a_value_error():
    assert issubclass(PeriodError, ValueError)


# --- the period before ----------------------------------------------------------------------

@pytest.mark.parametrize("p,before", [
    (month(2026, 11), month(2026, 10)),
    (month(2026, 1), month(2025, 12)),
    (month(2028, 3), month(2028, 2)),
    (quarter(2026, 4), quarter(2026, 3)),
    (quarter(2026, 1), quarter(2025, 4)),
    (year(2026), year(2025)),
    (custom(date(2026, 11, 11), date(2026, 11, 20)), custom(date(2026, 11, 1), date(2026, 11, 10))),
    (custom(date(2026, 3, 1), date(2026, 3, 10)), custom(date(2026, 2, 19), date(2026, 2, 28))),
    (custom(date(2026, 1, 5), date(2026, 1, 5)), custom(date(2026, 1, 4), date(2026, 1, 4))),
])
def test_previous_is_the_period_of_the_same_kind_just_before(p, before):
    assert p.previous() == before
    assert p.previous().kind == p.kind


def test_previous_of_a_custom_range_has_as_many_days():
    p = parse("2026-11-01..2026-11-10")
    assert p.previous().key == "2026-10-22..2026-10-31"
    assert p.previous().days == p.days == 10


# --- bounds ---------------------------------------------------------------------------------

def test_bounds_are_local_midnights_around_the_period():
    start, end = month(2026, 11).bounds(TZ)
    assert start == utc(2026, 10, 31, 16, 0)
    assert end == utc(2026, 11, 30, 16, 0)
    assert start.astimezone(TZ) == datetime(2026, 11, 1, tzinfo=TZ)
    assert end.astimezone(TZ) == datetime(2026, 12, 1, tzinfo=TZ)
    assert start.utcoffset() == end.utcoffset() == timedelta(hours=8)


@pytest.mark.parametrize("p,start,end", [
    (quarter(2026, 4), utc(2026, 9, 30, 16), utc(2026, 12, 31, 16)),
    (year(2026), utc(2025, 12, 31, 16), utc(2026, 12, 31, 16)),
    (month(2026, 12), utc(2026, 11, 30, 16), utc(2026, 12, 31, 16)),
    (custom(date(2026, 11, 1), date(2026, 11, 1)), utc(2026, 10, 31, 16), utc(2026, 11, 1, 16)),
])
def test_bounds_of_other_periods(p, start, end):
    assert p.bounds(TZ) == (start, end)


def test_bounds_in_utc_are_plain_midnights():
    assert month(2026, 11).bounds(UTC) == (utc(2026, 11, 1), utc(2026, 12, 1))


def test_an_instant_belongs_to_the_month_of_its_local_day():
    start, end = month(2026, 11).bounds(TZ)
    late_october_utc = utc(2026, 10, 31, 17, 0)  # 01:00 on 1 November in Shanghai
    last_evening = utc(2026, 11, 30, 15, 59)  # 23:59 on 30 November in Shanghai
    assert start <= late_october_utc < end
    assert start <= last_evening < end
    assert not start <= utc(2026, 11, 30, 16, 0) < end


# --- months ---------------------------------------------------------------------------------

def test_the_months_of_a_quarter():
    assert quarter(2026, 4).months() == [month(2026, 10), month(2026, 11), month(2026, 12)]
    assert [m.key for m in quarter(2026, 1).months()] == ["2026-01", "2026-02", "2026-03"]


def test_the_months_of_a_month_and_of_a_year():
    assert month(2026, 11).months() == [month(2026, 11)]
    assert year(2026).months() == [month(2026, m) for m in range(1, 13)]


def test_the_months_of_a_custom_range_are_cut_to_it():
    p = custom(date(2026, 11, 20), date(2027, 1, 10))
    # Cut months are custom ranges, so their keys name only those days.
    assert p.months() == [
        Period("custom", date(2026, 11, 20), date(2026, 11, 30)),
        month(2026, 12),
        Period("custom", date(2027, 1, 1), date(2027, 1, 10)),
    ]
    assert [parse(m.key) for m in p.months()] == p.months()
    assert custom(date(2026, 11, 3), date(2026, 11, 9)).months() == [
        Period("custom", date(2026, 11, 3), date(2026, 11, 9))]


# --- properties -----------------------------------------------------------------------------

DAYS = st.dates(min_value=date(1990, 1, 1), max_value=date(2090, 12, 31))


@st.composite
def periods(draw) -> Period:
    kind = draw(st.sampled_from(["month", "quarter", "year", "custom"]))
    y = draw(st.integers(1990, 2090))
    if kind == "month":
        return month(y, draw(st.integers(1, 12)))
    if kind == "quarter":
        return quarter(y, draw(st.integers(1, 4)))
    if kind == "year":
        return year(y)
    first = draw(DAYS)
    return custom(first, first + timedelta(days=draw(st.integers(0, MAX_CUSTOM_DAYS - 1))))


@given(periods())
def test_previous_is_adjacent_and_of_the_same_kind(p):
    before = p.previous()
    assert before.kind == p.kind
    assert before.last + timedelta(days=1) == p.first
    assert before.first <= before.last
    if p.kind == "custom":
        assert before.days == p.days


@given(periods())
def test_the_months_partition_the_period(p):
    months = p.months()
    assert months
    assert months[0].first == p.first
    assert months[-1].last == p.last
    for a, b in zip(months, months[1:], strict=False):
        assert a.last + timedelta(days=1) == b.first
    for m in months:
        whole = month(m.first.year, m.first.month)
        assert m.kind == ("month" if m == whole else "custom")
        assert parse(m.key) == m
        assert m.first <= m.last
        assert (m.first.year, m.first.month) == (m.last.year, m.last.month)
    assert sum(m.days for m in months) == p.days


@given(periods())
def test_every_key_parses_back_to_its_period(p):
    assert parse(p.key) == p


@given(periods())
def test_bounds_span_the_days_of_the_period(p):
    start, end = p.bounds(TZ)
    assert end - start == timedelta(days=p.days)
    assert start.astimezone(TZ).date() == p.first


@given(DAYS)
def test_a_day_lies_in_its_quarter_and_month(day):
    q = quarter_of(day)
    assert q.first <= day <= q.last
    assert any(m.first <= day <= m.last for m in q.months())
