"""/stats (DOMAIN §6, issue 6): who may read it (a department head only their department),
the period and breakdown parameters and their errors, the key figures and their change
against the previous period, the JSON the charts draw, and the CSV and XLSX exports read
back. On SQLite and PostgreSQL, fixed clocks.

The data: in November 2026, three complaints — A (QA, phone) dispatched Tue 10 Nov 10:00 and
replied 14:00 the same day (received 08:00, so 5 working hours), its customer reached by the
revisit and satisfied (5); B (QA, online) and C (SVC, email) dispatched Wed 11 Nov, open and
not yet due. In October, one: D (QA, phone) dispatched Tue 13 Oct, its result (due 15 Oct)
still missing. The pages' clock is Thu 12 Nov 2026 12:00."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import timedelta
from html import unescape

import pytest
from openpyxl import load_workbook

import pages.stats.handlers as stats_handlers
from pages.stats import export, view
from portal import i18n
from portal.workflow import Action
from tests.deadline_support import act, dispatched, in_progress, local

T = local(2026, 11, 10, 10)  # Tuesday 10:00
NOW = local(2026, 11, 12, 12)  # Thursday noon
RESULT = {"cause": "来料不良", "solution": "换新"}


@pytest.fixture
def clock(monkeypatch):
    monkeypatch.setattr(stats_handlers, "utcnow", lambda: NOW)
    return NOW


@pytest.fixture
def english(client):
    client.http.headers["Accept-Language"] = "en"
    return client


async def _scenario(viewers) -> dict:
    a = await in_progress(viewers, T, "QA", channel="phone", callback_requested=True)
    n = a["number"]
    await act(viewers, n, Action.SUBMIT_RESULT, "qa.staff", T + timedelta(hours=1), **RESULT)
    await act(viewers, n, Action.SIGN_OFF, "qa.head", T + timedelta(hours=2))
    await act(viewers, n, Action.VERIFY, "office", T + timedelta(hours=3))
    a = await act(viewers, n, Action.REPLY, "office", T + timedelta(hours=4), reply="已处理")
    a = await act(viewers, n, Action.REVISIT_ATTEMPT, "office", T + timedelta(days=1),
                  outcome="reached", overall=5, speed=5, attitude=5, solved=True,
                  comments="")
    b = await in_progress(viewers, T + timedelta(days=1), "QA", channel="online")
    c = await dispatched(viewers, T + timedelta(days=1), "SVC", category="usage",
                         channel="email")
    d = await dispatched(viewers, local(2026, 10, 13, 10), "QA", channel="phone")
    return {"A": a, "B": b, "C": c, "D": d}


@pytest.fixture
def data(client, viewers, clock):
    rows = client.run(_scenario, viewers)
    assert rows["A"]["status"] == "closed" and rows["A"]["resolve_minutes"] == 300
    assert rows["A"]["revisit_state"] == "done"
    return rows


def page(client, query: str = "period=2026-11", status: int = 200) -> str:
    r = client.get(f"/stats?{query}" if query else "/stats")
    assert r.status_code == status, r.text[:2000]
    return r.text


def chart_json(html: str) -> dict:
    found = re.search(r'<div id="stats-data" hidden data-chart="([^"]*)"', html)
    return json.loads(unescape(found.group(1)))


def kpi(html: str, key: str) -> str:
    """The value shown on a key figure's card."""
    card = re.search(rf'data-testid="kpi-{key}".*?</li>', html, re.S).group(0)
    return unescape(re.search(r'class="kpi-value"[^>]*>([^<]*)<', card).group(1)).strip()


def change_of(html: str, key: str) -> tuple[str, str]:
    """A key figure's change and verdict ("+2", "worse")."""
    card = re.search(rf'data-testid="kpi-{key}".*?</li>', html, re.S).group(0)
    found = re.search(r'data-verdict="(\w+)">\s*(?:<span aria-hidden="true">.</span>)?\s*'
                      r'(\S+(?: \S+)?)', card)
    return found.group(2), found.group(1)


