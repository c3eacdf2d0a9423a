"""Issue 5 in the browser: the office emails the satisfaction survey from the revisit queue; the
mail arrives at a real SMTP server; the customer opens its link on a phone with no log-in,
answers 1 star, and the complaint is back in progress in its department's inbox."""

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from e2e.conftest import shot
from e2e.test_complaint_story import act

pytestmark = pytest.mark.e2e

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
DEPARTMENT_USERS = {"QA": "qa.staff", "SVC": "svc.staff"}  # the demo departments with users
TAP_MIN = 44  # px: the smallest comfortable tap target


def _pending_with_email(office: Page) -> tuple[str, str]:
    """(department, number) of a complaint in the phone queue whose customer has an email,
    never reopened (so that an unsatisfied answer reopens it rather than escalating it)."""
    for department in DEPARTMENT_USERS:
        office.goto(f"/revisits?state=pending&department={department}")
        rows = office.locator("[data-testid=revisit-list] tbody tr[data-revisit-state=pending]").filter(
            has=office.locator("[data-testid=masked-contact]", has_text="@")).filter(
            has_not=office.locator(".tag-second"))
        if rows.count():
            return department, rows.first.get_attribute("data-number")
    pytest.fail("the demo has no complaint waiting for a revisit with a customer email")


def _phone_page(browser: Browser, locale: str) -> Page:
    """A fresh browser with no cookies and no log-in: the customer's phone."""
    context = browser.new_context(locale=locale, **PHONE)
    context.set_default_timeout(10_000)
    return context.new_page()


