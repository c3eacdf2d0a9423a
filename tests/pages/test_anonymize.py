"""DOMAIN §8: closed complaints are anonymized after `privacy.anonymize_after_years`, keeping
their statistics. On SQLite and PostgreSQL, with fixed clocks: what is erased (the record,
its history, surveys, calls, outbox, attachments on disk), what stays (every statistic), the
due rule at its boundary, idempotence, the dry run, the daily round of the scheduler, the
`portal anonymize` command, the pages of an anonymized complaint and the policy form."""

from __future__ import annotations

import importlib
import json
import os
import re
import subprocess
import sys
from dataclasses import replace
from datetime import timedelta
from html import unescape
from pathlib import Path

import pytest

from db import rollup
from db.anonymize import anonymize_due, due_count
from db.commands import log_complaint, perform
from db.corrections import correct_record
from db.queries import earlier_complaints
from db.tables import (
    Attachment,
    Complaint,
    ComplaintEvent,
    ContactView,
    OutboxEmail,
    PolicyVersion,
    RevisitAttempt,
    Survey,
)
from portal.anonymize import MARK, PrivacyRules
from portal.attachments import Upload
from portal.demo import advance
from portal.scheduler import Daily, tick
from portal.timeutil import utcnow
from portal.workflow import Action
from tests.deadline_support import POLICY, TZ, env, local, reload
from tests.factories import intake_data, make_complaint

T = local(2022, 3, 1, 10)  # a Tuesday
NAME, PHONE, OLD_PHONE, EMAIL = "张伟", "13812345678", "13900001111", "zw@example.com"
ADDRESS, ORDER = "上海市浦东新区张江路 88 号", "SO20220301"
PDF = b"%PDF-1.4 customer's invoice"
SURVEYED = {"outcome": "reached", "overall": 5, "speed": 4, "attitude": 5, "solved": True,
            "comments": f"张先生很满意，以后打 {PHONE} 找他"}
PRIVATE = (NAME, PHONE, OLD_PHONE, EMAIL, ADDRESS, ORDER, "张先生", "张江路")


async def _act(viewers, number: str, action: Action, user: str, at, **fields) -> dict:
    row = await reload(number)
    return await perform(number, action, viewers[user], row["version"], fields, at, env())


async def _handled(viewers, attachments_dir: Path, at, files=(), **overrides) -> str:
    """Logged at `at`, replied 8 hours later with a call-back asked for (so the revisit is
    drawn); returns its number."""
    data = intake_data(received_at=at - timedelta(hours=1), callback_requested=True,
                       complained_person="孙丽", **overrides)
    number = await log_complaint(data, viewers["clerk"].id, list(files), at, POLICY,
                                 attachments_dir, TZ)
    await advance(number, "replied", viewers, "QA", start=at, step=timedelta(hours=1), env=env())
    return number


