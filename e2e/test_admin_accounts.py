"""Issue 11 in the browser: the administrator creates a department and a handler in it
without a password; the handler follows the emailed set-password link (a real SMTP server),
chooses a password and signs in to the new department's inbox."""

import re

import pytest
from playwright.sync_api import expect

from e2e.conftest import shot

pytestmark = pytest.mark.e2e

NEW_PASSWORD = "Plum-blossom-2026"  # noqa: S105


def test_the_admin_adds_a_department_and_a_handler_who_sets_a_password(login, browser,
                                                                       mailbox):
    admin = login("admin")
    admin.get_by_role("link", name="管理", exact=True).click()
    expect(admin).to_have_url(re.compile("/admin$"))
    shot(admin, "30-admin-index-zh")
    admin.get_by_test_id("admin-index").get_by_role("link", name="部门", exact=True).click()

    # --- a department ------------------------------------------------------------------
    admin.locator("#code").fill("HR")
    admin.locator("#name").fill("人事部")
    admin.locator("#name_en").fill("Human resources")
    admin.locator("[data-action=create-department]").click()
    expect(admin.locator("tr[data-code=HR]")).to_be_visible()
    shot(admin, "31-admin-departments-zh")

    # --- a handler in it, with no password --------------------------------------------
    admin.goto("/admin/users")
    admin.locator("[data-action=new-user]").click()
    admin.get_by_label("用户名").fill("hr.staff")
    admin.get_by_label("姓名").fill("钱多多（人事部）")
    admin.get_by_label("邮箱").fill("hr.staff@example.com")
    admin.get_by_label("角色").select_option("handler")
    admin.get_by_label("部门").select_option("HR")
    admin.locator("[data-action=create-user]").click()
    expect(admin).to_have_url(re.compile("/admin/users/hr.staff$"))
    expect(admin.locator(".flash").first).to_contain_text(
        "hr.staff@example.com")
    expect(admin.get_by_test_id("user-events").locator("tr[data-kind=user-create]")
           ).to_be_visible()
    shot(admin, "32-admin-user-zh")

    # --- the handler opens the link from the email, on their own browser ---------------
    # The demo's own notices are still queued ahead of it: allow the sender a few rounds.
    message = mailbox.wait_for("hr.staff@example.com", "设置您的密码", timeout=180)
    link = re.search(r"https?://\S+/set-password/\S+", message.get_content()).group(0)
    context = browser.new_context(locale="zh-CN")
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto(link)
    expect(page.get_by_test_id("username")).to_have_text("hr.staff")
    page.get_by_label("新密码", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("再次输入新密码").fill(NEW_PASSWORD)
    shot(page, "33-set-password-zh")
    page.locator("[data-action=set-password]").click()
    expect(page).to_have_url(re.compile("/login"))
    page.locator("[name=username]").fill("hr.staff")
    page.locator("[name=password]").fill(NEW_PASSWORD)
    page.locator("form[action='/login'] button[type=submit]").click()
    expect(page).to_have_url(re.compile("/inbox"))
    expect(page.locator(".who")).to_contain_text("钱多多（人事部）")

    # The link worked once.
    page.goto(link)
    expect(page.get_by_test_id("link-closed")).to_have_attribute("data-reason", "used")
    context.close()