def _assert_phone_friendly(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, "scrolls sideways"
    targets = page.locator("label.choice, button.s-submit")
    assert targets.count() > 10
    for i in range(targets.count()):
        box = targets.nth(i).bounding_box()
        assert box and box["height"] >= TAP_MIN, (targets.nth(i).inner_text(), box)


def test_an_emailed_survey_answered_with_one_star_reopens_the_complaint(login, browser, server,
                                                                        mailbox):
    # --- the office picks a revisit from the phone queue and emails the survey ------------
    office = login("office")
    office.goto("/revisits")
    expect(office.get_by_test_id("revisit-list")).to_be_visible()
    shot(office, "20-revisits-zh")
    department, number = _pending_with_email(office)
    office.locator(f"tr[data-number='{number}'] a").first.click()
    expect(office).to_have_url(re.compile(f"/complaints/{number}$"))
    expect(office.locator("#complaint")).to_have_attribute("data-status", "replied")
    revisit = office.get_by_test_id("revisit")
    expect(revisit).to_have_attribute("data-revisit-state", "pending")
    name = office.locator("#complaint .kv dd").first.inner_text().strip()
    contact = office.get_by_test_id("contact").inner_text()
    address = re.search(r"[\w.+-]+@[\w.-]+", contact).group(0)
    secrets = [name, address, *re.findall(r"\d[\d-]{6,}", contact)]  # the phone, if any
    act(office, "send-survey")
    expect(revisit).to_have_attribute("data-revisit-state", "survey")
    expect(revisit.locator("li[data-survey-channel=email]")).to_contain_text(address)
    expect(office.locator("[data-history] > li[data-event=send-survey]")).to_have_count(1)
    shot(office, "21-survey-sent-zh")

    # --- the mail reaches the SMTP server with an absolute, personal-data-free link -------
    mail = mailbox.wait_for(address, number)
    body = mail.get_body(preferencelist=("plain",)).get_content()
    links = set(re.findall(r"https?://\S+/survey/\S+", body))
    assert len(links) == 1, body
    link = links.pop()
    assert link.startswith(f"{server}/survey/"), link
    for secret in secrets:
        assert secret not in body

    # --- the customer opens it on a phone, in Chinese, with no log-in ---------------------
    customer = _phone_page(browser, "zh-CN")
    response = customer.goto(link)
    assert response.status == 200
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["referrer-policy"] == "no-referrer"
    expect(customer).to_have_url(link)  # not sent to a log-in page
    expect(customer.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(customer.get_by_test_id("survey-complaint")).to_contain_text(number)
    html = customer.content()
    for secret in (*secrets, address.split("@")[0]):
        assert secret not in html, f"the survey page shows {secret!r}"
    _assert_phone_friendly(customer)
    shot(customer, "survey-phone-zh")

    # --- the same link in English (looking does not use it up) -----------------------------
    english = _phone_page(browser, "en-US")
    assert english.goto(link).status == 200
    expect(english.locator("html")).to_have_attribute("lang", "en")
    expect(english.locator("h1")).to_have_text("How did we do?")
    expect(english.locator("button[data-action=answer-survey]")).to_have_text("Send my answers")
    expect(english.get_by_test_id("survey-complaint")).to_contain_text(number)
    _assert_phone_friendly(english)
    shot(english, "survey-phone-en")

    # --- an unanswered required question is marked, nothing is recorded -------------------
    with customer.expect_response(lambda r: r.request.method == "POST") as sent:
        customer.locator("button[data-action=answer-survey]").tap()
    assert sent.value.status == 422
    expect(customer.locator("fieldset[data-question=overall].has-error")).to_be_visible()

    # --- one star, slow, so-so, not solved: by touch ---------------------------------------
    for question, value in (("overall", "1"), ("speed", "2"), ("attitude", "3"), ("solved", "no")):
        choice = customer.locator(f"label.choice:has(input[name={question}][value='{value}'])")
        choice.tap()
        expect(choice.locator("input")).to_be_checked()
    customer.locator("textarea[name=comments]").fill("还是同样的问题，没有解决。")
    with customer.expect_response(lambda r: r.request.method == "POST") as sent:
        customer.locator("button[data-action=answer-survey]").tap()
    assert sent.value.status == 200
    expect(customer.get_by_test_id("survey-thanks")).to_be_visible()
    shot(customer, "survey-thanks-phone-zh")

    # --- the link works once: opened again, or sent from the other tab ---------------------
    response = customer.goto(link)
    assert response.status == 410
    expect(customer.get_by_test_id("survey-closed")).to_have_attribute("data-reason", "used")
    english.locator("label.choice:has(input[name=overall][value='5'])").tap()
    with english.expect_response(lambda r: r.request.method == "POST") as sent:
        english.locator("button[data-action=answer-survey]").tap()
    assert sent.value.status == 410
    expect(english.get_by_test_id("survey-closed")).to_have_attribute("data-reason", "used")
    expect(english.locator("h1")).to_have_text("This survey has already been answered")
    shot(english, "survey-used-phone-en")
    customer.context.close()
    english.context.close()

    # --- the department finds it reopened in its inbox -------------------------------------
    staff = login(DEPARTMENT_USERS[department])
    staff.goto("/inbox")
    expect(staff.locator(f"tr[data-number='{number}'] [data-status]")).to_have_attribute(
        "data-status", "in_progress")
    shot(staff, "22-inbox-reopened-zh")
    staff.locator(f"tr[data-number='{number}'] a").first.click()
    expect(staff.locator("#complaint")).to_have_attribute("data-status", "in_progress")
    answered = staff.locator("[data-history] > li[data-event=survey-answered]")
    expect(answered).to_have_count(1)
    expect(answered).to_contain_text("还是同样的问题，没有解决。")
    expect(staff.get_by_test_id("reopen-count")).to_have_text(re.compile(r"^\s*1\s*/"))
    expect(staff.get_by_test_id("satisfaction")).to_contain_text("1")
    expect(staff.locator("time[data-deadline=result]")).to_be_visible()  # a new result deadline
    shot(staff, "23-complaint-reopened-zh")
    assert len(mailbox.to(address, number)) == 1, "the survey was mailed more than once"
