"""Issue 6 in the browser: the office reads /stats for the current quarter, the charts are
drawn by Chart.js from the JSON in the page, the breakdown switches to category, the XLSX
downloads and opens, the picker goes to a month; a department head sees only their own."""

import io
import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from e2e.conftest import shot

pytestmark = pytest.mark.e2e


def _today():
    return datetime.now(ZoneInfo("Asia/Shanghai")).date()


def _current_quarter() -> str:
    today = _today()
    return f"{today.year}-Q{(today.month - 1) // 3 + 1}"


def _charts_drawn(page: Page) -> None:
    expect(page.locator("body")).to_have_attribute("data-charts-ready", "3")
    assert page.evaluate("typeof window.Chart") == "function"
    for canvas in ("chart-trend", "chart-category", "chart-channel"):
        box = page.locator(f"#{canvas}").bounding_box()
        assert box and box["width"] > 100 and box["height"] > 100, (canvas, box)
        assert page.evaluate(f"!!Chart.getChart(document.getElementById('{canvas}'))")
    # The bars are the month's complaints as the table says (the demo's are this month).
    drawn = page.evaluate("Chart.getChart(document.getElementById('chart-trend'))"
                          ".data.datasets[0].data")
    assert sum(drawn) > 0


def test_the_office_reads_the_quarter_switches_to_categories_and_downloads_excel(login):
    office = login("office")
    office.goto("/")
    office.get_by_role("link", name=re.compile("Statistics|统计")).first.click()
    stats = office.get_by_test_id("stats")
    expect(stats).to_have_attribute("data-period", _current_quarter())
    expect(stats).to_have_attribute("data-by", "department")
    _charts_drawn(office)
    expect(office.get_by_test_id("kpi-received").locator("[data-value]")).not_to_have_text("0")
    expect(office.locator("[data-testid=breakdown] tfoot th")).to_be_visible()
    shot(office, "30-stats-zh")

    office.locator("nav.tabs a[data-by=category]").click()
    expect(stats).to_have_attribute("data-by", "category")
    expect(office.locator("[data-testid=breakdown] tbody tr[data-group=quality]")).to_be_visible()
    shown = office.locator("[data-testid=breakdown] tfoot td[data-kpi=received]").inner_text()

    with office.expect_download() as info:
        office.get_by_test_id("export-xlsx").click()
    download = info.value
    assert download.suggested_filename == f"stats-{_current_quarter()}-category.xlsx"
    sheet = load_workbook(io.BytesIO(Path(download.path()).read_bytes())).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0][0] == "投诉类别"  # the breakdown's header, in Chinese
    assert rows[-1][1] == int(shown)  # the total row: the same count as on screen
    assert sheet.cell(2, 3).number_format == "0.0%"

    # The picker: a month instead of the quarter; only the month's input is on show.
    office.locator("#pick-kind").select_option("month")
    expect(office.locator("#pick-quarter")).to_be_hidden()
    office.locator("#pick-month").fill(f"{_today():%Y-%m}")
    office.get_by_test_id("show-period").click()
    expect(office).to_have_url(re.compile(rf"/stats\?period={_today():%Y-%m}&by=category$"))
    _charts_drawn(office)


def test_english_and_the_printed_page(login):
    office = login("office", locale="en-US")
    office.goto("/stats")
    _charts_drawn(office)
    expect(office.locator("h1")).to_contain_text("Q")
    shot(office, "31-stats-en")
    # Printed on A4 landscape: no picker or buttons, the numbers of the trend opened.
    pdf = office.pdf(prefer_css_page_size=True, print_background=True)
    sizes = set(re.findall(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", pdf))
    assert {(round(float(w)), round(float(h))) for w, h in sizes} == {(842, 595)}, sizes
    assert 1 <= len(re.findall(rb"/Type /Page\b", pdf)) <= 3
    office.set_viewport_size({"width": 1047, "height": 740})  # 297 − 2 × 12 mm at 96 dpi
    office.emulate_media(media="print")
    office.evaluate("window.dispatchEvent(new Event('beforeprint'))")
    expect(office.get_by_test_id("period-picker")).to_be_hidden()
    expect(office.get_by_test_id("trend-table")).to_be_visible()
    shot(office, "32-stats-print-en")


def test_a_department_head_sees_only_their_department(login):
    head = login("qa.head")
    head.goto("/stats")
    expect(head.get_by_test_id("scope")).to_be_visible()
    groups = head.locator("[data-testid=breakdown] tbody tr").evaluate_all(
        "rows => rows.map(r => r.dataset.group)")
    assert groups == ["QA"]