async def scenario(viewers, attachments_dir: Path) -> dict:
    """The complaint to anonymize (a correction, a note, an emailed survey, a phone revisit
    with comments, an attachment), and around it complaints that must be left alone."""
    n = await _handled(
        viewers, attachments_dir, T, files=[Upload(f"{NAME}发票.pdf", PDF)],
        customer_name=NAME, customer_phone=OLD_PHONE, customer_email=EMAIL,
        customer_address=ADDRESS, order_no=ORDER,
        description=f"张先生反映底座漏电，请回电 {OLD_PHONE}，或发邮件到 {EMAIL}。", demand="换新")
    row = await reload(n)
    await correct_record(n, viewers["office"], row["version"], {"customer_phone": PHONE},
                         "客户换了手机号", T + timedelta(hours=9), env())
    await _act(viewers, n, Action.NOTE, "office", T + timedelta(hours=10),
               note=f"{NAME}来电，家住张江路88号，手机 {PHONE}")
    await _act(viewers, n, Action.SEND_SURVEY, "office", T + timedelta(days=1))
    await _act(viewers, n, Action.REVISIT_ATTEMPT, "office", T + timedelta(days=2), **SURVEYED)
    # The same customer again two years later: closed recently, with a survey email out.
    recent = await _handled(viewers, attachments_dir, T + timedelta(days=730),
                            customer_name=NAME, customer_phone=PHONE, customer_email=EMAIL,
                            description="另一台水壶也漏电")
    await _act(viewers, recent, Action.SEND_SURVEY, "office", T + timedelta(days=731))
    await _act(viewers, recent, Action.REVISIT_ATTEMPT, "office", T + timedelta(days=732),
               **SURVEYED)
    # Reopened after an unsatisfied answer: in progress again, not closed.
    reopened = await _handled(viewers, attachments_dir, T, customer_phone="13700000001",
                              customer_email="", customer_name="王芳", description="滤网异味")
    await _act(viewers, reopened, Action.REVISIT_ATTEMPT, "office", T + timedelta(days=2),
               **{**SURVEYED, "overall": 1, "comments": "还是有异味"})
    # Closed as invalid an hour after it was logged: final too.
    invalid = (await make_complaint(viewers, status="invalid", now=T,
                                    customer_name="刘洋", customer_phone="13700000002",
                                    customer_email="", description="非本公司产品"))["number"]
    closed = (await reload(n))["closed_at"]
    return {"number": n, "recent": recent, "reopened": reopened, "invalid": invalid,
            "due_at": closed.astimezone(TZ).replace(year=closed.astimezone(TZ).year + 3)}


@pytest.fixture
def world(client, viewers):
    attachments = client.app.state.settings.attachments_dir
    made = client.run(scenario, viewers, attachments)
    made["attachments"] = attachments
    return made


def rows_of(client, *tables) -> dict:
    async def read():
        return {t._meta.tablename: await t.select().order_by(t.id) for t in tables}
    return client.run(read)


EVERYTHING = (Complaint, ComplaintEvent, Survey, RevisitAttempt, OutboxEmail, Attachment)


def anonymize(client, now, **kwargs):
    return client.run(anonymize_due, now, env(), client.app.state.settings.attachments_dir,
                      **kwargs)


def text_of(client, cid: int) -> str:
    """Everything stored about the complaint, as one text to look for personal data in."""
    async def read():
        parts = [await Complaint.select().where(Complaint.id == cid),
                 await ComplaintEvent.select().where(ComplaintEvent.complaint == cid),
                 await Survey.select().where(Survey.complaint == cid),
                 await RevisitAttempt.select().where(RevisitAttempt.complaint == cid),
                 await Attachment.select().where(Attachment.complaint == cid)]
        return json.dumps(parts, ensure_ascii=False, default=str)
    return client.run(read)


# ---- what is erased, what stays ----------------------------------------------------------

