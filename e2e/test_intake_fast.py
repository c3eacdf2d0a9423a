"""The story of a faster intake (issue 12): the clerk types a known customer's phone, fills
the customer in with one click, logs a minor complaint and resolves it on the spot in one
step; the next intake starts from the same channel and category; on a phone the save buttons
stay in view."""

import re

import pytest
from playwright.sync_api import Page, expect

from e2e.conftest import SHOTS, shot

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}


def window_shot(page: Page, name: str) -> None:
    """What the user sees in the window (a full-page shot would unstick the bar)."""
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"))


def test_the_clerk_fills_a_known_customer_and_resolves_a_minor_complaint_in_one_step(login):
    clerk = login("clerk", viewport=DESKTOP)
    clerk.goto("/intake")
    clerk.evaluate("window.__noReload = true")
    phone = clerk.locator("[name=customer_phone]")
    phone.fill("13812345678")  # demo customer 张伟
    phone.press("Tab")
    fill = clerk.locator("[data-action=fill-customer]")
    expect(fill).to_be_visible()
    fill.click()
    expect(clerk.locator("[name=customer_name]")).to_have_value("张伟")
    expect(clerk.locator("[data-fill-status]")).to_contain_text("已按")
    # The clerk is neither the office nor the handling department: no email or address.
    expect(clerk.locator("[name=customer_email]")).to_have_value("")
    expect(clerk.locator("[name=customer_address]")).to_have_value("")
    expect(phone).to_have_value("13812345678")
    assert clerk.evaluate("window.__noReload") is True

    clerk.locator("[name=channel]").select_option("walk-in")
    clerk.locator("[name=category]").select_option("service")
    description = clerk.locator("[name=description]")
    description.fill("门店排队时间较长，客户觉得不舒服。")
    expect(clerk.locator("#description-count")).to_have_text("17/10000")
    # Nothing cuts a long paste: the count turns red and the server will say so.
    location = clerk.locator("[name=location]")
    location.fill("长" * 201)
    expect(location).to_have_value("长" * 201)
    expect(clerk.locator("#location-count")).to_have_text("201/200")
    expect(clerk.locator("#location-count")).to_have_class(re.compile(r"\bover\b"))
    clerk.locator("[name=customer_address]").press("Tab")
    clerk.locator("input[name=criteria][value='M-1']").check()
    expect(clerk.get_by_test_id("grade-preview").locator("[data-grade]")).to_have_attribute(
        "data-grade", "M")
    clerk.locator("input[name=callback_requested]").check()  # always revisited: stays replied
    clerk.locator("[name=reply]").fill("已向客户致歉，并赠送优先服务券。")
    clerk.locator("button[data-action=log-and-resolve]").click()
    # Refused (422) with the message next to the field; nothing saved, nothing cut.
    expect(clerk.locator("#location-error")).to_contain_text("最多 200 个字符，现在有 201 个")
    expect(clerk.locator("[name=location]")).to_have_value("长" * 201)
    shot(clerk, "intake-fast-too-long-1366-zh")
    clerk.locator("[name=location]").fill("南京东路门店")
    clerk.locator("button[data-action=log-and-resolve]").click()

    expect(clerk).to_have_url(re.compile(r"/complaints/TS-\d{4}-\d{6}$"))
    number = clerk.url.rsplit("/", 1)[1]
    expect(clerk.locator(".flash-success")).to_contain_text(f"投诉 {number} 已登记并当场处理")
    expect(clerk.locator(".detail-head [data-status]")).to_have_attribute("data-status", "replied")
    history = clerk.locator("[data-history] li")
    expect(history).to_have_count(3)
    expect(history.nth(0)).to_have_attribute("data-event", "log")
    expect(history.nth(1)).to_have_attribute("data-event", "resolve-on-spot")
    expect(clerk.get_by_test_id("reply")).to_contain_text("优先服务券")
    shot(clerk, "intake-fast-resolved-1366-zh")

    # The next intake starts from the clerk's last channel and category.
    clerk.goto("/intake")
    expect(clerk.locator("[name=channel]")).to_have_value("walk-in")
    expect(clerk.locator("[name=category]")).to_have_value("service")


