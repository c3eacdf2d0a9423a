"""/inbox/export.csv and /inbox/export.xlsx: the inbox's filters, every matching row, masked
contacts, formulas neutralised, read back."""

import csv
import html
import io
import re
from datetime import timedelta

import openpyxl
import pytest

from pages.inbox import export
from portal.timeutil import utcnow
from tests.factories import make_complaint


def csv_rows(body: bytes) -> list[list[str]]:
    assert body.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_csv_has_every_matching_row_not_only_the_page(client, viewers, monkeypatch):
    monkeypatch.setattr(export, "BATCH", 7)
    made = [client.run(make_complaint, viewers, status="dispatched")["number"] for _ in range(30)]
    client.run(make_complaint, viewers, status="dispatched", department="SVC")
    client.login("qa.staff")
    r = client.get("/inbox/export.csv?sort=new")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    rows = csv_rows(r.content)
    assert [row[0] for row in rows[1:]] == made[::-1]


def test_csv_follows_the_filters_and_masks_contacts(client, viewers):
    target = client.run(make_complaint, viewers, status="replied", customer_name="欧阳娜娜",
                        customer_phone="13511112222", description="冰箱压缩机噪音")
    client.run(make_complaint, viewers, status="dispatched", description="快递破损")
    client.login("office")
    rows = csv_rows(client.get("/inbox/export.csv?q=压缩机&status=all").content)
    assert len(rows) == 2 and rows[1][0] == target["number"]
    assert "135****2222" in rows[1] and "13511112222" not in ",".join(rows[1])
    assert "z***@example.com" in rows[1] and "欧阳娜娜" in rows[1]
    assert [r[0] for r in csv_rows(client.get("/inbox/export.csv?status=replied").content)[1:]] \
        == [target["number"]]


def test_csv_neutralises_formulas(client, viewers):
    client.run(make_complaint, viewers, status="dispatched", customer_name="=HYPERLINK(1)",
               description="+SUM(A1)")
    client.login("qa.staff")
    rows = csv_rows(client.get("/inbox/export.csv").content)
    assert "'=HYPERLINK(1)" in rows[1] and "'+SUM(A1)" in rows[1]


def test_xlsx_reads_back_with_the_same_rows_as_text(client, viewers):
    made = [client.run(make_complaint, viewers, status="dispatched")["number"] for _ in range(3)]
    client.run(make_complaint, viewers, status="dispatched", customer_name="=1+1")
    client.run(make_complaint, viewers, status="dispatched", department="SVC")
    client.login("qa.staff")
    r = client.get("/inbox/export.xlsx?sort=new", headers={"Accept-Language": "en"})
    assert r.status_code == 200 and "spreadsheetml" in r.headers["content-type"]
    sheet = openpyxl.load_workbook(io.BytesIO(r.content)).active
    values = list(sheet.values)
    assert values[0][0] == "Number"
    numbers = [v[0] for v in values[1:]]
    assert numbers[1:] == made[::-1] and len(numbers) == 4
    assert "=1+1" in values[1] and sheet.cell(2, 9).data_type == "s"
    assert "138****5678" in values[2] and "13812345678" not in str(values)


def test_export_is_for_inbox_users_only(client, viewers):
    client.login("clerk")
    assert client.get("/inbox/export.csv").status_code == 403
    assert client.get("/inbox/export.xlsx").status_code == 403


def test_the_inbox_links_carry_the_filters(client, viewers):
    client.run(make_complaint, viewers, status="dispatched", criteria=["M-1"])
    client.login("qa.staff")
    page = client.get("/inbox?grade=M").text
    assert 'href="/inbox/export.csv?status=open&amp;grade=M"' in page
    assert 'href="/inbox/export.xlsx?status=open&amp;grade=M"' in page


# -- the list's order and its assignee column --------------------------------------------------

def listed(client, query: str) -> list[str]:
    """Every number the inbox lists for this query, page after page, in its order."""
    numbers, url = [], f"/inbox?{query}"
    while url:
        page = client.get(url).text
        numbers += re.findall(r'<tr data-number="([^"]+)"', page)
        more = re.search(r'<a href="\?([^"]*)" rel="next"', page)
        url = f"/inbox?{html.unescape(more.group(1))}" if more else None
    return numbers


def mixed_complaints(client, viewers, count: int = 30) -> None:
    """Running deadlines of every length (grades, urgency, ages) and finished ones without."""
    statuses = ["dispatched", "acknowledged", "in_progress", "replied", "result_submitted"]
    grades = [["II-5"], ["I-2"], ["M-1"]]
    for i in range(count):
        now = utcnow() - timedelta(hours=7 * i % 50, minutes=i)
        client.run(make_complaint, viewers, status=statuses[i % 5], criteria=grades[i % 3],
                   urgent=i % 4 == 0, now=now, received_at=now - timedelta(minutes=30),
                   customer_phone=f"1390000{i:04d}", customer_email="")


@pytest.mark.parametrize("sort", ["", "due", "new"])
@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_the_export_keeps_the_lists_order(client, viewers, monkeypatch, sort, kind):
    monkeypatch.setattr(export, "BATCH", 7)  # several batches, as several pages of the list
    mixed_complaints(client, viewers)
    client.login("office")
    query = "status=all" + (f"&sort={sort}" if sort else "")
    expected = listed(client, query)
    assert len(expected) == 30
    if sort != "new":  # the default is the nearest deadline first, not the newest
        assert expected != listed(client, "status=all&sort=new")
    r = client.get(f"/inbox/export.{kind}?{query}")
    assert r.status_code == 200
    if kind == "csv":
        numbers = [row[0] for row in csv_rows(r.content)[1:]]
    else:
        sheet = openpyxl.load_workbook(io.BytesIO(r.content)).active
        numbers = [v[0] for v in list(sheet.values)[1:]]
    assert numbers == expected


def test_the_export_links_carry_the_order(client, viewers):
    client.run(make_complaint, viewers, status="dispatched")
    client.login("qa.staff")
    page = client.get("/inbox?sort=new").text
    assert re.search(r'href="/inbox/export\.csv\?[^"]*sort=new', page)
    assert re.search(r'href="/inbox/export\.xlsx\?[^"]*sort=new', page)


def test_the_export_has_the_assignee_column(client, viewers):
    given = client.run(make_complaint, viewers, status="dispatched", customer_phone="13900000001",
                       customer_email="zhao@example.com")
    other = client.run(make_complaint, viewers, status="dispatched", customer_phone="13900000002",
                       customer_email="")
    client.login("qa.head")
    assert client.post_form(f"/complaints/{given['number']}/assign",
                            {"version": given["version"], "assignee": "qa.staff"}
                            ).status_code == 303
    rows = csv_rows(client.get("/inbox/export.csv").content)
    column = rows[0].index("处理人")
    by_number = {row[0]: row for row in rows[1:]}
    assert by_number[given["number"]][column] == "孙丽（质量部）"
    assert by_number[other["number"]][column] == ""
    # Still masked as on screen.
    assert "139****0001" in by_number[given["number"]]
    assert "13900000001" not in ",".join(by_number[given["number"]])
    sheet = openpyxl.load_workbook(io.BytesIO(client.get(
        "/inbox/export.xlsx", headers={"Accept-Language": "en"}).content)).active
    values = list(sheet.values)
    column = values[0].index("Assigned to")
    assert {v[0]: v[column] for v in values[1:]}[given["number"]] == "孙丽（质量部）"
