"""Issue 12 in the browser: a replied complaint waits for its revisit, but the customer's
phone was mistyped and no email was taken, so no survey can be emailed. The office corrects
the record (new phone, added email, with a reason), sees one history row per field, then
emails the survey, which reaches the SMTP server."""

import re

import pytest
from playwright.sync_api import Page, expect

from e2e.conftest import shot
from e2e.test_complaint_story import act

pytestmark = pytest.mark.e2e

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
NEW_PHONE = "13600007788"
NEW_EMAIL = "kehu.correct@example.com"
REASON = "登记时电话记错一位；客户补充了邮箱，便于满意度调查。"


def _pending_without_email(office: Page) -> str:
    """A complaint in the phone queue whose customer left no email, never reopened."""
    office.goto("/revisits?state=pending")
    rows = office.locator("[data-testid=revisit-list] tbody tr[data-revisit-state=pending]").filter(
        has_not=office.locator("[data-testid=masked-contact]", has_text="@")).filter(
        has_not=office.locator(".tag-second"))
    if not rows.count():
        pytest.fail("the demo has no complaint waiting for a revisit without a customer email")
    return rows.first.get_attribute("data-number")


def _assert_fits(page: Page, width: int) -> None:
    wide = page.evaluate("""w => [...document.querySelectorAll('body *')]
        .filter(el => el.getBoundingClientRect().right > w + 1)
        .slice(0, 5).map(el => el.tagName + '.' + el.className + '#' + el.id)""", width)
    assert page.evaluate("document.documentElement.scrollWidth") <= width, f"scrolls sideways: {wide}"


def test_the_office_corrects_the_phone_adds_an_email_and_sends_the_survey(login, mailbox):
    office = login("office", viewport={"width": 1366, "height": 900})
    number = _pending_without_email(office)
    office.goto(f"/complaints/{number}")
    expect(office.locator("#complaint")).to_have_attribute("data-status", "replied")
    expect(office.get_by_test_id("revisit")).to_have_attribute("data-revisit-state", "pending")
    expect(office.locator("button[data-action=send-survey]")).to_have_count(0)  # no email yet

    # --- the office opens "Correct the record" -----------------------------------------
    office.locator("a[data-action=edit]").click()
    expect(office).to_have_url(re.compile(f"/complaints/{number}/edit$"))
    form = office.get_by_test_id("correction-form")
    expect(form.locator("[name=customer_email]")).to_have_value("")
    old_phone = form.locator("[name=customer_phone]").input_value()
    assert old_phone and "*" not in old_phone  # the office sees the full number
    shot(office, "70-correct-record-zh")

    # --- a reason is required: nothing is saved without it ------------------------------
    form.locator("[name=customer_phone]").fill(NEW_PHONE)
    form.locator("[name=customer_email]").fill(NEW_EMAIL)
    with office.expect_response(lambda r: r.request.method == "POST") as sent:
        form.locator("button[data-action=save-correction]").click()
    assert sent.value.status == 422
    expect(office.locator("#reason-error")).to_be_visible()
    expect(office.locator("[name=customer_phone]")).to_have_value(NEW_PHONE)  # kept as typed
    shot(office, "71-correct-record-error-zh")

    # --- with the reason it is saved, one history row per field -------------------------
    office.locator("[name=reason]").fill(REASON)
    office.locator("button[data-action=save-correction]").click()
    expect(office).to_have_url(re.compile(f"/complaints/{number}$"))
    expect(office.locator(".flash-success")).to_contain_text("记录已更正：修改了 2 项")
    expect(office.get_by_test_id("contact")).to_contain_text(NEW_PHONE)
    expect(office.get_by_test_id("contact")).to_contain_text(NEW_EMAIL)
    edits = office.locator("[data-history] > li[data-event=edit]")
    phone_row = edits.filter(has=office.locator("[data-field=customer_phone]"))
    email_row = edits.filter(has=office.locator("[data-field=customer_email]"))
    expect(phone_row).to_have_count(1)
    expect(phone_row).to_contain_text(f"{old_phone} → {NEW_PHONE}")
    expect(phone_row).to_contain_text(REASON)
    expect(email_row).to_have_count(1)
    expect(email_row).to_contain_text(f"— → {NEW_EMAIL}")
    expect(office.locator("#complaint")).to_have_attribute("data-status", "replied")
    shot(office, "72-corrected-history-zh")

    # --- now the survey can be emailed, and it arrives ----------------------------------
    act(office, "send-survey")
    revisit = office.get_by_test_id("revisit")
    expect(revisit).to_have_attribute("data-revisit-state", "survey")
    expect(revisit.locator("li[data-survey-channel=email]")).to_contain_text(NEW_EMAIL)
    # The demo's own notices may still queue in the outbox (20 a sweep) when this runs first.
    mail = mailbox.wait_for(NEW_EMAIL, number, timeout=180)
    body = mail.get_body(preferencelist=("plain",)).get_content()
    assert re.search(r"https?://\S+/survey/\S+", body), body
    assert NEW_PHONE not in body and NEW_EMAIL not in body
    assert len(mailbox.to(NEW_EMAIL, number)) == 1

    # --- the edit page at desktop and phone widths, Chinese and English ------------------
    office.goto(f"/complaints/{number}/edit")
    expect(office.get_by_test_id("correction-form")).to_be_visible()
    _assert_fits(office, 1366)
    english = login("office", locale="en-US", viewport={"width": 1366, "height": 900})
    english.goto(f"/complaints/{number}/edit")
    expect(english.locator("h1")).to_have_text("Correct the record")
    expect(english.locator("button[data-action=save-correction]")).to_have_text("Save the correction")
    _assert_fits(english, 1366)
    shot(english, "73-correct-record-en")
    for locale, name in (("zh-CN", "74-correct-record-phone-zh"), ("en-US", "75-correct-record-phone-en")):
        phone = login("office", locale=locale, **PHONE)
        phone.goto(f"/complaints/{number}/edit")
        expect(phone.get_by_test_id("correction-form")).to_be_visible()
        shot(phone, name)
        _assert_fits(phone, 390)
    phone.goto(f"/complaints/{number}")
    expect(phone.locator("a[data-action=edit]")).to_be_visible()
    shot(phone, "76-complaint-phone-en")