def table_rows(html: str) -> dict[str, dict[str, str]]:
    """The breakdown: group code ('total' for the total row) -> KPI -> text on screen."""
    table = re.search(r'data-testid="breakdown">(.*?)</table>', html, re.S).group(1)
    out = {}
    for group, body in re.findall(r'<tr data-group="([^"]*)">(.*?)</tr>', table, re.S):
        out[group] = {k: unescape(v).strip() for k, v in
                      re.findall(r'<td class="num[^"]*" data-kpi="(\w+)">([^<]*)</td>', body)}
    return out


def row_labels(html: str) -> list[str]:
    table = re.search(r'data-testid="breakdown">(.*?)</table>', html, re.S).group(1)
    return [unescape(x).strip() for x in re.findall(r'<th scope="row">([^<]*)</th>', table)]


# -- who may read it --------------------------------------------------------------------------

@pytest.mark.parametrize("username", ["office", "cshead", "qa.head"])
def test_the_office_the_cs_head_and_department_heads_may_read_it(client, viewers, clock,
                                                                  username):
    client.login(username)
    html = page(client, "")
    assert 'data-testid="stats"' in html
    assert 'href="/stats" aria-current="page"' in html


@pytest.mark.parametrize("username", ["qa.staff", "clerk", "admin"])
@pytest.mark.parametrize("url", ["/stats", "/stats/export.csv?period=2026-11",
                                 "/stats/export.xlsx?period=2026-11"])
def test_handlers_employees_and_the_administrator_may_not(client, viewers, clock, username,
                                                          url):
    client.login(username)
    assert client.get(url).status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(client, viewers):
    r = client.get("/stats")
    assert r.status_code == 303 and r.headers["location"].startswith("/login")


def test_the_office_sees_every_department(client, data):
    client.login("office")
    html = page(client)
    rows = table_rows(html)
    assert set(rows) == {"QA", "SVC", "total"}
    assert rows["QA"]["received"] == "2" and rows["SVC"]["received"] == "1"
    assert rows["total"]["received"] == "3"
    assert "data-testid=\"scope\"" not in html


def test_a_department_head_sees_only_their_own_department(client, data):
    client.login("qa.head")
    html = page(client)
    rows = table_rows(html)
    assert set(rows) == {"QA", "total"}
    assert rows["QA"]["received"] == rows["total"]["received"] == "2"
    assert kpi(html, "received") == "2"
    assert 'data-testid="scope"' in html
    # Whatever they ask for: there is no department parameter, and the shares are theirs.
    html = page(client, "period=2026-11&by=department&department=SVC")
    assert set(table_rows(html)) == {"QA", "total"}
    charts = chart_json(html)
    assert sum(charts["category"]["values"]) == 2
    assert sorted(charts["channel"]["values"]) == [1, 1]
    # The previous period is theirs too: D was QA's.
    assert change_of(html, "received") == ("+1", "worse")
    # The other department's head sees the SVC complaint only.
    client.login("svc.head")
    rows = table_rows(page(client))
    assert set(rows) == {"SVC", "total"} and rows["total"]["received"] == "1"


def test_a_department_head_s_exports_are_limited_too(client, data):
    client.login("qa.head")
    r = client.get("/stats/export.csv?period=2026-11&by=department")
    lines = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert [line[0] for line in lines[1:]] == ["质量部", str(i18n_in("zh_CN", "Total"))]
    assert lines[-1][1] == "2"
    r = client.get("/stats/export.xlsx?period=2026-11&by=channel")
    sheet = load_workbook(io.BytesIO(r.content)).active
    assert sheet.cell(sheet.max_row, 2).value == 2


def i18n_in(locale: str, message: str) -> str:
    with i18n.in_locale(locale):
        return i18n.gettext(message)


# -- the figures ------------------------------------------------------------------------------

