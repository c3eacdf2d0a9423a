"""What the statistics (DOMAIN §6–§7) need recorded when it happens: who submitted the
result, and the working time from receipt to the reply on the business calendar (it cannot
be recomputed in SQL). On SQLite and PostgreSQL, fixed clocks."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from portal.workflow import Action
from tests.deadline_support import TZ, act, in_progress, local, logged

T = local(2026, 11, 24, 10)  # Tuesday 10:00: dispatch; received 08:00 (before working hours)
RESULT = {"cause": "来料不良", "solution": "换新"}


def run(fn, *args, **kwargs):
    return asyncio.run(fn(*args, **kwargs))


async def _replied(viewers, reply_at):
    row = await in_progress(viewers, T, criteria=["II-5"])
    number = row["number"]
    row = await act(viewers, number, Action.SUBMIT_RESULT, "qa.staff", T + timedelta(hours=1),
                    **RESULT)
    assert row["result_by"] == viewers["qa.staff"].id
    await act(viewers, number, Action.SIGN_OFF, "qa.head", T + timedelta(hours=2))
    await act(viewers, number, Action.VERIFY, "office", T + timedelta(hours=3))
    return await act(viewers, number, Action.REPLY, "office", reply_at, reply="已处理")


def test_the_result_s_author_and_the_working_time_to_resolve_are_recorded(viewers):
    # Received Tue 08:00, before working hours: Tue 09:00–18:00 (9 h) + Wed 09:00–11:30
    # (2.5 h) = 11.5 working hours = 690 minutes.
    row = run(_replied, viewers, local(2026, 11, 25, 11, 30))
    assert row["received_at"] == T - timedelta(hours=2)
    assert row["resolve_minutes"] == 690
    assert row["result_by"] == viewers["qa.staff"].id


def test_the_time_to_resolve_skips_the_weekend(viewers):
    # Received Tue 08:00, replied Mon 30 Nov 10:15: Tue–Fri 4 × 9 h + Mon 1.25 h = 37.25 h.
    row = run(_replied, viewers, local(2026, 11, 30, 10, 15))
    assert row["resolve_minutes"] == 37 * 60 + 15


def test_resolving_on_the_spot_records_the_time_too(viewers):
    row = run(logged, viewers, T, criteria=["M-1"], callback_requested=True)
    # Received Tue 09:00 (an hour before logging), resolved at 10:20 the same day.
    row = run(act, viewers, row["number"], Action.RESOLVE_ON_SPOT, "clerk",
              T + timedelta(minutes=20), reply="当场退款")
    assert row["received_at"] == T - timedelta(hours=1)
    assert (row["resolve_minutes"], row["result_by"]) == (80, None)


def test_medians_are_reused_for_unchanged_data_and_recomputed_after_a_reply(viewers, monkeypatch):
    from db import stats
    from portal.periods import month

    calls = []
    real = stats._medians

    async def counted(*args):
        calls.append(args[2])
        return await real(*args)

    monkeypatch.setattr(stats, "_medians", counted)
    stats._median_cache.clear()
    run(_replied, viewers, local(2026, 11, 25, 11, 30))  # 690 working minutes
    nov, now = month(2026, 11), local(2026, 12, 1, 9)

    first = run(stats.report, nov, "department", TZ, now)
    assert first.overall.median_minutes == 690 and first.groups["QA"].median_minutes == 690
    assert len(calls) == 3  # by department, overall, the previous period overall
    again = run(stats.report, nov, "department", TZ, now)
    assert again.overall.median_minutes == 690 and len(calls) == 3  # nothing recomputed
    run(_replied, viewers, local(2026, 11, 30, 10, 15))  # 2235 minutes: the sums moved
    after = run(stats.report, nov, "department", TZ, now)
    assert after.overall.median_minutes == (690 + 2235) / 2
    assert after.groups["QA"].median_minutes == (690 + 2235) / 2
    assert len(calls) == 5  # the November medians again; October unchanged, reused
