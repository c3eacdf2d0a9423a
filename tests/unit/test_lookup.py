"""portal.lookup: what the intake's "use this customer's details" may fill in (DOMAIN §8)."""

import pytest

from portal.lookup import fill_values, shows_contacts
from portal.workflow import Role, Status, Subject, Viewer

RECORD = {"customer_name": "张伟", "customer_phone": "13812345678",
          "customer_email": "zw@example.com", "customer_address": "上海市浦东新区张江路 88 号"}
CLERK = Viewer(1, Role.EMPLOYEE, "SALES")
OTHER_CLERK = Viewer(9, Role.EMPLOYEE, "SALES")
OFFICE = Viewer(2, Role.OFFICE, None)
QA_STAFF = Viewer(3, Role.HANDLER, "QA")
SVC_HEAD = Viewer(4, Role.DEPT_HEAD, "SVC")
LOGGED = Subject(status=Status.LOGGED, department=None, logged_by=1, grade="M")
AT_QA = Subject(status=Status.DISPATCHED, department="QA", logged_by=1, grade="II")


def test_the_clerk_who_logged_it_gets_the_name_only():
    assert fill_values(CLERK, LOGGED, RECORD) == {"customer_name": "张伟"}
    assert fill_values(CLERK, AT_QA, RECORD) == {"customer_name": "张伟"}


@pytest.mark.parametrize("viewer,subject", [(OFFICE, LOGGED), (OFFICE, AT_QA), (QA_STAFF, AT_QA)])
def test_the_office_and_the_handling_department_get_everything(viewer, subject):
    assert fill_values(viewer, subject, RECORD) == RECORD


@pytest.mark.parametrize("viewer,subject", [(OTHER_CLERK, LOGGED), (SVC_HEAD, AT_QA),
                                            (QA_STAFF, LOGGED)])
def test_someone_who_may_not_see_the_complaint_gets_nothing(viewer, subject):
    assert fill_values(viewer, subject, RECORD) == {}


def test_empty_values_are_left_out():
    record = {**RECORD, "customer_email": "", "customer_address": ""}
    assert fill_values(OFFICE, LOGGED, record) == {"customer_name": "张伟",
                                                   "customer_phone": "13812345678"}


def test_only_contact_data_counts_as_a_view_to_log():
    assert not shows_contacts({"customer_name": "张伟"})
    assert shows_contacts({"customer_name": "张伟", "customer_address": "上海市"})
    assert shows_contacts({"customer_email": "zw@example.com"})