def test_the_key_figures_and_their_change_against_the_previous_period(client, data, english):
    client.login("office")
    html = page(client)
    assert kpi(html, "received") == "3"
    assert kpi(html, "on_time_rate") == "100.0%"  # A: due 12 Nov 10:00, submitted on 10 Nov
    assert kpi(html, "resolution_rate") == "33.3%"
    assert kpi(html, "mean_hours") == kpi(html, "median_hours") == "5.0"
    assert kpi(html, "satisfaction_rate") == "100.0%"
    assert kpi(html, "mean_score") == "5.0"
    assert kpi(html, "revisit_rate") == "100.0%"
    assert kpi(html, "repeat_rate") == "0.0%"
    assert kpi(html, "appeals") == kpi(html, "extensions") == kpi(html, "overdue") == "0"
    # October: D only, its result missing past the deadline.
    assert change_of(html, "received") == ("+2", "worse")
    assert change_of(html, "on_time_rate") == ("+100.0 pp", "better")
    assert change_of(html, "resolution_rate") == ("+33.3 pp", "better")
    assert change_of(html, "overdue") == ("\u22121", "better")
    assert change_of(html, "repeat_rate") == ("±0.0 pp", "same")
    # Nothing to compare with: no survey answer and nothing resolved in October.
    for key in ("satisfaction_rate", "mean_score", "mean_hours"):
        card = re.search(rf'data-testid="kpi-{key}".*?</li>', html, re.S).group(0)
        assert "change-none" in card
    assert 'data-testid="revisit-met"' in html  # 100 % against the 80 % of Class II
    compared = re.search(r'data-testid="compared-with">([^<]*)<', html).group(1)
    assert "2026-10-01 – 2026-10-31" in unescape(compared)


def test_the_breakdown_table_has_every_kpi_per_group_and_the_total(client, data):
    client.login("office")
    rows = table_rows(page(client))
    assert rows["QA"] == {
        "received": "2", "on_time_rate": "100.0%", "resolution_rate": "50.0%",
        "mean_hours": "5.0", "median_hours": "5.0", "satisfaction_rate": "100.0%",
        "mean_score": "5.0", "revisit_rate": "100.0%", "revisit_target": "80.0%",
        "repeat_rate": "0.0%", "appeals": "0", "extensions": "0", "urges": "0", "overdue": "0"}
    assert rows["SVC"]["on_time_rate"] == "—"  # nothing due yet
    assert rows["SVC"]["resolution_rate"] == "0.0%"
    assert rows["SVC"]["mean_hours"] == rows["SVC"]["satisfaction_rate"] == "—"
    assert rows["total"]["resolution_rate"] == "33.3%"


def test_the_previous_month_counts_the_missing_result_as_overdue(client, data):
    client.login("office")
    html = page(client, "period=2026-10")
    rows = table_rows(html)
    assert rows["total"]["received"] == "1" and rows["total"]["overdue"] == "1"
    assert rows["total"]["on_time_rate"] == "0.0%"


@pytest.mark.parametrize(("by", "groups"), [
    ("department", {"QA", "SVC"}),
    ("category", {"quality", "usage"}),
    ("grade", {"II"}),
    ("channel", {"phone", "online", "email"}),
])
def test_each_breakdown(client, data, by, groups):
    client.login("office")
    html = page(client, f"period=2026-11&by={by}")
    rows = table_rows(html)
    assert set(rows) == groups | {"total"}
    assert sum(int(r["received"]) for g, r in rows.items() if g != "total") == 3
    assert f'data-by="{by}" aria-current="page"' in html


def test_group_labels_are_translated_and_ordered(client, data, english):
    client.login("office")
    assert row_labels(page(client, "period=2026-11&by=department")) == [
        "Quality", "Customer service", "Total"]
    assert row_labels(page(client, "period=2026-11&by=channel")) == [
        "Phone hotline", "Online (web, WeChat, Weibo)", "Email", "Total"]
    assert row_labels(page(client, "period=2026-11&by=category")) == [
        "Product quality", "Product usage", "Total"]


