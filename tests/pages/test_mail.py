"""Notification email: the outbox rows written with the notification, delivery through a real
SMTP server (aiosmtpd, in process) with retries while it is down, and the .eml folder the
demo uses when no SMTP_URL is set. Fixed clocks; no sleeping."""

from __future__ import annotations

import asyncio
import email
import email.policy
from collections import Counter
from datetime import timedelta

import pytest

from db.commands import NotNow
from db.notify import notify
from db.outbox import LEASE, claim, deliver, retry_delay
from db.sweep import sweep
from db.tables import Notification, OutboxEmail, User
from db.transactions import atomic
from portal.mailer import EmlFolderTransport, SmtpTransport
from portal.scheduler import tick
from portal.workflow import Action
from tests.deadline_support import (
    BASE_URL,
    act,
    audience,
    dispatched,
    env,
    local,
    notifications,
    outbox,
    reload,
)
from tests.smtp_support import SmtpServer

T = local(2026, 11, 24, 10)  # Tuesday 10:00
II_REMIND = local(2026, 11, 24, 16, 45)  # Class II reminder (75 % of 9 working hours)


def run(fn, *args, **kwargs):
    return asyncio.run(fn(*args, **kwargs))


def parse(raw: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(raw, policy=email.policy.default)


@pytest.fixture
def users(viewers):
    """The demo users are shared by the whole run: restore any address or language changed."""
    async def snapshot():
        return await User.select(User.id, User.email, User.language)

    saved = run(snapshot)
    yield viewers

    async def restore():
        for u in saved:
            await User.update({User.email: u["email"], User.language: u["language"]}).where(
                User.id == u["id"])

    run(restore)


def set_user(viewers, username: str, **values) -> None:
    async def update():
        await User.update({getattr(User, k): v for k, v in values.items()}).where(
            User.id == viewers[username].id)

    run(update)


async def _clear_outbox():
    await OutboxEmail.delete(force=True)


async def _email_of(user_id: int) -> str:
    return (await User.select(User.email).where(User.id == user_id).first())["email"]


# -- the outbox ---------------------------------------------------------------------------

def test_a_notification_writes_one_email_per_recipient_in_their_language(users):
    viewers = users
    set_user(viewers, "qa.staff", language="en")
    row = run(dispatched, viewers, T, criteria=["II-5"])
    number = row["number"]
    who = run(audience)
    notes = [n for n in run(notifications, row["id"]) if n["kind"] == "dispatched"]
    assert sorted(n["user"] for n in notes) == who.department("QA")
    mails = {m["recipient"]: m for m in run(outbox)}
    assert sorted(mails) == who.addresses(who.department("QA"))
    assert {"qa.head@example.com", "qa.staff@example.com"} <= set(mails)

    english = mails["qa.staff@example.com"]
    assert english["subject"] == (
        f"[Complaint portal] A complaint was dispatched to your department: {number}")
    assert f"Open the complaint: {BASE_URL}/complaints/{number}" in english["body"]
    chinese = mails["qa.head@example.com"]
    assert chinese["subject"] == f"【客户投诉管理】有投诉派单至贵部门：{number}"
    assert f"查看投诉：{BASE_URL}/complaints/{number}" in chinese["body"]

    for mail in mails.values():
        assert (mail["created_at"], mail["next_attempt_at"], mail["attempts"]) == (T, T, 0)
        assert (mail["sent_at"], mail["locked_until"], mail["last_error"]) == (None, None, "")
        assert mail["message_id"].startswith("<") and mail["message_id"].endswith(">")
    assert len({m["message_id"] for m in mails.values()}) == len(mails)


def test_a_user_without_an_address_gets_the_notice_but_no_email(users):
    viewers = users
    set_user(viewers, "svc.staff", email="")
    row = run(dispatched, viewers, T, department="SVC", criteria=["II-5"])
    who = run(audience)
    assert who.emails[viewers["svc.staff"].id] == ""
    notes = run(notifications, row["id"])
    assert viewers["svc.staff"].id in {n["user"] for n in notes}
    assert sorted(n["user"] for n in notes) == who.department("SVC")
    recipients = sorted(m["recipient"] for m in run(outbox))
    assert recipients == who.addresses(who.department("SVC"))
    assert "svc.head@example.com" in recipients and "svc.staff@example.com" not in recipients


def test_a_deadline_notice_email_names_the_due_time_in_company_time(users):
    viewers = users
    set_user(viewers, "qa.staff", language="en")
    row = run(dispatched, viewers, T, criteria=["II-5"])
    run(_clear_outbox)
    run(sweep, II_REMIND, env())
    who = run(audience)
    mails = run(outbox)
    # acknowledge and contact, to each of the department's handlers
    assert sorted(m["recipient"] for m in mails) == sorted(who.addresses(who.handlers["QA"]) * 2)
    english = [m for m in mails if m["recipient"] == "qa.staff@example.com"]
    assert len(english) == 2
    for mail in english:
        assert mail["subject"].startswith("[Complaint portal] Reminder: the deadline to ")
    assert {m["subject"] for m in english} == {
        f"[Complaint portal] Reminder: the deadline to acknowledge receipt is approaching on "
        f"complaint {row['number']}",
        f"[Complaint portal] Reminder: the deadline to first contact with the customer is "
        f"approaching on complaint {row['number']}"}
    for mail in mails:
        assert row["number"] in mail["subject"]
        assert "Due: 2026-11-25 10:00" in mail["body"]
        assert f"{BASE_URL}/complaints/{row['number']}" in mail["body"]


def test_notifications_and_their_emails_are_written_in_the_callers_transaction(users):
    viewers = users
    row = run(dispatched, viewers, T, criteria=["II-5"])
    before = (len(run(notifications)), len(run(outbox)))

    async def fail_after_notifying():
        async with atomic():
            written = await notify([viewers["office"].id, viewers["cshead"].id], row,
                                   "breach", T, env().mailing, "result", row["result_due"])
            assert written == 2
            assert await Notification.count().where(Notification.kind == "breach") == 2
            assert await OutboxEmail.count() == before[1] + 2
            raise RuntimeError("the change that goes with the notice failed")

    with pytest.raises(RuntimeError):
        run(fail_after_notifying)
    assert (len(run(notifications)), len(run(outbox))) == before
    # A refused action notifies nobody and queues nothing.
    with pytest.raises(NotNow):
        run(act, viewers, row["number"], Action.DISPATCH, "office", T, department="SVC")
    assert (len(run(notifications)), len(run(outbox))) == before


# -- SMTP delivery ------------------------------------------------------------------------

@pytest.fixture
def smtp():
    """A port with nothing listening yet; .start() brings the SMTP server up on it."""
    server = SmtpServer()
    yield server
    server.stop()


def test_mail_waits_while_the_server_is_down_and_goes_out_once_when_it_is_back(users, smtp):
    viewers = users
    rows = [run(dispatched, viewers, T, criteria=["II-5"]),
            run(dispatched, viewers, T, department="SVC", criteria=["II-5"])]
    queued = run(outbox)
    who = run(audience)
    n = len(queued)
    assert n == len(who.addresses(who.department("QA") + who.department("SVC"))) >= 4
    transport = SmtpTransport(f"smtp://127.0.0.1:{smtp.port}", "portal@test", timeout=5)

    # Nothing listens on the port: every message fails and waits for its retry.
    down = run(deliver, transport, T)
    assert (down.sent, down.failed) == (0, n) and down.last_error
    for mail in run(outbox):
        assert mail["attempts"] == 1 and mail["sent_at"] is None
        assert mail["next_attempt_at"] == T + retry_delay(1) == T + timedelta(seconds=30)
        assert mail["locked_until"] is None and mail["last_error"]
    # Not due yet: nothing is tried.
    assert run(deliver, transport, T + timedelta(seconds=29)).failed == 0
    # Still down at the retry: the delay doubles.
    second = T + timedelta(seconds=30)
    assert run(deliver, transport, second).failed == n
    for mail in run(outbox):
        assert mail["attempts"] == 2
        assert mail["next_attempt_at"] == second + retry_delay(2) == second + timedelta(minutes=1)
    assert smtp.collector.envelopes == []

    smtp.start()
    assert run(deliver, transport, second + timedelta(seconds=59)).sent == 0  # not due yet
    back = second + timedelta(minutes=1, seconds=1)
    up = run(deliver, transport, back)
    assert (up.sent, up.failed) == (n, 0)

    messages = smtp.collector.messages()
    per_id = Counter(m["Message-ID"] for m in messages)
    assert per_id == Counter({m["message_id"]: 1 for m in queued})
    assert sorted(rcpt for e in smtp.collector.envelopes for rcpt in e.rcpt_tos) == sorted(
        m["recipient"] for m in queued)
    assert {e.mail_from for e in smtp.collector.envelopes} == {"portal@test"}
    for mail in run(outbox):
        assert (mail["sent_at"], mail["locked_until"], mail["last_error"]) == (back, None, "")
        assert mail["attempts"] == 3

    # The messages as received: the subject and the absolute link to the complaint.
    by_id = {m["message_id"]: m for m in queued}
    numbers = {r["number"] for r in rows}
    for message in messages:
        stored = by_id[message["Message-ID"]]
        assert message["To"] == stored["recipient"]
        assert str(message["Subject"]) == stored["subject"]
        body = message.get_body(("plain",)).get_content()
        number = next(n for n in numbers if n in stored["subject"])
        assert f"{BASE_URL}/complaints/{number}" in body

    # Sent is sent: later rounds deliver nothing more.
    again = run(deliver, transport, back + timedelta(hours=2))
    assert (again.sent, again.failed) == (0, 0)
    assert len(smtp.collector.envelopes) == n


def test_a_claimed_message_is_leased_and_not_sent_twice(users, smtp):
    """A second sender during the lease finds nothing to send."""
    viewers = users
    run(dispatched, viewers, T, criteria=["II-5"])
    n = len(run(outbox))
    claimed = run(claim, T)
    assert len(claimed) == n >= 2
    assert all(m["locked_until"] == T + LEASE and m["attempts"] == 1 for m in claimed)
    smtp.start()
    transport = SmtpTransport(f"smtp://127.0.0.1:{smtp.port}", "portal@test", timeout=5)
    assert run(deliver, transport, T + LEASE - timedelta(seconds=1)).sent == 0
    assert smtp.collector.envelopes == []
    # The first sender died holding the lease: once it runs out, the mail goes out.
    assert run(deliver, transport, T + LEASE).sent == n
    assert len(smtp.collector.envelopes) == n


# -- the .eml folder (no SMTP_URL) ----------------------------------------------------------

def test_without_smtp_url_the_scheduler_writes_readable_eml_files(users, settings, policy):
    viewers = users
    assert settings.smtp_url is None
    set_user(viewers, "qa.staff", language="en")
    row = run(dispatched, viewers, T, criteria=["II-5"])
    number = row["number"]

    who = run(audience)
    first = run(tick, settings, policy, II_REMIND)
    # The dispatch emails, plus the two reminders the same tick's sweep just wrote.
    assert first.sweep.reminders == 2
    expected = (len(who.addresses(who.department("QA")))
                + 2 * len(who.addresses(who.handlers["QA"])))
    assert (first.mail.sent, first.mail.failed) == (expected, 0)
    files = sorted(settings.mail_dir.glob("*.eml"))
    assert len(files) == expected
    queued = {m["message_id"]: m for m in run(outbox)}
    assert all(m["sent_at"] == II_REMIND for m in queued.values())

    seen = Counter()
    for path in files:
        message = parse(path.read_bytes())
        stored = queued[message["Message-ID"]]
        seen[message["Message-ID"]] += 1
        assert message["To"] == stored["recipient"]
        assert str(message["Subject"]) == stored["subject"]
        assert message["From"] == settings.mail_from
        assert message["Date"] is not None
        body = message.get_body(("plain",)).get_content()
        assert body == stored["body"]
        assert f"{settings.base_url}/complaints/{number}" in body
    assert set(seen) == set(queued) and set(seen.values()) == {1}
    subjects = {str(parse(p.read_bytes())["Subject"]) for p in files}
    assert f"[Complaint portal] A complaint was dispatched to your department: {number}" in subjects
    assert f"【客户投诉管理】有投诉派单至贵部门：{number}" in subjects

    # The next round has nothing new: no more files.
    second = run(tick, settings, policy, II_REMIND + timedelta(minutes=1))
    assert second.mail.sent == 0
    assert sorted(settings.mail_dir.glob("*.eml")) == files
    assert run(reload, number)["next_alert_at"] == local(2026, 11, 25, 10)


def test_the_eml_transport_writes_the_same_message_once(tmp_path, users):
    viewers = users
    run(dispatched, viewers, T, criteria=["II-5"])
    queued = run(outbox)
    transport = EmlFolderTransport(tmp_path / "mail", "portal@test")
    assert run(deliver, transport, T).sent == len(queued) >= 2
    assert run(deliver, transport, T + timedelta(hours=1)).sent == 0
    files = list((tmp_path / "mail").glob("*.eml"))
    assert len(files) == len(queued)
    assert not list((tmp_path / "mail").glob(".*.tmp"))
    recipients = sorted(parse(p.read_bytes())["To"] for p in files)
    assert recipients == sorted(m["recipient"] for m in queued)
    assert {run(_email_of, viewers["qa.head"].id),
            run(_email_of, viewers["qa.staff"].id)} <= set(recipients)