def test_a_closed_complaint_loses_its_customers_data_everywhere(client, world):
    row = client.run(reload, world["number"])
    assert row["status"] == "closed" and row["closed_at"] == T + timedelta(days=2)
    stored = text_of(client, row["id"])
    assert all(value in stored for value in (NAME, PHONE, OLD_PHONE, EMAIL, ORDER))
    files = list(world["attachments"].iterdir())
    assert len(files) == 1
    mails_before = rows_of(client, OutboxEmail)["outbox_email"]

    result = anonymize(client, world["due_at"])
    assert sorted(result.numbers) == sorted([world["number"], world["invalid"]])
    assert result.anonymized == 2 and result.files_removed == 1

    after = client.run(reload, world["number"])
    assert after["anonymized_at"] == world["due_at"]
    assert after["version"] == row["version"] + 1
    for field in ("customer_name", "customer_phone", "customer_email", "customer_address",
                  "order_no"):
        assert after[field] == ""
    assert after["description"] == f"{MARK}反映底座漏电，请回电 {MARK}，或发邮件到 {MARK}。"
    stored = text_of(client, row["id"])
    for value in PRIVATE:
        assert value not in stored, value
    # The attachment: row and file gone. The customer's survey emails: gone, the recent
    # complaint's one (same address, another number) stays, and so do the staff's emails.
    assert client.run(lambda: Attachment.count().where(Attachment.complaint == row["id"])) == 0
    assert list(world["attachments"].iterdir()) == []
    mails_after = rows_of(client, OutboxEmail)["outbox_email"]
    gone = [m for m in mails_before if m not in mails_after]
    assert [m["recipient"] for m in gone] == [EMAIL]
    assert row["number"] in gone[0]["subject"]
    assert any(m["recipient"] == EMAIL and world["recent"] in m["subject"] for m in mails_after)
    assert len(mails_after) == len(mails_before) - 1
    # The history: one `anonymized` row without data; the correction keeps its field.
    events = client.run(lambda: ComplaintEvent.select().where(
        ComplaintEvent.complaint == row["id"]).order_by(ComplaintEvent.id))
    last = events[-1]
    assert (last["action"], last["note"], last["changes"], last["actor"]) == \
        ("anonymized", "", "", None)
    assert last["from_status"] == last["to_status"] == "closed"
    edit = next(e for e in events if e["action"] == "edit")
    assert json.loads(edit["changes"]) == {"customer_phone": [MARK, MARK]}
    assert edit["note"] == "客户换了手机号"
    note = next(e for e in events if e["action"] == "note")
    assert note["note"] == f"{MARK}来电，家住{MARK}，手机 {MARK}"
    # Surveys keep their scores and groups, lose the address and the personal part of the words.
    surveys = client.run(lambda: Survey.select().where(Survey.complaint == row["id"]))
    assert [(s["channel"], s["recipient"]) for s in surveys] == [("email", ""), ("phone", "")]
    phone = surveys[1]
    assert (phone["overall"], phone["speed"], phone["attitude"], phone["solved"]) == (5, 4, 5, True)
    assert phone["comments"] == f"{MARK}很满意，以后打 {MARK} 找他"
    assert phone["stats_department"] == "QA"


def test_everything_the_statistics_read_stays(client, world):
    keep = ("received_at", "logged_at", "replied_at", "closed_at", "status", "grade",
            "category", "channel", "department", "complained_department", "complained_person",
            "criteria", "urgent", "is_second", "result_due", "cap_due", "result_submitted_at",
            "resolve_minutes", "reopen_count", "satisfaction", "revisit_state", "result_by",
            "extension_requests", "urge_count", "appeal_kind", "product", "claimed_loss",
            "compensation")
    before = client.run(reload, world["number"])
    anonymize(client, world["due_at"])
    after = client.run(reload, world["number"])
    assert {k: after[k] for k in keep} == {k: before[k] for k in keep}


def test_the_rollup_still_equals_a_rebuild_and_the_statistics_are_the_same(client, world):
    client.login("office")
    pages = ("/stats/export.csv?period=2022", "/stats/export.csv?period=2022&by=grade",
             "/stats/export.csv?period=2022-Q1&by=category", "/stats?period=2022-03",
             "/leaderboard?quarter=2022-Q1")
    before = [client.get(p).text for p in pages]
    stored = client.run(rollup.stored)
    assert anonymize(client, world["due_at"]).anonymized == 2
    assert client.run(rollup.stored) == stored
    total, people = client.run(rollup.computed, POLICY, TZ)

    def nonzero(counts):
        return {k: {c: n for c, n in v.items() if n} for k, v in counts.items() if any(v.values())}
    assert (nonzero(total), nonzero(people)) == stored
    assert [client.get(p).text for p in pages] == before
    assert "质量部,2," in before[0] and stored[0]  # figures there to compare


# ---- when --------------------------------------------------------------------------------