def test_an_undispatched_complaint_has_its_own_row(client, viewers, clock):
    from tests.deadline_support import logged

    client.run(logged, viewers, T)
    client.login("office")
    client.http.headers["Accept-Language"] = "en"
    html = page(client)
    assert set(table_rows(html)) == {"", "total"}
    assert row_labels(html)[0] == "Not dispatched yet"


def test_an_unknown_breakdown_falls_back_to_departments(client, data):
    client.login("office")
    html = page(client, "period=2026-11&by=password")
    assert set(table_rows(html)) == {"QA", "SVC", "total"}


def test_an_empty_period_says_so(client, data):
    client.login("office")
    html = page(client, "period=2025-Q1")
    assert 'data-testid="empty"' in html
    assert 'data-testid="breakdown"' not in html
    assert chart_json(html)["trend"]["received"] == [0, 0, 0]


# -- periods ----------------------------------------------------------------------------------

def test_the_default_is_the_current_quarter(client, data):
    client.login("office")
    html = page(client, "")
    assert 'data-period="2026-Q4"' in html and 'data-by="department"' in html
    assert table_rows(html)["total"]["received"] == "4"  # October and November
    # The picker shows it; the neighbours are a link away (no next quarter yet).
    assert '<option selected value="2026-Q4">' in html
    assert 'href="/stats?period=2026-Q3&amp;by=department" rel="prev"' in html
    assert 'rel="next"' not in html


@pytest.mark.parametrize(("key", "received"), [
    ("2026-11", "3"), ("2026-10", "1"), ("2026-Q4", "4"), ("2026-q4", "4"), ("2026", "4"),
    ("2026-11-10..2026-11-10", "1"), ("2026-10-01..2026-11-30", "4"),
])
def test_period_keys(client, data, key, received):
    client.login("office")
    html = page(client, f"period={key}")
    assert table_rows(html)["total"]["received"] == received


@pytest.mark.parametrize(("key", "message"), [
    ("bogus", "is not a period"),
    ("2026-13", "is not a period"),
    ("2026-11-31..2026-12-01", "is not a period"),
    ("2026-11-20..2026-11-01", "ends before it starts"),
    ("2020-01-01..2026-01-01", "at most three years"),
    ("1999", "between 2000 and 2100"),
    ("9999-Q4", "is not a period"),
])
def test_a_bad_period_shows_the_default_with_a_message(client, data, english, key, message):
    client.login("office")
    html = page(client, f"period={key}", status=422)
    error = unescape(re.search(r'data-testid="period-error">([^<]*)<', html).group(1))
    assert message in error and "Q4 2026" in error
    assert 'data-period="2026-Q4"' in html
    # The exports answer the same way.
    assert client.get(f"/stats/export.csv?period={key}").status_code == 422


@pytest.mark.parametrize(("query", "key"), [
    ("kind=month&month=2026-11", "2026-11"),
    ("kind=quarter&quarter=2026-Q3", "2026-Q3"),
    ("kind=year&year=2025", "2025"),
    ("kind=custom&from=2026-11-01&to=2026-11-15", "2026-11-01..2026-11-15"),
    # The fields of the other kinds are ignored.
    ("kind=month&month=2026-10&year=1&from=x", "2026-10"),
])
def test_the_picker_redirects_to_the_period_s_url(client, data, query, key):
    client.login("office")
    r = client.get(f"/stats?{query}&by=channel")
    assert r.status_code == 303
    assert r.headers["location"] == f"/stats?period={key.replace('..', '..')}&by=channel"
    assert client.get(r.headers["location"]).status_code == 200


