"""/admin/departments: create, rename, deactivate (refused while complaints are open),
each department's heads and handlers, and the admin log. Admin only."""

from __future__ import annotations

import json

import pytest

from db.tables import Department
from tests.admin_support import USERS, events, restoring
from tests.factories import make_complaint


@pytest.fixture
def accounts(client, viewers):
    yield from restoring(client, viewers)


async def dept(code: str) -> dict | None:
    return await Department.select().where(Department.code == code).first()


@pytest.mark.parametrize("user", [u for u in USERS if u != "admin"])
def test_others_cannot_change_departments(client, accounts, user):
    client.login(user)
    assert client.post_form("/admin/departments", {"code": "HR", "name": "人事部"}
                            ).status_code == 403
    assert client.post_form("/admin/departments/QA", {"name": "X"}).status_code == 403
    assert client.post_form("/admin/departments/QA/deactivate").status_code == 403
    assert client.run(dept, "HR") is None
    assert client.run(dept, "QA")["name_zh"] == "质量部"
    assert client.run(dept, "QA")["is_active"] is True


def test_the_list_shows_heads_and_handlers(client, accounts):
    client.login("admin")
    html = client.get("/admin/departments").text
    row = html[html.index('data-code="QA"'):html.index('data-code="SALES"')]
    assert "赵强（质量部负责人）" in row and "孙丽（质量部）" in row
    assert "周敏" not in row


def test_a_deactivated_head_or_handler_is_marked_in_words_not_only_grey(client, accounts):
    client.login("admin")
    client.post_form("/admin/users/qa.staff", {
        "username": "qa.staff", "name": "孙丽（质量部）", "email": "qa.staff@example.com",
        "role": "handler", "department": "QA", "language": "zh_CN", "password": ""})
    html = client.get("/admin/departments").text
    row = html[html.index('data-code="QA"'):html.index('data-code="SALES"')]
    handler = row[row.index("孙丽（质量部）"):].split("</div>")[0]
    head = row[row.index("赵强（质量部负责人）"):].split("</div>")[0]
    assert '<span class="tag">已停用</span>' in handler
    assert "已停用" not in head  # an active head carries no marker
    client.post_form("/lang", {"lang": "en", "next": "/"})
    html = client.get("/admin/departments").text
    row = html[html.index('data-code="QA"'):html.index('data-code="SALES"')]
    assert '<span class="tag">Deactivated</span>' in row[row.index("孙丽（质量部）"):].split(
        "</div>")[0]


def test_creating_a_department(client, accounts):
    client.login("admin")
    response = client.post_form("/admin/departments", {"code": "HR", "name": "人事部",
                                                       "name_en": "Human resources"})
    assert response.status_code == 303
    row = client.run(dept, "HR")
    assert (row["name_zh"], row["name_en"], row["is_active"]) == ("人事部", "Human resources",
                                                                 True)
    [event] = client.run(events, "department:HR")
    assert event["kind"] == "department-create" and event["actor"] == accounts["admin"].id


@pytest.mark.parametrize("form", [{"code": "QA", "name": "又一个"}, {"code": "", "name": "X"},
                                  {"code": "hr x", "name": "X"}, {"code": "HR", "name": ""}])
def test_a_bad_new_department_is_refused(client, accounts, form):
    client.login("admin")
    response = client.post_form("/admin/departments", form)
    assert response.status_code == 422 and 'class="error"' in response.text
    assert client.run(dept, "HR") is None
    assert client.run(dept, "QA")["name_zh"] == "质量部"
    assert client.run(events, "department:QA") == []


def test_renaming_records_from_and_to(client, accounts):
    client.login("admin")
    assert client.post_form("/admin/departments/QA", {"name": "品质部", "name_en": ""}
                            ).status_code == 303
    row = client.run(dept, "QA")
    assert (row["name_zh"], row["name_en"]) == ("品质部", "Quality")
    [event] = client.run(events, "department:QA")
    assert json.loads(event["detail"]) == {"name_zh": ["质量部", "品质部"]}


def test_renaming_to_nothing_is_refused(client, accounts):
    client.login("admin")
    assert client.post_form("/admin/departments/QA", {"name": ""}).status_code == 422
    assert client.run(dept, "QA")["name_zh"] == "质量部"
    assert client.post_form("/admin/departments/NOPE", {"name": "X"}).status_code == 404


def test_deactivating_is_refused_while_complaints_are_open(client, accounts):
    client.run(make_complaint, accounts, status="dispatched", department="QA")
    client.login("admin")
    response = client.post_form("/admin/departments/QA/deactivate")
    assert response.status_code == 409 and 'data-testid="refusal"' in response.text
    assert client.run(dept, "QA")["is_active"] is True
    assert client.run(events, "department:QA") == []


def test_a_deactivated_department_leaves_the_routing_choices(client, accounts):
    client.run(make_complaint, accounts, status="invalid", department="PROD")
    client.login("admin")
    assert client.post_form("/admin/departments/PROD/deactivate").status_code == 303
    assert client.run(dept, "PROD")["is_active"] is False
    assert [e["kind"] for e in client.run(events, "department:PROD")] == ["department-update"]
    client.login("clerk")
    assert 'value="PROD"' not in client.get("/intake").text
    client.login("admin")
    assert 'value="PROD"' not in client.get("/admin/users/new").text
    assert client.post_form("/admin/departments/PROD/activate").status_code == 303
    assert client.run(dept, "PROD")["is_active"] is True
