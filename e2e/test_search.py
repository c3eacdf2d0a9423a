"""In the browser: the header search finds a complaint by the digits of its number and opens it."""

import re

import pytest
from playwright.sync_api import expect

from e2e.conftest import shot

pytestmark = pytest.mark.e2e


def test_the_office_types_digits_in_the_header_search_and_opens_the_complaint(login):
    page = login("office")
    page.goto("/inbox?status=replied")
    number = page.locator("table.list tbody tr a").first.inner_text()
    page.get_by_test_id("header-search").fill(number[-6:])
    page.get_by_test_id("header-search").press("Enter")
    expect(page).to_have_url(re.compile(r"/search\?q="))
    expect(page.locator("#search-q")).to_have_value(number[-6:])
    row = page.locator(f'tr[data-number="{number}"]')
    expect(row).to_be_visible()
    expect(page.locator("table.list tbody tr").first).to_have_attribute("data-number", number)
    row.get_by_role("link", name=number).click()
    expect(page).to_have_url(re.compile(f"/complaints/{number}$"))


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
@pytest.mark.parametrize("width", [1366, 390])
def test_screenshots_of_search_mine_notifications_and_exports(login, locale, width):
    page = login("office", locale=locale, viewport={"width": width, "height": 900})
    tag = f"{locale}-{width}"
    page.goto("/search?q=张")
    shot(page, f"h7-search-short-{tag}")
    page.goto("/search?q=漏电")  # two characters: every complaint, no notice of a window
    expect(page.locator("p.hint")).to_have_count(0)
    shot(page, f"h7-search-two-{tag}")
    page.goto("/search?q=0001")
    shot(page, f"h7-search-{tag}")
    page.goto("/search?q=没有这样的投诉内容")
    shot(page, f"h7-search-empty-{tag}")
    page.goto("/inbox?status=all")
    shot(page, f"h7-inbox-export-{tag}")
    clerk = login("clerk", locale=locale, viewport={"width": width, "height": 900})
    clerk.goto("/mine")
    shot(clerk, f"h7-mine-{tag}")
    clerk.goto("/notifications")
    shot(clerk, f"h7-notifications-{tag}")