@pytest.mark.parametrize(("query", "field", "message"), [
    ("kind=month", "pick-month", "Pick a month."),
    ("kind=month&month=2026-xx", "pick-month", "Not a valid"),
    ("kind=quarter&quarter=2026-Q5", "pick-quarter", "Pick a quarter."),
    ("kind=year&year=1850", "pick-year", "2000"),
    ("kind=custom&from=2026-11-15", "pick-to", "Enter the last day"),
    ("kind=custom&from=2026-11-15&to=2026-11-01", "pick-to", "ends before it starts"),
    ("kind=custom&from=2020-01-01&to=2026-11-01", "pick-to", "at most three years"),
    ("kind=custom&from=nonsense&to=2026-11-01", "pick-from", "Not a valid"),
    ("kind=weekly", "pick-kind", "Not a valid choice"),
])
def test_the_picker_explains_what_is_wrong(client, data, english, query, field, message):
    client.login("office")
    html = page(client, query, status=422)
    assert message in unescape(re.search(r'data-testid="period-error">([^<]*)<', html).group(1))
    assert message in unescape(re.search(rf'id="{field}-error">([^<]*)<', html).group(1))
    assert 'data-period="2026-Q4"' in html


# -- the charts -------------------------------------------------------------------------------

def test_the_charts_are_fed_from_the_json_in_the_page(client, data, english):
    client.login("office")
    charts = chart_json(page(client, "period=2026-Q4&by=grade"))
    # The trend stops at the current month: December has no data yet.
    assert charts["trend"]["labels"] == ["2026-10", "2026-11"]
    assert charts["trend"]["received"] == [1, 3]
    assert charts["trend"]["on_time_rate"] == [0.0, 100.0]
    assert charts["trend"]["series"] == {"received": "Complaints",
                                         "on_time_rate": "On-time rate"}
    assert dict(zip(charts["category"]["labels"], charts["category"]["values"],
                    strict=True)) == {"Product quality": 3, "Product usage": 1}
    assert charts["channel"]["labels"][0] == "Phone hotline"  # largest first
    assert dict(zip(charts["channel"]["labels"], charts["channel"]["values"],
                    strict=True)) == {"Phone hotline": 2, "Online (web, WeChat, Weibo)": 1,
                                      "Email": 1}
    assert len(charts["channel"]["colors"]) == 3


def test_every_chart_has_its_table(client, data):
    client.login("office")
    html = page(client, "period=2026-Q4")
    trend = re.search(r'data-testid="trend-table">(.*?)</table>', html, re.S).group(1)
    assert re.search(r'data-month="2026-11">.*?<td class="num">3</td>\s*'
                     r'<td class="num">100.0%</td>', trend, re.S)
    share = re.search(r'data-testid="category-share">(.*?)</table>', html, re.S).group(1)
    assert re.search(r'data-code="quality">.*?<td class="num">3</td><td class="num">75.0%</td>',
                     share, re.S)
    for canvas in ("chart-trend", "chart-category", "chart-channel"):
        assert f'<canvas id="{canvas}" role="img"' in html
    assert re.search(r'src="/static/vendor/chart-[\d.]+\.umd\.min\.js"', html)
    assert "/static/js/stats.js" in html


def test_chart_labels_cannot_break_out_of_the_json(client, viewers, clock, monkeypatch):
    """A department named with HTML is escaped inside the embedded JSON."""
    monkeypatch.setattr(view, "PALETTE", ("</script><b>x</b>",))
    client.run(dispatched, viewers, T, "QA")
    client.login("office")
    html = page(client)
    assert "</script><b>" not in html
    assert chart_json(html)["category"]["colors"] == ["</script><b>x</b>"]


# -- exports ----------------------------------------------------------------------------------

def test_the_csv_export(client, data):
    client.login("office")
    r = client.get("/stats/export.csv?period=2026-11&by=department")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    assert r.headers["content-disposition"] == \
        'attachment; filename="stats-2026-11-department.csv"'
    assert r.content.startswith(b"\xef\xbb\xbf")
    lines = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    with i18n.in_locale("zh_CN"):
        assert lines[0] == export.headers("department")
    assert lines[0][0] == "部门" and len(lines[0]) == 1 + len(view.KPIS)
    assert [line[0] for line in lines[1:]] == ["质量部", "客服部", i18n_in("zh_CN", "Total")]
    qa = dict(zip([k.key for k in view.KPIS], lines[1][1:], strict=True))
    assert qa == {"received": "2", "on_time_rate": "100.0%", "resolution_rate": "50.0%",
                  "mean_hours": "5.0", "median_hours": "5.0", "satisfaction_rate": "100.0%",
                  "mean_score": "5.0", "revisit_rate": "100.0%", "revisit_target": "80.0%",
                  "repeat_rate": "0.0%", "appeals": "0", "extensions": "0", "urges": "0", "overdue": "0"}
    svc = dict(zip([k.key for k in view.KPIS], lines[2][1:], strict=True))
    assert svc["on_time_rate"] == "" and svc["received"] == "1"  # no data: an empty cell
    assert lines[3][1:4] == ["3", "100.0%", "33.3%"]


