"""Issue 12 in the browser: a department head gives a complaint to a handler, who finds it
under "assigned to me" in the inbox."""

import re

import pytest
from playwright.sync_api import expect

from e2e.conftest import shot

pytestmark = pytest.mark.e2e


def test_a_head_assigns_and_the_handler_sees_it_under_assigned_to_me(login):
    head = login("qa.head")
    head.goto("/inbox?status=in_progress")
    first = head.locator("[data-testid=complaint-list] tbody tr").first
    number = first.get_attribute("data-number")
    first.get_by_role("link", name=number).click()
    expect(head).to_have_url(re.compile(f"/complaints/{number}$"))
    form = head.locator("form[action$='/assign']")
    form.locator("select[name=assignee]").select_option("qa.staff")
    form.locator("button[data-action=assign]").click()
    expect(head.locator("[data-testid=assignee]")).to_contain_text("孙丽")
    expect(head.locator("[data-history] li[data-event=assign]").first).to_be_visible()
    shot(head, "60-assigned-zh")

    staff = login("qa.staff")
    staff.goto("/inbox")
    staff.get_by_test_id("assigned-me").check()
    staff.get_by_role("button", name=re.compile("筛选|Filter")).click()
    expect(staff).to_have_url(re.compile(r"assigned=me"))
    listed = staff.locator("[data-testid=complaint-list] tbody tr")
    expect(listed.filter(has=staff.locator(f"a:text-is('{number}')"))).to_have_count(1)
    shot(staff, "61-assigned-to-me-zh")
