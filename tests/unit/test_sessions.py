from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from portal.sessions import (
    SessionRules,
    SessionState,
    needs_touch,
    new_token,
    parse_session,
    state_of,
    token_hash,
)
from portal.workcalendar import BusinessCalendar

TZ = ZoneInfo("Asia/Shanghai")
CAL = BusinessCalendar.build(TZ)
RULES = SessionRules(idle_working_hours=8, absolute_hours=12)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    # December 2026: the 3rd is a Thursday, the 4th a Friday, the 7th a Monday.
    return datetime(2026, 12, day, hour, minute, tzinfo=TZ).astimezone(UTC)


def test_a_fresh_session_is_active():
    assert state_of(at(3, 9), at(3, 9), None, at(3, 10), RULES, CAL) is SessionState.ACTIVE


def test_an_ended_session_stays_ended():
    assert state_of(at(3, 9), at(3, 9), at(3, 9, 30), at(3, 10), RULES, CAL) is SessionState.ENDED


def test_eight_working_hours_without_a_request_end_the_session():
    assert state_of(at(3, 9), at(3, 9), None, at(3, 16, 59), RULES, CAL) is SessionState.ACTIVE
    assert state_of(at(3, 9), at(3, 9), None, at(3, 17), RULES, CAL) is SessionState.IDLE


def test_the_night_and_the_weekend_do_not_count_as_idle_time():
    rules = SessionRules(idle_working_hours=8, absolute_hours=96)
    # Last seen Friday 17:00: one working hour on Friday, seven on Monday until 16:00.
    assert state_of(at(4, 17), at(4, 17), None, at(7, 15, 59), rules, CAL) is SessionState.ACTIVE
    assert state_of(at(4, 17), at(4, 17), None, at(7, 16), rules, CAL) is SessionState.IDLE


def test_the_absolute_lifetime_ends_even_a_busy_session():
    assert state_of(at(3, 8), at(3, 19, 59), None, at(3, 20), RULES, CAL) is SessionState.EXPIRED


def test_last_seen_is_written_at_most_once_a_minute():
    assert not needs_touch(at(3, 9), at(3, 9) + timedelta(seconds=59), RULES)
    assert needs_touch(at(3, 9), at(3, 9) + timedelta(seconds=60), RULES)


def test_tokens_are_random_and_only_their_hash_is_kept():
    a, b = new_token(), new_token()
    assert a != b and len(a) >= 40
    assert token_hash(a) != a and len(token_hash(a)) == 64 and token_hash(a) == token_hash(a)


def test_parse_session_defaults():
    assert parse_session({}) == SessionRules(8.0, 12.0)
    assert parse_session({"idle_working_hours": 4, "absolute_hours": 24}) == SessionRules(4.0, 24.0)


@pytest.mark.parametrize("raw", [
    {"idle_working_hours": 0}, {"idle_working_hours": -1}, {"idle_working_hours": "8"},
    {"idle_working_hours": True}, {"absolute_hours": 1000}, {"idle_minutes": 5}, [],
])
def test_parse_session_refuses_bad_values(raw):
    with pytest.raises(ValueError, match="session"):
        parse_session(raw)