def test_the_csv_headers_follow_the_language(client, data, english):
    client.login("office")
    r = client.get("/stats/export.csv?period=2026-Q4&by=channel")
    assert r.headers["content-disposition"] == 'attachment; filename="stats-2026-Q4-channel.csv"'
    lines = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert lines[0][:3] == ["Channel", "Complaints", "On-time rate"]
    assert lines[1][0] == "Phone hotline" and lines[-1][0] == "Total"


def test_the_xlsx_export(client, data):
    client.login("office")
    r = client.get("/stats/export.xlsx?period=2026-11-01..2026-11-30&by=department")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    assert r.headers["content-disposition"] == \
        'attachment; filename="stats-2026-11-01_2026-11-30-department.xlsx"'
    book = load_workbook(io.BytesIO(r.content))
    sheet = book.active
    assert sheet.title == "2026-11-01..2026-11-30"
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    with i18n.in_locale("zh_CN"):
        assert values[0] == export.headers("department")
    assert values[0][0] == "部门"
    assert [v[0] for v in values[1:]] == ["质量部", "客服部", i18n_in("zh_CN", "Total")]
    keys = [k.key for k in view.KPIS]
    qa = dict(zip(keys, values[1][1:], strict=True))
    assert qa["received"] == 2 and isinstance(qa["received"], int)
    assert qa["on_time_rate"] == 1.0 and qa["resolution_rate"] == 0.5
    assert qa["mean_hours"] == qa["median_hours"] == 5.0
    assert qa["revisit_target"] == pytest.approx(0.8)
    total = dict(zip(keys, values[3][1:], strict=True))
    assert total["received"] == 3
    assert total["resolution_rate"] == pytest.approx(1 / 3)
    assert dict(zip(keys, values[2][1:], strict=True))["on_time_rate"] is None
    formats = {k.key: sheet.cell(2, i + 2).number_format for i, k in enumerate(view.KPIS)}
    assert formats["received"] == "0" and formats["overdue"] == "0"
    assert formats["on_time_rate"] == formats["repeat_rate"] == "0.0%"
    assert formats["mean_hours"] == formats["median_hours"] == formats["mean_score"] == "0.0"
    assert sheet.cell(4, 1).font.b  # the total row is bold


def test_the_page_links_to_its_exports(client, data):
    client.login("office")
    html = page(client, "period=2026-11&by=grade")
    assert 'href="/stats/export.csv?period=2026-11&amp;by=grade"' in html
    assert 'href="/stats/export.xlsx?period=2026-11&amp;by=grade"' in html
    assert 'data-print' in html


def test_a_group_name_is_never_a_formula_in_the_exports(client, viewers, clock):
    from db.tables import Department

    async def rename():
        await Department.update({Department.name_zh: "=1+1"}).where(Department.code == "QA")

    async def restore():
        await Department.update({Department.name_zh: "质量部"}).where(Department.code == "QA")

    client.run(dispatched, viewers, T, "QA")
    client.run(rename)
    try:
        client.login("office")
        lines = list(csv.reader(io.StringIO(
            client.get("/stats/export.csv?period=2026-11").content.decode("utf-8-sig"))))
        assert lines[1][0] == "'=1+1"
        sheet = load_workbook(io.BytesIO(client.get("/stats/export.xlsx?period=2026-11").content)
                              ).active
        assert (sheet.cell(2, 1).value, sheet.cell(2, 1).data_type) == ("=1+1", "s")
    finally:
        client.run(restore)