def test_due_exactly_n_years_after_closing_and_not_a_second_before(client, world):
    second_before = world["due_at"] - timedelta(seconds=1)
    assert client.run(due_count, second_before, env()) == 1  # the invalid one, closed earlier
    assert client.run(due_count, world["due_at"], env()) == 2
    result = anonymize(client, second_before)
    assert result.numbers == [world["invalid"]]
    assert client.run(reload, world["number"])["anonymized_at"] is None
    assert anonymize(client, world["due_at"]).numbers == [world["number"]]


def test_reopened_recent_and_unfinished_complaints_are_left_alone(client, world):
    later = world["due_at"] + timedelta(days=365)
    untouched = [client.run(reload, world[k]) for k in ("recent", "reopened")]
    assert untouched[1]["status"] == "in_progress" and untouched[1]["closed_at"] is None
    anonymize(client, later)
    assert [client.run(reload, world[k]) for k in ("recent", "reopened")] == untouched


def test_a_second_run_changes_nothing_and_a_dry_run_nothing_at_all(client, world):
    before = rows_of(client, *EVERYTHING)
    assert client.run(due_count, world["due_at"], env()) == 2
    assert rows_of(client, *EVERYTHING) == before  # counting is all a dry run does
    assert anonymize(client, world["due_at"]).anonymized == 2
    once = rows_of(client, *EVERYTHING)
    assert client.run(due_count, world["due_at"], env()) == 0
    again = anonymize(client, world["due_at"] + timedelta(days=1))
    assert again.anonymized == 0 and again.numbers == []
    assert rows_of(client, *EVERYTHING) == once


def test_batches_and_a_round_limit_work_through_a_backlog(client, viewers):
    old = T - timedelta(days=4 * 365)
    numbers = [client.run(make_complaint, viewers, status="invalid", now=old,
                          customer_phone=f"1370000{i:04d}", customer_email="")["number"]
               for i in range(5)]
    first = anonymize(client, T, batch=2, max_batches=2)
    assert (first.anonymized, first.batches, first.remaining) == (4, 2, True)
    rest = anonymize(client, T, batch=2, max_batches=2)
    assert (rest.anonymized, rest.remaining) == (1, False)
    assert all(client.run(reload, n)["anonymized_at"] == T for n in numbers)


def test_never_when_the_policy_says_zero_years(client, world):
    off = replace(env(), policy=replace(POLICY, privacy=PrivacyRules(0)))
    assert client.run(due_count, world["due_at"] + timedelta(days=3650), off) == 0
    result = client.run(anonymize_due, world["due_at"] + timedelta(days=3650), off,
                        world["attachments"])
    assert result.anonymized == 0
    assert client.run(reload, world["number"])["anonymized_at"] is None


# ---- the scheduler and the command -----------------------------------------------------

def test_the_scheduler_runs_it_once_a_day_and_works_off_a_backlog(client, viewers, settings):
    old = T - timedelta(days=4 * 365)
    for i in range(3):
        client.run(make_complaint, viewers, status="invalid", now=old,
                   customer_phone=f"1370001{i:04d}", customer_email="")
    daily = Daily(batch=2, round_batches=1)
    first = client.run(tick, settings, POLICY, T, daily)
    assert first.anonymized.anonymized == 2 and first.anonymized.remaining
    second = client.run(tick, settings, POLICY, T + timedelta(minutes=1), daily)
    assert second.anonymized.anonymized == 1 and not second.anonymized.remaining
    # Done for the day: later rounds of the same local day do not look.
    assert client.run(tick, settings, POLICY, T + timedelta(hours=12), daily).anonymized is None
    client.run(make_complaint, viewers, status="invalid", now=old, customer_email="",
               customer_phone="13700019999")
    assert client.run(tick, settings, POLICY, T + timedelta(hours=13), daily).anonymized is None
    # The next local day (Shanghai midnight), it runs again.
    next_day = local(2022, 3, 2, 0, 0, 1)
    assert client.run(tick, settings, POLICY, next_day, daily).anonymized.anonymized == 1
    # Without a Daily (tests, `portal worker --once` gives one), tick leaves it alone.
    assert client.run(tick, settings, POLICY, next_day).anonymized is None


