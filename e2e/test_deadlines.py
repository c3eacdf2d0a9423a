"""Issue 4 in the browser: deadlines on the page, a department head asks for an extension,
the office approves it, and the head's bell shows the news without a page reload."""

import pytest
from playwright.sync_api import expect

from e2e.conftest import shot
from e2e.test_complaint_story import act

pytestmark = pytest.mark.e2e


def test_extension_requested_approved_and_the_bell_rings(login):
    # The office dispatches a freshly logged complaint to QA: its clocks start now.
    office = login("office")
    office.goto("/triage")
    office.locator("[data-testid=complaint-list] tbody tr a").first.click()
    act(office, "dispatch", department="QA")
    number = office.url.rsplit("/", 1)[1]
    for kind in ("acknowledge", "contact", "result", "cap"):
        due = office.locator(f"time[data-deadline={kind}]")
        expect(due).to_be_visible()
        assert due.get_attribute("datetime").endswith("+08:00")
    result_before = office.locator("time[data-deadline=result]").get_attribute("datetime")
    cap = office.locator("time[data-deadline=cap]").get_attribute("datetime")

    # The QA head asks to move the result deadline to the cap (the latest allowed).
    head = login("qa.head")
    head.goto(f"/complaints/{number}")
    act(head, "request-extension", new_due=cap[:16], reason="需等待第三方检测报告。")
    expect(head.get_by_test_id("extension-pending")).to_be_visible()
    shot(head, "10-extension-requested-zh")
    head.evaluate("window.__noReload = true")
    bell = head.get_by_test_id("unread-count")
    before = bell.inner_text().strip()

    # The office approves it; the head's page learns of it by polling, not by reloading.
    office.goto(f"/complaints/{number}")
    act(office, "approve-extension", note="同意延期。")
    # The form asks for minutes; the cap keeps the dispatch's seconds when the clock started
    # in working hours.
    requested = cap[:16] + ":00" + cap[-6:]
    expect(office.locator("time[data-deadline=result]")).to_have_attribute("datetime", requested)
    assert cap != result_before
    expect(bell).not_to_have_text(before, timeout=10_000)
    assert head.evaluate("window.__noReload") is True, "the bell reloaded the page"
    shot(head, "11-bell-updated-zh")
    head.get_by_test_id("bell").click()
    expect(head.locator("td[data-kind=extension_approved]").first).to_contain_text(number)


def test_admin_calendar_adds_and_removes_a_company_holiday(login):
    admin = login("admin", locale="en-US")
    admin.goto("/admin/calendar?year=2027")
    expect(admin.get_by_test_id("year-source")).to_have_attribute("data-source", "fallback")
    expect(admin.get_by_test_id("calendar-warning")).to_be_visible()
    admin.locator("#cal-day").fill("2027-02-08")
    admin.locator("#cal-kind").select_option("holiday")
    admin.locator("#cal-name").fill("Spring Festival")
    admin.locator("button[data-action=add-day]").click()
    expect(admin.locator("tr[data-day='2027-02-08']")).to_contain_text("Spring Festival")
    shot(admin, "12-calendar-2027-en")
    admin.locator("button[data-action=confirm-year]").click()
    expect(admin.get_by_test_id("year-source")).to_have_attribute("data-source", "company")
    admin.locator("tr[data-day='2027-02-08'] button[data-action=remove-day]").click()
    expect(admin.locator("tr[data-day='2027-02-08']")).to_have_count(0)
    admin.locator("button[data-action=unconfirm-year]").click()
    expect(admin.get_by_test_id("year-source")).to_have_attribute("data-source", "fallback")
