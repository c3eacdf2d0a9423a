"""/inbox/export.csv and /inbox/export.xlsx: the inbox's filters, every matching row, masked
contacts, formulas neutralised, read back."""

import csv
import io

import openpyxl

from pages.inbox import export
from tests.factories import make_complaint


def csv_rows(body: bytes) -> list[list[str]]:
    assert body.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_csv_has_every_matching_row_not_only_the_page(client, viewers, monkeypatch):
    monkeypatch.setattr(export, "BATCH", 7)
    made = [client.run(make_complaint, viewers, status="dispatched")["number"] for _ in range(30)]
    client.run(make_complaint, viewers, status="dispatched", department="SVC")
    client.login("qa.staff")
    r = client.get("/inbox/export.csv")
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
    r = client.get("/inbox/export.xlsx", headers={"Accept-Language": "en"})
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