def test_a_failing_anonymization_does_not_stop_the_round(client, viewers, settings,
                                                       monkeypatch):
    import portal.scheduler

    async def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(portal.scheduler, "anonymize_due", broken)
    row = client.run(make_complaint, viewers, status="dispatched", now=T)  # mail to send
    assert client.run(lambda: OutboxEmail.count().where(OutboxEmail.sent_at.is_null())) > 0
    daily = Daily()
    result = client.run(tick, settings, POLICY, T + timedelta(minutes=1), daily)
    assert result.anonymized is None and result.mail.sent > 0
    assert client.run(lambda: OutboxEmail.count().where(OutboxEmail.sent_at.is_null())) == 0
    # Not retried every minute: tomorrow.
    assert daily.done_on == (T + timedelta(minutes=1)).date()
    assert row["status"] == "dispatched"


def _portal(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "portal.cli", *args], capture_output=True,
                          text=True, env=dict(os.environ), timeout=120)


def test_the_command_counts_in_a_dry_run_then_anonymizes(client, viewers):
    long_ago = utcnow() - timedelta(days=4 * 366)
    row = client.run(make_complaint, viewers, status="invalid", now=long_ago,
                     customer_name="刘洋", customer_phone="13700000003", customer_email="")
    client.run(make_complaint, viewers, status="invalid", customer_phone="13700000004",
               customer_email="")  # closed today
    dry = _portal("anonymize", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "1 closed complaint(s) would be anonymized" in dry.stdout
    assert client.run(reload, row["number"])["customer_name"] == "刘洋"
    real = _portal("anonymize")
    assert real.returncode == 0, real.stderr
    assert "1 closed complaint(s) anonymized" in real.stdout
    assert client.run(reload, row["number"])["customer_name"] == ""
    assert "0 closed complaint(s) anonymized" in _portal("anonymize").stdout


# ---- the pages ---------------------------------------------------------------------------

def test_the_complaint_page_says_anonymized_instead_of_the_customer(client, world):
    anonymize(client, world["due_at"])
    n = world["number"]
    cid = client.run(reload, n)["id"]
    client.login("office")
    page = client.get(f"/complaints/{n}")
    assert page.status_code == 200
    assert 'data-testid="anonymized"' in page.text and "已匿名化" in page.text
    assert "2025-03-03" in page.text  # the day it was anonymized, local
    for value in PRIVATE:
        assert value not in page.text, value
    assert 'data-event="anonymized"' in page.text
    assert 'data-action="edit"' not in page.text
    # Nothing left to show, so no view of contact data is logged.
    assert client.run(lambda: ContactView.count().where(ContactView.complaint == cid)) == 0
    # The revisit card keeps its scores.
    assert 'data-testid="revisit"' in page.text
    edit = client.get(f"/complaints/{n}/edit")
    assert edit.status_code == 409
    assert client.post_form(f"/complaints/{n}/edit", {"reason": "x", "version": "99",
                                                      "customer_name": NAME}).status_code == 409
    assert client.run(reload, n)["customer_name"] == ""


def test_the_english_page_says_so_too(client, world):
    anonymize(client, world["due_at"])
    client.login("office")
    assert client.post_form("/lang", {"lang": "en"}).status_code in (302, 303)
    page = unescape(client.get(f"/complaints/{world['number']}").text)
    assert "Anonymized on 2025-03-03" in page
    assert "Anonymized: the customer's personal data erased" in page
    assert "已匿名化" not in page


def test_lists_and_search_show_the_marker_and_do_not_break(client, world):
    anonymize(client, world["due_at"])
    client.login("office")
    found = client.get(f"/search?q={world['number']}")
    assert found.status_code == 200 and 'data-testid="anonymized"' in found.text
    by_name = client.get("/search", params={"q": NAME})
    assert by_name.status_code == 200
    assert world["number"] not in by_name.text and world["recent"] in by_name.text
    assert client.get("/search", params={"q": PHONE[-4:]}).status_code == 200
    inbox = client.get("/inbox", params={"status": "closed"})
    assert inbox.status_code == 200 and 'data-testid="anonymized"' in inbox.text
    assert client.get("/inbox/export.csv", params={"status": "closed"}).status_code == 200


def test_an_anonymized_complaint_is_never_the_earlier_one_of_a_second_complaint(client, world):
    since = T - timedelta(days=1)
    before = client.run(earlier_complaints, PHONE, EMAIL, since)
    assert world["number"] in [r["number"] for r in before]
    anonymize(client, world["due_at"])
    after = client.run(earlier_complaints, PHONE, EMAIL, since)
    assert world["number"] not in [r["number"] for r in after]
    assert world["recent"] in [r["number"] for r in after]
    # Empty values never match each other either.
    assert client.run(earlier_complaints, "", "", since) == []


# ---- the policy form ---------------------------------------------------------------------

FIELD = "privacy.anonymize_after_years"


def test_the_policy_form_shows_and_saves_the_years(client):
    client.login("admin")
    page = client.get("/admin/policy").text
    assert f'name="{FIELD}" type="text" value="3"' in page
    unchanged = client.post_form("/admin/policy", {FIELD: "3"})
    assert unchanged.status_code == 303
    assert client.run(lambda: PolicyVersion.count()) == 0
    saved = client.post_form("/admin/policy", {FIELD: "5"})
    assert saved.status_code == 303
    (v,) = client.run(lambda: PolicyVersion.select())
    assert json.loads(v["changes"]) == [[FIELD, 3, 5]]
    assert client.app.state.policy.privacy == PrivacyRules(5)
    assert f'name="{FIELD}" type="text" value="5"' in client.get("/admin/policy").text
    history = client.get("/admin/policy/history").text
    assert f'data-setting="{FIELD}"' in history and "匿名化" in history
    assert client.post_form("/admin/policy", {FIELD: "0"}).status_code == 303
    assert not client.app.state.policy.privacy.enabled


@pytest.mark.parametrize("value", ["-1", "51", "2.5", "three", ""])
def test_a_bad_number_of_years_is_refused_next_to_the_field(client, value):
    client.login("cshead")
    r = client.post_form("/admin/policy", {FIELD: value})
    assert r.status_code == 422
    assert re.search(r'id="p-privacy-anonymize_after_years-error"[^>]*>[^<]*0[^<]*50', r.text)
    assert client.run(lambda: PolicyVersion.count()) == 0


# ---- the upgrade ------------------------------------------------------------------------

def test_the_upgrade_gives_complaints_closed_before_it_their_closing_time(client, world):
    backfill = importlib.import_module("db.migrations.db_2026_12_06t09_05_00_000000").BACKFILL
    expected = {k: client.run(reload, world[k])["closed_at"]
                for k in ("number", "recent", "invalid", "reopened")}
    assert expected["reopened"] is None and None not in [expected[k] for k in
                                                         ("number", "recent", "invalid")]
    client.run(lambda: Complaint.update({Complaint.closed_at: None}, force=True))
    client.run(lambda: Complaint.raw(backfill))
    assert {k: client.run(reload, world[k])["closed_at"] for k in expected} == expected


def test_start_up_refuses_a_bad_number_of_years_by_name(tmp_path, viewers):
    from portal.policy import DEFAULT_POLICY_PATH

    bad = tmp_path / "policy.toml"
    bad.write_text(DEFAULT_POLICY_PATH.read_text(encoding="utf-8").replace(
        "anonymize_after_years = 3", "anonymize_after_years = -3"), encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "portal.cli", "serve", "--port", "1"],
                            capture_output=True, text=True, timeout=120,
                            env={**os.environ, "PORTAL_POLICY": str(bad)})
    assert result.returncode != 0
    assert "privacy.anonymize_after_years" in result.stderr
