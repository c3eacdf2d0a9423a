"""In the browser: plain form posts without JavaScript, two people on one complaint, bad input."""

import re

import pytest
from playwright.sync_api import expect

from e2e.conftest import seed, shot

pytestmark = pytest.mark.e2e


def _open_new(page, status):
    """A complaint of this test's own, opened from the inbox as a handler would."""
    number = seed(status)
    page.goto(f"/inbox?status={status}")
    page.locator(f"tr[data-number='{number}'] a").first.click()
    return number


def test_acknowledge_works_without_javascript(login):
    page = login("qa.staff", java_script_enabled=False)
    number = _open_new(page, "dispatched")
    page.locator("button[data-action=acknowledge]").click()
    expect(page).to_have_url(re.compile(f"/complaints/{number}$"))
    expect(page.locator(".flash-success")).to_be_visible()
    expect(page.locator("#complaint")).to_have_attribute("data-status", "acknowledged")


def test_the_second_of_two_editors_is_told_not_overwritten(login):
    first = login("qa.staff")
    number = _open_new(first, "dispatched")
    second = login("qa.head")
    second.goto(f"/complaints/{number}")
    first.locator("button[data-action=acknowledge]").click()
    expect(first.locator("#complaint")).to_have_attribute("data-status", "acknowledged")
    second.locator("button[data-action=acknowledge]").click()
    expect(second.locator(".flash-error")).to_be_visible()
    expect(second.locator("#complaint")).to_have_attribute("data-status", "acknowledged")
    shot(second, "08-conflict-zh")


def test_intake_errors_are_shown_next_to_fields_with_values_kept(login):
    page = login("clerk")
    page.goto("/intake")
    page.locator("[name=customer_name]").fill("")
    page.locator("[name=customer_phone]").fill("12345")
    page.locator("[name=description]").fill("空调不制冷")
    page.locator("button[data-action=log]").click()
    expect(page.locator("#customer_phone-error")).to_be_visible()
    expect(page.locator("#customer_name-error")).to_be_visible()
    expect(page.locator("[name=description]")).to_have_value("空调不制冷")
    expect(page.locator("[name=customer_phone]")).to_have_value("12345")
    shot(page, "09-intake-errors-zh")
