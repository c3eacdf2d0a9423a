"""/admin/calendar in the reader's language, and the banner warning of a year nobody has filled
in: shown to the office and the administrator, dismissed by each user for that year (with and
without HTMX), back for a later year.

The banner tests pin the clock to 15 November 2099: the chinesecalendar package knows neither
2099 nor 2100, so 2099 is the first year without a calendar, and 2100 starts within 60 days."""

from __future__ import annotations

import re
from datetime import datetime

import pytest

import portal.timeutil
from db.calendar import confirm_year, set_day
from db.tables import User
from portal.workcalendar import DayKind
from tests.deadline_support import local

NOW = local(2099, 11, 15, 10)


class PinnedClock(datetime):
    """datetime.now() for every caller of portal.timeutil.utcnow: sessions, pages, banner."""

    @classmethod
    def now(cls, tz=None):
        return NOW.astimezone(tz)


@pytest.fixture
def clock(monkeypatch):
    monkeypatch.setattr(portal.timeutil, "datetime", PinnedClock)


@pytest.fixture
def dismissals(client):
    """The demo users are shared by the whole run: forget their dismissals afterwards (on the
    app's loop: PostgreSQL's pool lives there)."""
    yield
    client.run(lambda: User.update({User.calendar_banner_dismissed: None}, force=True))


def banner_year(html: str) -> int | None:
    marker = 'data-testid="calendar-warning" data-year="'
    if marker not in html:
        return None
    return int(html.split(marker, 1)[1].split('"', 1)[0])


def dismissed(client, username: str) -> int | None:
    row = client.run(lambda: User.select(User.calendar_banner_dismissed).where(
        User.username == username).first())
    return row["calendar_banner_dismissed"]


def dismiss(client, year, htmx: bool = False, next_page: str = "/triage", csrf: bool = True):
    return client.post_form("/calendar-banner/dismiss", {"year": str(year), "next": next_page},
                            htmx=htmx, csrf=csrf)


# -- the banner -------------------------------------------------------------------------------

@pytest.mark.parametrize("username,shown", [("office", True), ("cshead", True), ("admin", True),
                                            ("clerk", False), ("qa.head", False)])
def test_the_banner_warns_the_office_and_the_administrator(client, clock, dismissals, username,
                                                           shown):
    client.login(username)
    html = client.get("/account").text
    assert banner_year(html) == (2099 if shown else None)
    assert ('data-action="dismiss-calendar-banner"' in html) == shown


def test_dismissing_without_htmx_returns_to_the_page_without_the_banner(client, clock,
                                                                        dismissals):
    client.login("office")
    r = dismiss(client, 2099, next_page="/inbox?status=all")
    assert r.status_code == 303 and r.headers["location"] == "/inbox?status=all"
    assert banner_year(client.get("/inbox?status=all").text) is None
    assert banner_year(client.get("/triage").text) is None
    assert dismissed(client, "office") == 2099


def test_dismissing_with_htmx_swaps_the_banner_for_nothing(client, clock, dismissals):
    client.login("admin")
    r = dismiss(client, 2099, htmx=True)
    assert r.status_code == 200 and r.text == ""
    assert banner_year(client.get("/admin/calendar").text) is None
    assert dismissed(client, "admin") == 2099


def test_the_banner_form_posts_the_year_shown_and_swaps_the_banner(client, clock, dismissals):
    client.login("office")
    html = client.get("/triage").text
    form = html.split('class="banner-dismiss"', 1)[1].split("</form>", 1)[0]
    assert 'hx-post="/calendar-banner/dismiss"' in form and 'hx-target="closest .banner"' in form
    assert 'name="year" value="2099"' in form and 'name="_csrf_token"' in form
    assert 'name="next" value="/triage"' in form


def test_each_user_dismisses_it_for_themselves(client, clock, dismissals):
    client.login("office")
    dismiss(client, 2099)
    client.login("cshead")
    assert banner_year(client.get("/triage").text) == 2099
    client.login("admin")
    assert banner_year(client.get("/admin/calendar").text) == 2099


def test_a_later_year_without_a_calendar_brings_the_banner_back(client, clock, dismissals,
                                                                viewers):
    client.login("office")
    dismiss(client, 2099)
    client.run(confirm_year, 2099, viewers["admin"].id, NOW)
    assert banner_year(client.get("/triage").text) == 2100
    dismiss(client, 2100)
    assert banner_year(client.get("/triage").text) is None


def test_filling_in_the_year_ends_the_banner_for_everyone(client, clock, dismissals, viewers):
    client.run(confirm_year, 2099, viewers["admin"].id, NOW)
    client.run(confirm_year, 2100, viewers["admin"].id, NOW)
    client.login("office")
    assert banner_year(client.get("/triage").text) is None


def test_dismissing_needs_the_csrf_token(client, clock, dismissals):
    client.login("office")
    r = dismiss(client, 2099, csrf=False)
    assert r.status_code == 403
    assert dismissed(client, "office") is None
    assert banner_year(client.get("/triage").text) == 2099


@pytest.mark.parametrize("year", ["", "next year", "1999", "2101"])
def test_a_year_that_is_not_one_changes_nothing(client, clock, dismissals, year):
    client.login("office")
    r = dismiss(client, year)
    assert r.status_code == 422
    assert dismissed(client, "office") is None


def test_it_goes_back_only_to_a_page_of_this_site(client, clock, dismissals):
    client.login("office")
    r = dismiss(client, 2099, next_page="//evil.example/")
    assert r.status_code == 303 and r.headers["location"] == "/"


def test_signed_out_nobody_can_dismiss(client, clock, dismissals):
    r = dismiss(client, 2099)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")


# -- the calendar page in the reader's language ------------------------------------------------

def bare_cells(html: str) -> str:
    """The page with its table cells' attributes (layout classes, card labels) left out."""
    return re.sub(r"<td\b[^>]*>", "<td>", html)


def test_official_holidays_and_weekdays_read_in_chinese(client, viewers):
    client.login("admin")
    html = bare_cells(client.get("/admin/calendar", params={"year": 2026}).text)
    for name in ("元旦", "春节", "清明节", "劳动节", "端午节", "中秋节", "国庆节"):
        assert f"<td>{name}</td>" in html
    assert "Spring Festival" not in html and "National Day" not in html
    assert "2026-01-01 <span class=\"hint\">周四</span>" in html
    assert ">Thu<" not in html


def test_official_holidays_and_weekdays_read_in_english(client, viewers):
    client.login("admin")
    client.cookies.set("portal_lang", "en")
    html = bare_cells(client.get("/admin/calendar", params={"year": 2026}).text)
    for name in ("New Year&#39;s Day", "Spring Festival", "Tomb-sweeping Day", "Labour Day",
                 "Dragon Boat Festival", "Mid-autumn Festival", "National Day"):
        assert f"<td>{name}</td>" in html
    assert "春节" not in html and "调休" not in html
    assert "2026-01-01 <span class=\"hint\">Thu</span>" in html


def test_a_company_date_keeps_the_name_the_administrator_gave_it(client, viewers):
    client.run(set_day, local(2026, 12, 31).date(), DayKind.HOLIDAY, "公司年会",
               viewers["admin"].id, NOW)
    client.login("admin")
    client.cookies.set("portal_lang", "en")
    html = bare_cells(client.get("/admin/calendar", params={"year": 2026}).text)
    assert "<td>公司年会</td>" in html and "2026-12-31 <span class=\"hint\">Thu</span>" in html
