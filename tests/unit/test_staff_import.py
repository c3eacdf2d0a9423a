"""portal.staff_import: reading CSV and XLSX staff lists and judging each row."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook

from portal.i18n import in_locale
from portal.staff_import import (
    ImportFileError,
    judge,
    read_csv,
    read_file,
    read_xlsx,
    sign_rows,
    unsign_import,
    unsign_rows,
)

USERS = {"qa.staff": {"name": "孙丽", "email": "qa.staff@example.com", "role": "handler",
                      "department": "QA"}}
DEPTS = {"QA": "质量部", "SVC": "客服部"}
HEADER = "username,name,email,role,department\n"


@pytest.fixture(autouse=True)
def english():
    with in_locale("en"):
        yield


def csv_rows(body: str, bom: bool = False):
    return read_csv((("\ufeff" if bom else "") + HEADER + body).encode())


def xlsx_bytes(table) -> bytes:
    book = Workbook()
    for r in table:
        book.active.append(r)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def test_csv_with_and_without_bom_reads_the_same():
    body = "li.na,李娜,li.na@example.com,handler,QA\n"
    assert [r.values for r in csv_rows(body)] == [r.values for r in csv_rows(body, bom=True)]
    assert csv_rows(body)[0].values == {"username": "li.na", "name": "李娜",
                                        "email": "li.na@example.com", "role": "handler",
                                        "department": "QA"}


def test_chinese_headers_and_blank_rows():
    data = "用户名,姓名,邮箱,角色,部门\nli.na,李娜,a@b.cn,处理人,质量部\n,,,,\n".encode()
    [row] = judge(read_csv(data), USERS, DEPTS)
    assert row.line == 2 and row.status == "new"
    assert (row.values["role"], row.values["department"]) == ("handler", "QA")


def test_xlsx_reads_the_first_sheet():
    rows = read_xlsx(xlsx_bytes([["username", "name", "email", "role", "department"],
                                 ["li.na", "李娜", "a@b.cn", "employee", None]]))
    assert rows[0].values["department"] == "" and rows[0].line == 2


def test_a_gbk_csv_from_excel_on_chinese_windows_reads_the_same_as_utf8():
    text = ("用户名,姓名,邮箱,角色,部门\r\n"
            "li.na,李娜,li.na@example.com,处理人,质量部\r\n"
            "zhao.lei,赵磊（售后）,zhao@example.com,员工,\r\n")
    gbk = text.encode("gbk")
    with pytest.raises(UnicodeDecodeError):
        gbk.decode("utf-8")  # so the test really reads a file UTF-8 cannot
    from_gbk = judge(read_file("staff.csv", gbk), USERS, DEPTS)
    from_utf8 = judge(read_file("staff.csv", text.encode("utf-8")), USERS, DEPTS)
    assert [r.values for r in from_gbk] == [r.values for r in from_utf8]
    assert from_gbk[0].values == {"username": "li.na", "name": "李娜", "email": "li.na@example.com",
                                  "role": "handler", "department": "QA"}
    assert from_gbk[1].values["name"] == "赵磊（售后）"
    # GB18030, GBK's superset, covers names GBK cannot write.
    assert read_csv((HEADER + "x.y,䶮,a@b.cn,employee,\n").encode("gb18030"))[0].values[
        "name"] == "䶮"


def test_bytes_that_are_neither_utf8_nor_gbk_are_refused_with_a_reason():
    with pytest.raises(ImportFileError, match="neither UTF-8 nor GBK"):
        read_csv(HEADER.encode() + b"a,\xff\xff,c,d,e\n")
    with pytest.raises(ImportFileError):  # a UTF-8 BOM followed by GBK bytes
        read_csv(b"\xef\xbb\xbf" + (HEADER + "li.na,李娜,a@b.cn,employee,\n").encode("gbk"))


@pytest.mark.parametrize("name, data", [
    ("staff.txt", b"x"), ("staff.csv", b""), ("staff.csv", b"username,name\nx,y\n"),
    ("staff.csv", "\xff\xfe".encode("latin-1")), ("staff.xlsx", b"not a zip"),
    ("staff.csv", HEADER.encode()),
])
def test_unreadable_files_are_refused_as_a_whole(name, data):
    with pytest.raises(ImportFileError):
        read_file(name, data)


def test_new_changed_unchanged_and_errors_with_every_reason():
    rows = judge(csv_rows(
        "li.na,李娜,li.na@example.com,handler,QA\n"
        "qa.staff,孙丽,qa.staff@example.com,dept_head,qa\n"
        "qa.staff,孙丽,,handler,QA\n"
        "wang,,not-an-email,boss,HR\n"
        "zhao,赵,,employee,\n"
        "han,韩,han@example.com,handler,\n"), USERS, DEPTS)
    assert [r.status for r in rows] == ["new", "changed", "error", "error", "error", "error"]
    assert rows[1].changed == ["role"]
    assert rows[2].errors == ["duplicate username in the file (row 3)"]
    assert rows[3].errors == ["missing name", "bad email address", "unknown role boss",
                              "unknown department HR"]
    assert rows[4].errors == ["a new user needs an email address for the set-password link"]
    assert rows[5].errors == ["handlers and department heads need a department"]


def test_an_unchanged_row():
    [row] = judge(csv_rows("qa.staff,孙丽,qa.staff@example.com,handler,QA\n"), USERS, DEPTS)
    assert (row.status, row.changed) == ("unchanged", [])


def test_signed_rows_come_back_unchanged_and_tampering_is_caught():
    rows = csv_rows("li.na,李娜,li.na@example.com,handler,QA\n")
    blob = sign_rows("secret", rows)
    back = unsign_rows("secret", blob)
    assert [(r.line, r.values) for r in back] == [(r.line, r.values) for r in rows]
    assert unsign_rows("other", blob) is None
    assert unsign_rows("secret", blob[:-3] + "abc") is None


def test_each_preview_has_its_own_id_so_a_repeated_confirmation_is_recognised():
    rows = csv_rows("li.na,李娜,li.na@example.com,handler,QA\n")
    first, second = sign_rows("secret", rows), sign_rows("secret", rows)
    key1, back1 = unsign_import("secret", first)
    key2, back2 = unsign_import("secret", second)
    assert key1 != key2 and len(key1) == 32
    assert [r.values for r in back1] == [r.values for r in back2] == [r.values for r in rows]
    assert unsign_import("secret", first)[0] == key1  # the same blob, the same id
