"""The deadline sweep (db.sweep.sweep) with a fixed clock: who hears about a deadline and when,
each notice once (also with two sweepers at the same time, on SQLite and PostgreSQL), the
administrator's calendar, and complaints that are finished leave the sweep alone.

No web app here: the database is used from a fresh event loop per call (asyncio.run)."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import date, timedelta

import pytest

from db import calendar as stored_calendar
from db.sweep import sweep
from db.tables import DeadlineAlert, Notification, OutboxEmail
from portal.workcalendar import DayKind
from portal.workflow import Action
from tests.deadline_support import (
    act,
    alerts,
    audience,
    dispatched,
    dues,
    env,
    local,
    logged,
    notifications,
    recipients,
    reload,
)

T = local(2026, 11, 24, 10)  # Tuesday 10:00: dispatch
# Class II from T: acknowledge and contact Wed 10:00 (9 working hours), result Thu 10:00.
II_REMIND = local(2026, 11, 24, 16, 45)  # 75 % of 9 h = 6 h 45 min
II_BREACH = local(2026, 11, 25, 10)
II_RESULT_REMIND = local(2026, 11, 25, 14, 30)  # 75 % of 18 h = 13.5 h
# Class I from T: acknowledge Tue 12:00 (2 h).
I_REMIND = local(2026, 11, 24, 11, 30)
I_BREACH = local(2026, 11, 24, 12)


def run(fn, *args, **kwargs):
    return asyncio.run(fn(*args, **kwargs))


def swept(now, batch: int | None = None):
    return run(sweep, now, env()) if batch is None else run(sweep, now, env(), batch)


@pytest.fixture
def who(viewers):
    """The expected recipients, from the users table (see deadline_support.Audience)."""
    return run(audience)


@pytest.fixture
def calendar_cache():
    """The stored calendar is cached per process; drop it after a test that changes days."""
    yield
    stored_calendar.forget()


def test_the_next_alert_is_the_first_reminder(viewers):
    row = run(dispatched, viewers, T, criteria=["II-5"])
    assert row["next_alert_at"] == II_REMIND
    row = run(dispatched, viewers, T, criteria=["I-6"])
    assert row["next_alert_at"] == I_REMIND


def test_the_reminder_goes_to_the_department_handlers_at_75_percent(viewers, who):
    row = run(dispatched, viewers, T, criteria=["II-5"])
    early = swept(II_REMIND - timedelta(seconds=1))
    assert (early.reminders, early.notifications) == (0, 0)
    assert {n["kind"] for n in run(notifications, row["id"])} == {"dispatched"}

    result = swept(II_REMIND)
    assert (result.reminders, result.breaches) == (2, 0)
    notes = run(notifications, row["id"])
    assert viewers["qa.staff"].id in who.handlers["QA"]
    assert recipients(notes, "reminder", "acknowledge") == who.handlers["QA"]
    assert recipients(notes, "reminder", "contact") == who.handlers["QA"]
    assert recipients(notes, "breach") == []
    assert run(reload, row["number"])["next_alert_at"] == II_BREACH


def test_the_reminder_goes_to_whoever_acknowledged_it(viewers):
    row = run(dispatched, viewers, T, criteria=["II-5"])
    # The head signed for it: the reminder is his, not the department's handlers'.
    run(act, viewers, row["number"], Action.ACKNOWLEDGE, "qa.head", T + timedelta(minutes=5))
    result = swept(II_REMIND)
    assert result.reminders == 1  # acknowledging met that deadline: only contact is left
    notes = run(notifications, row["id"])
    assert recipients(notes, "reminder") == [viewers["qa.head"].id]
    assert [n["detail"] for n in notes if n["kind"] == "reminder"] == ["contact"]


def test_a_class_ii_breach_goes_to_the_head_and_the_office(viewers, who):
    row = run(dispatched, viewers, T, criteria=["II-5"])
    swept(II_REMIND)
    result = swept(II_BREACH)
    assert (result.breaches, result.reminders) == (2, 0)
    notes = run(notifications, row["id"])
    expected = who.breach("QA")
    assert {viewers["qa.head"].id, viewers["office"].id} <= set(expected)
    assert recipients(notes, "breach", "acknowledge") == expected
    assert recipients(notes, "breach", "contact") == expected
    assert viewers["cshead"].id not in recipients(notes, "breach")
    assert not set(who.handlers["QA"]) & set(recipients(notes, "breach"))
    assert run(reload, row["number"])["next_alert_at"] == II_RESULT_REMIND


def test_a_class_i_breach_also_goes_to_the_cs_head(viewers, who):
    row = run(dispatched, viewers, T, criteria=["I-6"])
    first = swept(I_REMIND)
    assert first.reminders == 1
    result = swept(I_BREACH)
    assert result.breaches == 1
    notes = run(notifications, row["id"])
    assert recipients(notes, "reminder", "acknowledge") == who.handlers["QA"]
    assert viewers["cshead"].id in who.breach("QA", "I")
    assert recipients(notes, "breach", "acknowledge") == who.breach("QA", "I")


def test_each_notice_goes_out_once_when_the_sweep_runs_again(viewers, who):
    row = run(dispatched, viewers, T, criteria=["II-5"])
    for now in (II_REMIND, II_REMIND, II_REMIND + timedelta(minutes=1), II_BREACH,
                II_BREACH, II_BREACH + timedelta(minutes=30)):
        swept(now)
    notes = run(notifications, row["id"])
    counts = Counter((n["kind"], n["detail"], n["user"]) for n in notes)
    assert all(c == 1 for c in counts.values()), counts
    assert len(recipients(notes, "reminder")) == 2 * len(who.handlers["QA"])
    assert len(recipients(notes, "breach")) == 2 * len(who.breach("QA"))
    keys = [(a["kind"], a["deadline"]) for a in run(alerts, row["id"])]
    assert sorted(keys) == sorted([("reminder", "acknowledge"), ("reminder", "contact"),
                                   ("breach", "acknowledge"), ("breach", "contact")])


def test_a_late_sweep_sends_the_breach_without_the_overtaken_reminder(viewers, who):
    """The worker was down through the reminder point: only the breach matters now."""
    row = run(dispatched, viewers, T, criteria=["II-5"])
    result = swept(II_BREACH + timedelta(minutes=5))
    assert (result.breaches, result.reminders) == (2, 0)
    notes = run(notifications, row["id"])
    assert recipients(notes, "reminder") == []
    assert recipients(notes, "breach") == sorted(who.breach("QA") * 2)
    assert swept(II_BREACH + timedelta(minutes=6)).notifications == 0
    assert recipients(run(notifications, row["id"]), "reminder") == []


def test_two_sweeps_at_once_send_each_notice_exactly_once(viewers, who):
    """Two sweepers (two server processes) at the same moment. On SQLite their write
    transactions queue; on PostgreSQL they claim rows with SKIP LOCKED and the unique key of
    deadline_alert settles any overlap. Small batches make them interleave."""
    rows = [run(dispatched, viewers, T, criteria=["II-5"]) for _ in range(6)]
    rows.append(run(dispatched, viewers, T, criteria=["I-6"]))
    rows.append(run(dispatched, viewers, T + timedelta(minutes=20), criteria=["I-6"]))
    ids = {r["id"] for r in rows}

    async def together(now):
        return await asyncio.gather(sweep(now, env(), 2), sweep(now, env(), 3))

    totals = Counter()
    for now in (I_REMIND, II_REMIND, II_RESULT_REMIND + timedelta(minutes=1)):
        for result in asyncio.run(together(now)):
            totals.update(reminders=result.reminders, breaches=result.breaches,
                          notifications=result.notifications)

    notes = [n for n in run(notifications) if n["kind"] in ("reminder", "breach")]
    assert {n["complaint"] for n in notes} == ids
    per_user = Counter((n["complaint"], n["kind"], n["detail"], n["user"]) for n in notes)
    assert max(per_user.values()) == 1, [k for k, c in per_user.items() if c > 1]

    staff = who.handlers["QA"]
    expected = {}
    for r in rows[:6]:  # Class II: reminders at 16:45, breaches Wed 10:00, result reminder
        expected[(r["id"], "reminder", "acknowledge")] = staff
        expected[(r["id"], "reminder", "contact")] = staff
        expected[(r["id"], "breach", "acknowledge")] = who.breach("QA")
        expected[(r["id"], "breach", "contact")] = who.breach("QA")
        expected[(r["id"], "reminder", "result")] = staff
    for r in rows[6:]:  # Class I: acknowledge 2 h, contact by 18:00, result reminder Thursday
        expected[(r["id"], "breach", "acknowledge")] = who.breach("QA", "I")
        expected[(r["id"], "reminder", "contact")] = staff
        expected[(r["id"], "breach", "contact")] = who.breach("QA", "I")
    # Dispatched at 10:00 its acknowledge reminder (11:30) went out in the first round; the
    # one dispatched at 10:20 (reminder 11:50) was overtaken by its breach (12:20) by 16:45.
    expected[(rows[6]["id"], "reminder", "acknowledge")] = staff
    got = {}
    for n in notes:
        got.setdefault((n["complaint"], n["kind"], n["detail"]), []).append(n["user"])
    assert {k: sorted(v) for k, v in got.items()} == expected

    # What the two sweepers report adds up to what was written, nothing twice.
    assert totals["notifications"] == len(notes)
    assert totals["reminders"] == sum(1 for k in expected if k[1] == "reminder")
    assert totals["breaches"] == sum(1 for k in expected if k[1] == "breach")

    async def counts():
        return (await DeadlineAlert.count(), await Notification.count(),
                await OutboxEmail.count())
    alert_rows, note_rows, mail_rows = run(counts)
    assert alert_rows == len({(a["complaint"], a["kind"], a["deadline"], a["due"])
                              for r in rows for a in run(alerts, r["id"])})
    assert mail_rows == sum(1 for n in run(notifications) if who.emails.get(n["user"]))


def test_after_reassignment_the_new_department_is_reminded(viewers, who):
    row = run(dispatched, viewers, T, criteria=["II-5"])
    number = row["number"]
    run(act, viewers, number, Action.APPEAL, "qa.head", T + timedelta(hours=1),
        kind="not-our-business", reason="属于客服部职责")
    row = run(act, viewers, number, Action.APPEAL_REASSIGN, "office", T + timedelta(hours=3),
              department="SVC")
    # Clock from Tuesday 13:00: acknowledge Wednesday 13:00, reminder after 6 h 45 min.
    remind = local(2026, 11, 25, 10, 45)
    assert row["next_alert_at"] == remind
    assert swept(II_REMIND).notifications == 0  # the QA clock is gone
    result = swept(remind)
    assert result.reminders == 2
    notes = run(notifications, row["id"])
    assert viewers["svc.staff"].id in who.handlers["SVC"]
    assert recipients(notes, "reminder") == sorted(who.handlers["SVC"] * 2)
    assert swept(local(2026, 11, 25, 13)).breaches == 2
    notes = run(notifications, row["id"])
    assert recipients(notes, "breach", "acknowledge") == who.breach("SVC")


def test_an_approved_extension_moves_the_result_breach(viewers, who):
    row = run(dispatched, viewers, T, criteria=["II-5"])
    number = row["number"]
    for i, action in enumerate((Action.ACKNOWLEDGE, Action.START), 1):
        run(act, viewers, number, action, "qa.staff", T + timedelta(minutes=i))
    run(act, viewers, number, Action.CONTACT, "qa.staff", T + timedelta(minutes=3), note="已联系")
    run(act, viewers, number, Action.REQUEST_EXTENSION, "qa.head", local(2026, 11, 25, 9),
        new_due=local(2026, 12, 1, 17), reason="等待检测报告")
    # Still pending at the result reminder: it goes out for the current deadline.
    assert swept(II_RESULT_REMIND).reminders == 1
    row = run(act, viewers, number, Action.APPROVE_EXTENSION, "office", local(2026, 11, 25, 15))
    assert row["result_due"] == local(2026, 12, 1, 17)
    # Thursday 10:00 was the old result deadline: no breach now.
    old = swept(local(2026, 11, 26, 10, 30))
    assert old.breaches == 0
    new_due = swept(local(2026, 12, 1, 17))
    assert new_due.breaches == 1
    notes = run(notifications, row["id"])
    assert recipients(notes, "breach", "result") == who.breach("QA")
    breach = [a for a in run(alerts, row["id"]) if a["kind"] == "breach"]
    assert [(a["deadline"], a["due"]) for a in breach] == [("result", local(2026, 12, 1, 17))]


def test_a_sweep_that_fails_half_way_keeps_nothing_and_the_next_one_sends_all(viewers, who,
                                                                             monkeypatch):
    import db.sweep as sweep_module

    row = run(dispatched, viewers, T, criteria=["II-5"])

    async def crash(*args, **kwargs):
        raise RuntimeError("the worker died before saving the schedule")

    real = sweep_module._save_schedule
    monkeypatch.setattr(sweep_module, "_save_schedule", crash)
    with pytest.raises(RuntimeError):
        swept(II_REMIND)

    async def counts():
        return (await DeadlineAlert.count(), await Notification.count().where(
            Notification.kind == "reminder"), await OutboxEmail.count())
    dispatch_mails = len(who.addresses(who.department("QA")))
    assert run(counts) == (0, 0, dispatch_mails)
    assert run(reload, row["number"])["next_alert_at"] == II_REMIND

    monkeypatch.setattr(sweep_module, "_save_schedule", real)
    assert swept(II_REMIND).reminders == 2
    reminded = who.handlers["QA"]
    assert run(counts) == (2, 2 * len(reminded), dispatch_mails + 2 * len(who.addresses(reminded)))
    assert run(reload, row["number"])["next_alert_at"] == II_BREACH


def test_a_company_holiday_moves_the_deadlines_computed_at_dispatch(viewers, who, calendar_cache):
    before = run(dispatched, viewers, T, criteria=["II-5"])
    assert before["acknowledge_due"] == local(2026, 11, 25, 10)
    run(stored_calendar.set_day, date(2026, 11, 25), DayKind.HOLIDAY, "公司年会",
        viewers["admin"].id, T - timedelta(days=1))
    row = run(dispatched, viewers, T, criteria=["II-5"])
    assert dues(row) == {"acknowledge": local(2026, 11, 26, 10), "contact": local(2026, 11, 26, 10),
                         "result": local(2026, 11, 27, 10), "cap": local(2026, 12, 4, 10)}
    # On the holiday itself nothing of the new complaint is breached.
    swept(II_REMIND)
    swept(II_BREACH + timedelta(hours=2))
    notes = run(notifications, row["id"])
    assert recipients(notes, "breach") == []
    # 75 % of 9 working hours: still Tuesday 16:45, for acknowledge and contact.
    assert recipients(notes, "reminder") == sorted(who.handlers["QA"] * 2)
    # The next morning after the holiday it is.
    swept(local(2026, 11, 26, 10))
    assert recipients(run(notifications, row["id"]), "breach") == sorted(who.breach("QA") * 2)


def test_a_company_working_day_shortens_a_weekend(viewers, calendar_cache):
    run(stored_calendar.set_day, date(2026, 11, 28), DayKind.WORKDAY, "调休",
        viewers["admin"].id, T)
    # Friday 15:00 + 9 working hours: 3 h on Friday, 6 h on the working Saturday.
    row = run(dispatched, viewers, local(2026, 11, 27, 15), criteria=["II-5"])
    assert row["acknowledge_due"] == local(2026, 11, 28, 15)


@pytest.mark.parametrize("status", ["replied", "invalid"])
def test_a_finished_complaint_has_no_next_alert_and_the_sweep_leaves_it(viewers, status):
    if status == "replied":
        row = run(dispatched, viewers, T, criteria=["II-5"])
        number = row["number"]
        steps = [(Action.ACKNOWLEDGE, "qa.staff", {}), (Action.START, "qa.staff", {}),
                 (Action.CONTACT, "qa.staff", {"note": "已联系"}),
                 (Action.SUBMIT_RESULT, "qa.staff", {"cause": "来料不良", "solution": "换新"}),
                 (Action.SIGN_OFF, "qa.head", {}), (Action.VERIFY, "office", {})]
        for i, (action, user, fields) in enumerate(steps, 1):
            row = run(act, viewers, number, action, user, T + timedelta(minutes=i), **fields)
        assert row["status"] == "verified"
        assert row["next_alert_at"] is not None  # I-8 still watches it
        row = run(act, viewers, number, Action.REPLY, "office", T + timedelta(minutes=9),
                  reply="已为您换新")
    else:
        row = run(logged, viewers, T, criteria=["II-5"])
        assert row["next_alert_at"] is not None
        row = run(act, viewers, row["number"], Action.INVALID, "office",
                  T + timedelta(minutes=1), kind="invalid", reason="非本公司产品")
    assert row["status"] == status
    assert row["next_alert_at"] is None and row["next_due"] is None
    before = run(notifications, row["id"])
    result = swept(T + timedelta(days=60))
    assert result.complaints == 0 and result.notifications == 0
    assert run(notifications, row["id"]) == before
    assert run(reload, row["number"])["version"] == row["version"]


def test_resolving_on_the_spot_leaves_nothing_to_sweep(viewers):
    row = run(logged, viewers, T, criteria=["M-1"], callback_requested=True)
    row = run(act, viewers, row["number"], Action.RESOLVE_ON_SPOT, "clerk",
              T + timedelta(minutes=1), reply="当场退款")
    assert (row["status"], row["next_alert_at"]) == ("replied", None)
    assert swept(T + timedelta(days=60)).complaints == 0
