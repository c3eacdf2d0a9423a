import pytest

from portal.workflow import (
    RULES,
    Action,
    Role,
    Status,
    Subject,
    Viewer,
    available_actions,
    can_view,
    role_allows,
    sees_contacts,
    status_allows,
)

S = Status
# DOMAIN §4 as a table: the statuses each action may start from.
EXPECTED = {
    Action.DISPATCH: {S.LOGGED},
    Action.REGRADE: {S.LOGGED, S.DISPATCHED, S.ACKNOWLEDGED, S.IN_PROGRESS, S.APPEALED},
    Action.INVALID: {S.LOGGED, S.APPEALED},
    Action.ACKNOWLEDGE: {S.DISPATCHED},
    Action.START: {S.ACKNOWLEDGED},
    Action.CONTACT: {S.ACKNOWLEDGED, S.IN_PROGRESS},
    Action.SUBMIT_RESULT: {S.IN_PROGRESS},
    Action.SIGN_OFF: {S.RESULT_SUBMITTED},
    Action.VERIFY: {S.SIGNED_OFF},
    Action.SEND_BACK: {S.RESULT_SUBMITTED, S.SIGNED_OFF},
    Action.REPLY: {S.VERIFIED},
    Action.RESOLVE_ON_SPOT: {S.LOGGED},
    Action.REQUEST_EXTENSION: {S.DISPATCHED, S.ACKNOWLEDGED, S.IN_PROGRESS, S.APPEALED},
    Action.APPROVE_EXTENSION: {S.DISPATCHED, S.ACKNOWLEDGED, S.IN_PROGRESS, S.APPEALED},
    Action.REFUSE_EXTENSION: {S.DISPATCHED, S.ACKNOWLEDGED, S.IN_PROGRESS, S.APPEALED},
    Action.APPEAL: {S.DISPATCHED, S.ACKNOWLEDGED},
    Action.APPEAL_REASSIGN: {S.APPEALED},
    Action.APPEAL_UPHOLD: {S.APPEALED},
    Action.REVISIT_ATTEMPT: {S.REPLIED},
    Action.SEND_SURVEY: {S.REPLIED},
    Action.CLOSE_REVISIT: {S.REPLIED},
    Action.ASSIGN: {S.DISPATCHED, S.ACKNOWLEDGED, S.IN_PROGRESS},
    Action.RETURN_TO_HANDLER: {S.RESULT_SUBMITTED},
    Action.NOTE: set(S),
    Action.URGE: {S.DISPATCHED, S.ACKNOWLEDGED, S.IN_PROGRESS, S.RESULT_SUBMITTED},
    Action.LINK_REPEAT: set(S),
    Action.UNLINK_REPEAT: set(S),
}

OFFICE = Viewer(1, Role.OFFICE, None)
CS_HEAD = Viewer(2, Role.CS_HEAD, None)
QA_STAFF = Viewer(3, Role.HANDLER, "QA")
QA_HEAD = Viewer(4, Role.DEPT_HEAD, "QA")
SVC_STAFF = Viewer(5, Role.HANDLER, "SVC")
CLERK = Viewer(6, Role.EMPLOYEE, "SALES")
ADMIN = Viewer(7, Role.ADMIN, None)


def subject(status=S.DISPATCHED, department="QA", grade="II"):
    return Subject(status=status, department=department, logged_by=CLERK.id, grade=grade)


@pytest.mark.parametrize("status", list(Status))
@pytest.mark.parametrize("action", list(Action))
def test_transition_table(action, status):
    assert status_allows(action, status) is (status in EXPECTED[action])


def test_every_action_has_a_rule():
    assert set(RULES) == set(Action)


@pytest.mark.parametrize("viewer,action,allowed", [
    (OFFICE, Action.DISPATCH, True), (CS_HEAD, Action.REPLY, True), (QA_STAFF, Action.DISPATCH, False),
    (QA_STAFF, Action.ACKNOWLEDGE, True), (QA_HEAD, Action.ACKNOWLEDGE, True),
    (SVC_STAFF, Action.ACKNOWLEDGE, False), (OFFICE, Action.ACKNOWLEDGE, False),
    (QA_STAFF, Action.SIGN_OFF, False), (QA_HEAD, Action.SIGN_OFF, True),
    (CLERK, Action.ACKNOWLEDGE, False), (ADMIN, Action.DISPATCH, False),
])
def test_who_may_act(viewer, action, allowed):
    assert role_allows(action, viewer, subject()) is allowed


def test_resolve_on_the_spot_is_for_minor_complaints_by_their_first_responder_or_office():
    minor = subject(status=S.LOGGED, department=None, grade="M")
    assert role_allows(Action.RESOLVE_ON_SPOT, CLERK, minor)
    assert role_allows(Action.RESOLVE_ON_SPOT, OFFICE, minor)
    assert not role_allows(Action.RESOLVE_ON_SPOT, QA_STAFF, minor)
    assert not role_allows(Action.RESOLVE_ON_SPOT, CLERK, subject(S.LOGGED, None, "II"))


