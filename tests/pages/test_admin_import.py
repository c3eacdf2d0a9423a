"""/admin/users/import: the preview of a CSV or XLSX staff list writes nothing; confirming
writes every row in one go and emails the new users; a file with error rows cannot be
confirmed; the confirm form's rows are signed and judged again. Admin only."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook

from db.tables import User
from portal.staff_import import judge
from tests.admin_support import USERS, events, outbox, restoring, user_row

HEADER = "username,name,email,role,department\n"
GOOD = HEADER + ("li.na,李娜,li.na@example.com,handler,QA\n"
                 "qa.staff,孙丽（质量部）,qa.staff@example.com,dept_head,QA\n"
                 "clerk,李晓梅,clerk@example.com,employee,SALES\n")
BAD = HEADER + ("li.na,李娜,li.na@example.com,handler,QA\n"
                "wang,,wang@example,boss,HR\n"
                "li.na,李娜,li.na@example.com,handler,QA\n")


@pytest.fixture
def accounts(client, viewers):
    yield from restoring(client, viewers)


def upload(client, name: str, data: bytes):
    return client.post_form("/admin/users/import", files={"file": (name, data)})


def xlsx(text: str) -> bytes:
    book = Workbook()
    for line in text.strip().splitlines():
        book.active.append(line.split(","))
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def blob_of(html: str) -> str:
    import re
    return re.search(r'name="rows" value="([^"]+)"', html).group(1)


async def user_count() -> int:
    return await User.count()


@pytest.mark.parametrize("user", [u for u in USERS if u != "admin"])
def test_only_the_admin_may_import(client, accounts, user):
    client.login(user)
    assert client.get("/admin/users/import").status_code == 403
    assert upload(client, "staff.csv", GOOD.encode()).status_code == 403
    assert client.post_form("/admin/users/import/confirm", {"rows": "x"}).status_code == 403


@pytest.mark.parametrize("name, data", [("staff.csv", ("\ufeff" + GOOD).encode()),
                                        ("staff.xlsx", xlsx(GOOD))])
def test_preview_writes_nothing_and_confirm_writes_all(client, accounts, name, data):
    client.login("admin")
    before = client.run(user_count)
    preview = upload(client, name, data)
    assert preview.status_code == 200
    html = preview.text
    assert 'data-line="2" data-status="new"' in html
    assert 'data-line="3" data-status="changed"' in html
    assert 'data-line="4" data-status="unchanged"' in html
    assert client.run(user_count) == before and client.run(outbox) == []
    response = client.post_form("/admin/users/import/confirm", {"rows": blob_of(html)})
    assert response.status_code == 303
    assert client.run(user_count) == before + 1
    assert client.run(user_row, "li.na")["role"] == "handler"
    assert client.run(user_row, "qa.staff")["role"] == "dept_head"
    [mail] = client.run(outbox)
    assert mail["recipient"] == "li.na@example.com" and "/set-password/" in mail["body"]
    assert [e["kind"] for e in client.run(events, "user:qa.staff")] == ["user-update"]


def test_a_gbk_csv_saved_by_excel_on_chinese_windows_is_read(client, accounts):
    client.login("admin")
    data = ("用户名,姓名,邮箱,角色,部门\r\n"
            "li.na,李娜,li.na@example.com,处理人,质量部\r\n").encode("gbk")
    preview = upload(client, "员工名单.csv", data)
    assert preview.status_code == 200
    assert 'data-line="2" data-status="new"' in preview.text and "李娜" in preview.text
    assert client.post_form("/admin/users/import/confirm",
                            {"rows": blob_of(preview.text)}).status_code == 303
    row = client.run(user_row, "li.na")
    assert (row["display_name"], row["role"], row["department"]) == ("李娜", "handler", "QA")


@pytest.mark.parametrize("name, data", [("staff.csv", BAD.encode()), ("staff.xlsx", xlsx(BAD))])
def test_a_file_with_errors_shows_each_reason_and_cannot_be_confirmed(client, accounts, name,
                                                                     data):
    client.login("admin")
    client.post_form("/lang", {"lang": "en", "next": "/"})
    html = upload(client, name, data).text
    assert 'data-line="3" data-status="error"' in html
    assert 'data-line="4" data-status="error"' in html
    for reason in ("missing name", "bad email address", "unknown role boss",
                   "unknown department HR", "duplicate username in the file (row 2)"):
        assert reason in html
    assert 'data-action="confirm-import"' not in html
    assert client.run(user_row, "li.na") is None


@pytest.mark.parametrize("lang, words", [("zh_CN", "已经导入过"), ("en", "already imported")])
def test_confirming_the_same_preview_again_imports_nothing_and_says_so(client, accounts, lang,
                                                                       words):
    client.login("admin")
    client.post_form("/lang", {"lang": lang, "next": "/"})
    blob = blob_of(upload(client, "staff.csv", GOOD.encode()).text)
    assert client.post_form("/admin/users/import/confirm", {"rows": blob}).status_code == 303
    before = client.run(user_count)
    # Meanwhile the admin corrects a user the file named: a resent confirmation must not undo it.
    client.post_form("/admin/users/qa.staff", {
        "username": "qa.staff", "name": "孙丽", "email": "qa.staff@example.com",
        "role": "handler", "department": "QA", "language": "zh_CN", "active": "y",
        "password": ""})
    again = client.post_form("/admin/users/import/confirm", {"rows": blob})
    assert again.status_code == 409
    assert 'data-testid="refusal"' in again.text and words in again.text
    assert 'data-action="confirm-import"' not in again.text
    assert client.run(user_count) == before
    assert client.run(user_row, "qa.staff")["role"] == "handler"
    assert len(client.run(outbox)) == 1  # li.na's link, sent once
    assert [e["kind"] for e in client.run(events, "user:li.na")] == ["user-create"]
    # The same file uploaded again is a new preview, and confirming it is a new import.
    preview = upload(client, "staff.csv", GOOD.encode()).text
    assert 'data-line="3" data-status="changed"' in preview
    assert client.post_form("/admin/users/import/confirm",
                            {"rows": blob_of(preview)}).status_code == 303
    assert client.run(user_row, "qa.staff")["role"] == "dept_head"


def test_the_store_writes_a_preview_once_even_when_asked_twice(client, accounts, viewers):
    """The check inside the transaction: two confirmations passing the page's check at the
    same moment still import once."""
    from db import users as store
    from portal.staff_import import read_csv
    from portal.timeutil import utcnow

    mailing = client.app.state.env.mailing
    admin = viewers["admin"].id

    async def twice():
        rows = judge(read_csv(GOOD.encode()), *await store.import_context())
        first = await store.import_users(rows, admin, utcnow(), mailing, key="k" * 32)
        try:
            await store.import_users(rows, admin, utcnow(), mailing, key="k" * 32)
        except store.AlreadyImported as exc:
            return first, exc.by
        return first, None

    assert client.run(twice) == (2, "系统管理员")
    assert len(client.run(outbox)) == 1


def test_confirm_judges_the_rows_again(client, accounts):
    client.login("admin")
    blob = blob_of(upload(client, "staff.csv", GOOD.encode()).text)
    # Meanwhile QA is deactivated: the rows that name it are errors now.
    client.post_form("/admin/departments/QA/deactivate")
    response = client.post_form("/admin/users/import/confirm", {"rows": blob})
    assert response.status_code == 409 and 'data-testid="refusal"' in response.text
    assert client.run(user_row, "li.na") is None
    assert client.run(user_row, "qa.staff")["role"] == "handler"


def test_a_tampered_confirm_is_refused(client, accounts):
    client.login("admin")
    blob = blob_of(upload(client, "staff.csv", GOOD.encode()).text)
    assert client.post_form("/admin/users/import/confirm",
                            {"rows": blob[:-4] + "AAAA"}).status_code == 409
    assert client.run(user_row, "li.na") is None


@pytest.mark.parametrize("name, data", [("staff.txt", b"x"), ("staff.csv", b"a,b\n1,2\n"),
                                        ("staff.xlsx", b"not a workbook")])
def test_an_unreadable_file_is_refused_next_to_the_field(client, accounts, name, data):
    client.login("admin")
    response = upload(client, name, data)
    assert response.status_code == 422 and 'id="file-error"' in response.text