@pytest.mark.parametrize("locale,lang", [("zh-CN", "zh"), ("en-US", "en")])
def test_the_save_bar_stays_in_view(login, locale, lang):
    for width, viewport in (("390", PHONE), ("1366", DESKTOP)):
        page = login("clerk", locale=locale, viewport=viewport)
        page.goto("/intake")
        bar = page.get_by_test_id("save-bar")
        # The form is far longer than the window, and the buttons are in view at the top...
        assert page.evaluate("document.documentElement.scrollHeight") > viewport["height"] * 1.5
        expect(bar).to_be_in_viewport()
        expect(bar.locator("button[data-action=log]")).to_be_in_viewport()
        expect(bar.locator("button[data-action=log-and-resolve]")).to_be_in_viewport()
        window_shot(page, f"intake-fast-top-{width}-{lang}")
        # ...and half-way down, while typing the description.
        page.locator("[name=description]").fill("x" * 12)
        expect(page.locator("[name=description]")).to_be_in_viewport()
        expect(bar.locator("button[data-action=log]")).to_be_in_viewport(ratio=1)
        expect(page.locator("#description-count")).to_have_text("12/10000")
        page.locator("[name=customer_phone]").fill("13812345678")
        page.locator("[name=customer_phone]").press("Tab")
        expect(page.locator("[data-action=fill-customer]")).to_be_visible()
        window_shot(page, f"intake-fast-middle-{width}-{lang}")
        shot(page, f"intake-fast-full-{width}-{lang}")
        # The form and its bar fit the window's width (the shared header is another matter).
        for box in (page.locator("form.intake-form").bounding_box(), bar.bounding_box()):
            assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"]


def test_the_second_complaint_warning_follows_the_ticked_criteria(login):
    """The demo customer 杨磊 (18633334444) complained of a rice cooker (Class II): the same
    matter again is a second complaint, and ticking a Class II criterion after the customer
    was typed must say, before saving, that I-7 lifts it to Class I (and unticking undoes it)."""
    clerk = login("clerk", viewport=PHONE)
    clerk.goto("/intake")
    clerk.evaluate("window.__noReload = true")
    clerk.locator("[name=customer_name]").fill("杨磊")
    clerk.locator("[name=customer_phone]").fill("18633334444")
    clerk.locator("[name=category]").select_option("quality")
    product = clerk.locator("[name=product]")
    product.fill("电饭煲")
    product.press("Tab")
    warning = clerk.get_by_test_id("second-complaint-warning")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("类别和产品相同。")
    expect(warning.get_by_test_id("grade-will-rise")).to_have_count(0)
    clerk.locator("input[name=criteria][value='II-7']").check()
    expect(clerk.get_by_test_id("grade-preview").locator("[data-grade]")).to_have_attribute(
        "data-grade", "II")
    rise = warning.get_by_test_id("grade-will-rise")
    expect(rise).to_have_attribute("data-rule", "I-7")
    expect(rise).to_contain_text("按规则 I-7，其等级将升为一类投诉")
    # The grade preview next to the criteria says the same.
    expect(clerk.get_by_test_id("preview-rise").locator("[data-final-grade]")).to_have_attribute(
        "data-final-grade", "I")
    window_shot(clerk, "intake-second-warning-rises-390-zh")
    clerk.locator("input[name=criteria][value='II-7']").uncheck()
    expect(clerk.get_by_test_id("grade-will-rise")).to_have_count(0)
    expect(clerk.get_by_test_id("preview-rise")).to_have_count(0)
    expect(clerk.get_by_test_id("second-complaint-warning")).to_be_visible()
    # The fill-in button is still there (only the matched part was asked again).
    expect(clerk.locator("[data-action=fill-customer]")).to_be_visible()
    clerk.locator("input[name=criteria][value='II-7']").check()
    expect(clerk.get_by_test_id("grade-will-rise")).to_have_attribute("data-rule", "I-7")
    # A customer field changed after the tick: the preview follows it too (out of band).
    clerk.locator("[name=product]").fill("电风扇")
    clerk.locator("[name=product]").press("Tab")
    expect(clerk.get_by_test_id("second-complaint-warning")).to_have_count(0)
    expect(clerk.get_by_test_id("preview-rise")).to_have_count(0)
    product.fill("电饭煲")
    product.press("Tab")
    expect(clerk.get_by_test_id("preview-rise")).to_have_attribute("data-rule", "I-7")
    assert clerk.evaluate("window.__noReload") is True
    # Saving gives what the warning said.
    clerk.locator("[name=channel]").select_option("phone")
    clerk.locator("[name=description]").fill("电饭煲内胆涂层又脱落了。")
    clerk.locator("button[data-action=log]").click()
    expect(clerk).to_have_url(re.compile(r"/complaints/TS-\d{4}-\d{6}$"))
    expect(clerk.locator(".detail-head .grade")).to_have_attribute("class", re.compile(r"grade-I\b"))