@pytest.mark.parametrize("viewer,visible,contacts", [
    (OFFICE, True, True), (CS_HEAD, True, True), (QA_STAFF, True, True), (QA_HEAD, True, True),
    (SVC_STAFF, False, False), (CLERK, True, False), (ADMIN, False, False),
])
def test_visibility_and_contacts(viewer, visible, contacts):
    assert can_view(viewer, subject()) is visible
    assert sees_contacts(viewer, subject()) is contacts


def test_a_logged_complaint_is_not_yet_any_departments():
    logged = subject(status=S.LOGGED, department=None)
    assert not can_view(QA_STAFF, logged)


def test_available_actions_for_typical_viewers():
    assert available_actions(QA_STAFF, subject(S.DISPATCHED)) == [Action.ACKNOWLEDGE,
                                                                   Action.NOTE]
    assert available_actions(QA_HEAD, subject(S.RESULT_SUBMITTED)) == [
        Action.SIGN_OFF, Action.RETURN_TO_HANDLER, Action.NOTE]
    assert available_actions(QA_HEAD, subject(S.DISPATCHED))[-3:] == [
        Action.APPEAL, Action.ASSIGN, Action.NOTE]
    assert available_actions(OFFICE, subject(S.RESULT_SUBMITTED)) == [
        Action.SEND_BACK, Action.NOTE, Action.URGE, Action.LINK_REPEAT]
    assert available_actions(OFFICE, subject(S.LOGGED, None, "M")) == [
        Action.DISPATCH, Action.REGRADE, Action.INVALID, Action.RESOLVE_ON_SPOT, Action.NOTE,
        Action.LINK_REPEAT]
    assert available_actions(CLERK, subject(S.REPLIED)) == [Action.NOTE]
    assert available_actions(SVC_STAFF, subject(S.DISPATCHED)) == []  # not theirs to see


def test_extension_and_appeal_conditions():
    from dataclasses import replace

    from portal.workflow import condition_allows, next_status

    base = subject(status=S.IN_PROGRESS)
    assert Action.REQUEST_EXTENSION in available_actions(QA_HEAD, base)
    assert Action.REQUEST_EXTENSION not in available_actions(QA_STAFF, base)
    assert not condition_allows(Action.REQUEST_EXTENSION, replace(base, extension_open=False))
    assert not condition_allows(Action.REQUEST_EXTENSION, replace(base, extension_pending=True))
    assert Action.APPROVE_EXTENSION not in available_actions(OFFICE, base)
    assert Action.APPROVE_EXTENSION in available_actions(OFFICE, replace(base, extension_pending=True))
    dispatched = subject(status=S.DISPATCHED)
    assert Action.APPEAL in available_actions(QA_HEAD, dispatched)
    assert Action.APPEAL not in available_actions(QA_HEAD, replace(dispatched, appeal_open=False))
    assert next_status(Action.APPEAL_UPHOLD, S.APPEALED, acknowledged=True) == S.ACKNOWLEDGED
    assert next_status(Action.APPEAL_UPHOLD, S.APPEALED, acknowledged=False) == S.DISPATCHED
    assert next_status(Action.APPEAL_REASSIGN, S.APPEALED) == S.DISPATCHED


def test_a_reopened_complaint_cannot_be_resolved_on_the_spot_again():
    from dataclasses import replace

    from portal.workflow import condition_allows

    logged_minor = subject(status=S.LOGGED, department=None, grade="M")
    assert condition_allows(Action.RESOLVE_ON_SPOT, logged_minor)
    assert not condition_allows(Action.RESOLVE_ON_SPOT, replace(logged_minor, reopened=True))
    assert Action.RESOLVE_ON_SPOT not in available_actions(CLERK, replace(logged_minor, reopened=True))


@pytest.mark.parametrize("status", list(Status))
def test_the_office_links_an_unlinked_complaint_and_unlinks_a_linked_one_in_any_status(status):
    from dataclasses import replace

    single = subject(status=status)
    second = replace(single, is_second=True)
    assert Action.LINK_REPEAT in available_actions(OFFICE, single)
    assert Action.UNLINK_REPEAT not in available_actions(OFFICE, single)
    assert Action.UNLINK_REPEAT in available_actions(CS_HEAD, second)
    assert Action.LINK_REPEAT not in available_actions(CS_HEAD, second)


@pytest.mark.parametrize("viewer", [QA_STAFF, QA_HEAD, CLERK, ADMIN, SVC_STAFF])
@pytest.mark.parametrize("action", [Action.LINK_REPEAT, Action.UNLINK_REPEAT])
def test_only_the_office_links_or_unlinks_a_repeat(viewer, action):
    assert not role_allows(action, viewer, subject())


def test_a_move_to_another_department_clears_the_assignee():
    from portal.workflow import follows_department

    held = {"department": "QA", "assignee": 7}
    assert follows_department(held, {"department": "SVC"}) == {"department": "SVC",
                                                               "assignee": None}
    assert follows_department(held, {"department": "QA"}) == {"department": "QA"}
    assert follows_department(held, {"grade": "I"}) == {"grade": "I"}
    assert follows_department({"department": None, "assignee": None},
                              {"department": "QA"}) == {"department": "QA"}
    assert follows_department({"department": None, "assignee": 7},
                              {"department": "QA"}) == {"department": "QA", "assignee": None}
