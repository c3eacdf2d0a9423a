"""What a reader sees is in the reader's language: a complaint's history (departments, kinds,
the revisit draw), the official holidays and the notifications, in Chinese and in English; and
the banner of a year nobody has filled in, dismissed with one click."""

import re

import pytest
from playwright.sync_api import Page, expect

from e2e.conftest import shot

pytestmark = pytest.mark.e2e

LATIN_WORD = re.compile(r"\b[a-z]{3,}\b")  # a stored code such as "invalid" or "revisit"


def first_complaint(page: Page, url: str) -> str:
    page.goto(url)
    link = page.locator("[data-testid=complaint-list] tbody tr a, table.list tbody tr a").first
    number = link.inner_text().strip()
    link.click()
    expect(page.locator("#complaint")).to_be_visible()
    return number


def history(page: Page) -> str:
    return page.locator("[data-history]").inner_text()


@pytest.mark.parametrize("locale,lang", [("zh-CN", "zh"), ("en-US", "en")])
def test_a_complaints_history_reads_in_the_readers_language(login, locale, lang):
    office = login("office", locale=locale)
    first_complaint(office, "/revisits")
    text = history(office)
    draw = office.locator("[data-event=revisit-draw] [data-draw]").first
    if lang == "zh":
        expect(draw).to_contain_text("HMAC-SHA256（密钥")
        assert not LATIN_WORD.search(text.replace("HMAC-SHA256", "")), text
        assert "处理部门:" in text and re.search(r"处理部门: — → \S+部", text), text
    else:
        expect(draw).to_contain_text("the share drawn for")
        assert not re.search(r"[\u4e00-\u9fff]", draw.inner_text())
    shot(office, f"i18n-history-revisit-{lang}")

    first_complaint(office, "/inbox?status=invalid")
    kind = office.locator("[data-event=invalid] [data-field=invalid_kind]").first
    expect(kind).to_contain_text("无效投诉" if lang == "zh" else "Invalid")
    expect(kind).not_to_contain_text("→ invalid")
    shot(office, f"i18n-history-invalid-{lang}")


@pytest.mark.parametrize("locale,lang", [("zh-CN", "zh"), ("en-US", "en")])
def test_official_holidays_and_notifications_read_in_the_readers_language(login, locale, lang):
    admin = login("admin", locale=locale)
    admin.goto("/admin/calendar?year=2026")
    official = admin.get_by_test_id("official-days")
    expect(official).to_contain_text("春节" if lang == "zh" else "Spring Festival")
    expect(official).to_contain_text("周四" if lang == "zh" else "Thu")
    expect(official).not_to_contain_text("Spring Festival" if lang == "zh" else "春节")
    shot(admin, f"i18n-calendar-2026-{lang}")

    head = login("qa.head", locale=locale)
    head.goto("/notifications")
    notices = head.locator("td[data-kind]")
    expect(notices.first).to_be_visible()
    text = " ".join(notices.all_inner_texts())
    if lang == "zh":
        assert not LATIN_WORD.search(text), text
    else:
        assert not re.search(r"[\u4e00-\u9fff]", text), text
    shot(head, f"i18n-notifications-{lang}")


def test_the_office_dismisses_the_calendar_banner_in_place(login):
    """The demo runs on today's date: the year the package does not know yet is near."""
    office = login("office")
    office.goto("/triage")
    banner = office.get_by_test_id("calendar-warning")
    expect(banner).to_be_visible()
    shot(office, "i18n-calendar-banner-zh")
    office.evaluate("window.__noReload = true")
    banner.locator("button[data-action=dismiss-calendar-banner]").click()
    expect(banner).to_have_count(0)
    assert office.evaluate("window.__noReload") is True, "dismissing reloaded the page"
    office.reload()
    expect(office.get_by_test_id("calendar-warning")).to_have_count(0)
    admin = login("admin")  # each user dismisses it for themselves
    admin.goto("/admin/calendar")
    expect(admin.get_by_test_id("calendar-warning")).to_be_visible()
