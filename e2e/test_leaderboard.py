"""Issue 6 in the browser: the customer-service head opens the quarterly assessment, expands a
department's breakdown in place (htmx, no reload), and names the service star of the quarter
with a citation; the award shows on the leaderboard and in the history of stars."""

import pytest
from playwright.sync_api import expect

from e2e.conftest import shot

pytestmark = pytest.mark.e2e

CITATION = "本季度处理投诉最多，回访满意度高，无超期。"


def test_the_cs_head_expands_a_breakdown_and_names_the_star(login):
    page = login("cshead")
    page.goto("/leaderboard")
    board = page.locator("#leaderboard")
    expect(page.get_by_test_id("quarter-state")).to_have_attribute("data-state", "open")
    departments = page.get_by_test_id("departments")
    expect(departments.locator("tr[data-department]")).not_to_have_count(0)
    shot(page, "40-leaderboard-zh")

    # --- a department's breakdown, expanded in place -----------------------------------------
    page.evaluate("window.__noReload = true")
    graded = departments.locator("tr[data-department]:not([data-grade=''])").first
    code = graded.get_attribute("data-department")
    graded.locator("button[data-action=breakdown]").click()
    breakdown = page.locator(f"#breakdown-{code} [data-testid=breakdown]")
    expect(breakdown).to_be_visible()
    expect(breakdown.locator("[data-testid=components] tr[data-part]")).to_have_count(4)
    expect(breakdown.locator("section[data-part]")).to_have_count(4)
    assert page.evaluate("window.__noReload") is True, "expanding reloaded the page"
    shot(page, "41-leaderboard-breakdown-zh")
    breakdown.locator("button.small").click()  # hide it again
    expect(breakdown).to_have_count(0)

    # --- the service star: a ranked employee if anyone qualifies, else any handler ------------
    ranking = page.get_by_test_id("ranking")
    form = page.get_by_test_id("star-form")
    expect(form).to_be_visible()
    if ranking.count():
        user = ranking.locator("tr[data-rank]").first.get_attribute("data-user")
    else:
        expect(page.get_by_test_id("nobody-ranked")).to_be_visible()
        user = form.locator("select[name=user] option:not([value=''])").first.get_attribute("value")
    form.locator("select[name=user]").select_option(user)
    form.locator("textarea[name=citation]").fill(CITATION)
    form.locator("button[data-action=name-star]").click()
    star = page.get_by_test_id("star")
    expect(star).to_have_attribute("data-user", user)
    expect(star.get_by_test_id("citation")).to_have_text(CITATION)
    expect(board.locator(".flash-success")).to_be_visible()
    assert page.evaluate("window.__noReload") is True, "naming the star reloaded the page"
    history = page.get_by_test_id("star-history")
    expect(history.locator(f"tr[data-user='{user}'][data-current=true]")).to_have_count(1)
    shot(page, "42-leaderboard-star-zh")

    # --- the same page in English, for the record ---------------------------------------------
    english = login("cshead", locale="en")
    english.goto("/leaderboard")
    expect(english.get_by_test_id("star")).to_have_attribute("data-user", user)
    shot(english, "43-leaderboard-en")
