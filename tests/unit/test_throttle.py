from datetime import UTC, datetime, timedelta

from portal.throttle import RULES, locked_until, refusal, shown_until

T0 = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


def minutes(*ms: float) -> list[datetime]:
    return [T0 + timedelta(minutes=m) for m in ms]


def test_four_failures_do_not_lock():
    assert locked_until(minutes(0, 1, 2, 3), 5) is None


def test_five_failures_within_fifteen_minutes_lock_for_fifteen_minutes_from_the_fifth():
    assert locked_until(minutes(0, 1, 2, 3, 4), 5) == T0 + timedelta(minutes=19)


def test_five_failures_spread_over_more_than_fifteen_minutes_do_not_lock():
    assert locked_until(minutes(0, 4, 8, 12, 15.5), 5) is None


def test_exactly_fifteen_minutes_apart_still_locks():
    assert locked_until(minutes(0, 5, 10, 14, 15), 5) == T0 + timedelta(minutes=30)


def test_the_latest_lock_wins():
    assert locked_until(minutes(0, 1, 2, 3, 4, 5), 5) == T0 + timedelta(minutes=20)


def test_order_of_the_failures_does_not_matter():
    assert locked_until(minutes(4, 0, 3, 1, 2), 5) == locked_until(minutes(0, 1, 2, 3, 4), 5)


def test_refusal_while_locked_and_not_after():
    failures = minutes(0, 1, 2, 3, 4)
    assert refusal(failures, [], T0 + timedelta(minutes=5)) == T0 + timedelta(minutes=19)
    assert refusal(failures, [], T0 + timedelta(minutes=18, seconds=59)) is not None
    assert refusal(failures, [], T0 + timedelta(minutes=19)) is None


def test_twenty_failures_from_one_address_lock_it():
    address = minutes(*[i * 0.5 for i in range(20)])
    assert refusal([], address[:19], T0 + timedelta(minutes=10)) is None
    assert refusal([], address, T0 + timedelta(minutes=10)) == address[-1] + RULES.lockout


def test_the_longer_of_two_locks_applies():
    name = minutes(0, 1, 2, 3, 4)
    address = minutes(*[5 + i * 0.1 for i in range(20)])
    assert refusal(name, address, T0 + timedelta(minutes=8)) == address[-1] + RULES.lockout


def test_the_end_of_a_lock_is_shown_rounded_up_to_the_minute():
    at = T0.replace(hour=14, minute=13)
    assert shown_until(at + timedelta(seconds=58)) == at + timedelta(minutes=1)
    assert shown_until(at + timedelta(microseconds=1)) == at + timedelta(minutes=1)
    assert shown_until(at) == at  # already a whole minute
    assert shown_until(T0.replace(hour=23, minute=59, second=1)) == T0.replace(
        day=4, hour=0, minute=0)
