"""DOMAIN §4: which action is allowed in which status, by which role. Pure rules."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from portal.revisit import OPEN_STATES, RevisitState


class Role(StrEnum):
    EMPLOYEE = "employee"
    HANDLER = "handler"
    DEPT_HEAD = "dept_head"
    OFFICE = "office"
    CS_HEAD = "cs_head"
    ADMIN = "admin"


OFFICE_ROLES = frozenset({Role.OFFICE, Role.CS_HEAD})
DEPARTMENT_ROLES = frozenset({Role.HANDLER, Role.DEPT_HEAD})


class Status(StrEnum):
    LOGGED = "logged"
    DISPATCHED = "dispatched"
    ACKNOWLEDGED = "acknowledged"
    IN_PROGRESS = "in_progress"
    APPEALED = "appealed"  # the department returned it (申诉); the office rules
    RESULT_SUBMITTED = "result_submitted"
    SIGNED_OFF = "signed_off"
    VERIFIED = "verified"
    REPLIED = "replied"
    CLOSED = "closed"
    INVALID = "invalid"


# The department's queue of work: dispatched until the office has verified the result.
DEPARTMENT_OPEN = (
    Status.DISPATCHED,
    Status.ACKNOWLEDGED,
    Status.IN_PROGRESS,
    Status.APPEALED,
    Status.RESULT_SUBMITTED,
)
# The office's view of unfinished work adds what waits on the office itself.
OFFICE_OPEN = (*DEPARTMENT_OPEN, Status.SIGNED_OFF, Status.VERIFIED)
FINISHED = (Status.REPLIED, Status.CLOSED, Status.INVALID)


class Action(StrEnum):
    """Values are the URL segment and the `data-action` contract."""

    DISPATCH = "dispatch"
    REGRADE = "regrade"
    INVALID = "invalid"
    ACKNOWLEDGE = "acknowledge"
    START = "start"
    CONTACT = "contact"
    SUBMIT_RESULT = "submit-result"
    SIGN_OFF = "sign-off"
    VERIFY = "verify"
    SEND_BACK = "send-back"
    REPLY = "reply"
    RESOLVE_ON_SPOT = "resolve-on-spot"
    REQUEST_EXTENSION = "request-extension"
    APPROVE_EXTENSION = "approve-extension"
    REFUSE_EXTENSION = "refuse-extension"
    APPEAL = "appeal"
    APPEAL_REASSIGN = "appeal-reassign"
    APPEAL_UPHOLD = "appeal-uphold"
    # DOMAIN §5 revisit (回访): the office calls or emails the survey; the CS head closes
    # what stayed unsatisfied after the last reopen.
    REVISIT_ATTEMPT = "revisit-attempt"
    SEND_SURVEY = "send-survey"
    CLOSE_REVISIT = "close-revisit"
    # Department work and record care (issue 12): the head gives the complaint to one of
    # their people, or returns a result before signing it off; anyone who may see it adds a
    # note; the office urges (催办) the department.
    ASSIGN = "assign"
    RETURN_TO_HANDLER = "return-to-handler"
    NOTE = "note"
    URGE = "urge"
    # DOMAIN §4 second complaint (二次投诉): the office links a complaint to the earlier one it
    # repeats, or undoes a link, by hand; the automatic grade rules (I-7 / II-6) follow.
    LINK_REPEAT = "link-repeat"
    UNLINK_REPEAT = "unlink-repeat"


class Actor(StrEnum):
    OFFICE = "office"  # complaint office and CS head, any complaint
    DEPARTMENT = "department"  # handler or head of the handling department
    DEPARTMENT_HEAD = "department_head"
    FIRST_RESPONDER = "first_responder"  # whoever logged it
    CS_HEAD = "cs_head"
    VIEWER = "viewer"  # anyone who may see the complaint


@dataclass(frozen=True)
class Rule:
    from_statuses: frozenset[Status]
    to_status: Status | None  # None: the status does not change
    actor: Actor


_S = Status
# Where the department's clock runs (an appeal does not stop it): extensions may be asked for
# and ruled on, and the deadlines run (portal.deadlines).
RUNNING = frozenset({_S.DISPATCHED, _S.ACKNOWLEDGED, _S.IN_PROGRESS, _S.APPEALED})
RULES: dict[Action, Rule] = {
    Action.DISPATCH: Rule(frozenset({_S.LOGGED}), _S.DISPATCHED, Actor.OFFICE),
    Action.REGRADE: Rule(frozenset({_S.LOGGED, *RUNNING}), None, Actor.OFFICE),
    Action.INVALID: Rule(frozenset({_S.LOGGED, _S.APPEALED}), _S.INVALID, Actor.OFFICE),
    Action.ACKNOWLEDGE: Rule(frozenset({_S.DISPATCHED}), _S.ACKNOWLEDGED, Actor.DEPARTMENT),
    Action.START: Rule(frozenset({_S.ACKNOWLEDGED}), _S.IN_PROGRESS, Actor.DEPARTMENT),
    Action.CONTACT: Rule(frozenset({_S.ACKNOWLEDGED, _S.IN_PROGRESS}), None, Actor.DEPARTMENT),
    Action.SUBMIT_RESULT: Rule(
        frozenset({_S.IN_PROGRESS}), _S.RESULT_SUBMITTED, Actor.DEPARTMENT
    ),
    Action.SIGN_OFF: Rule(
        frozenset({_S.RESULT_SUBMITTED}), _S.SIGNED_OFF, Actor.DEPARTMENT_HEAD
    ),
    Action.VERIFY: Rule(frozenset({_S.SIGNED_OFF}), _S.VERIFIED, Actor.OFFICE),
    Action.SEND_BACK: Rule(
        frozenset({_S.RESULT_SUBMITTED, _S.SIGNED_OFF}), _S.IN_PROGRESS, Actor.OFFICE
    ),
    Action.REPLY: Rule(frozenset({_S.VERIFIED}), _S.REPLIED, Actor.OFFICE),
    # DOMAIN §1/§4: the first responder may settle a minor complaint on the spot.
    Action.RESOLVE_ON_SPOT: Rule(frozenset({_S.LOGGED}), _S.REPLIED, Actor.FIRST_RESPONDER),
    # DOMAIN §4 extension (延期): the head asks before the result deadline, the office rules.
    Action.REQUEST_EXTENSION: Rule(RUNNING, None, Actor.DEPARTMENT_HEAD),
    Action.APPROVE_EXTENSION: Rule(RUNNING, None, Actor.OFFICE),
    Action.REFUSE_EXTENSION: Rule(RUNNING, None, Actor.OFFICE),
    # DOMAIN §4 appeal (申诉): within a working day of dispatch; the office rules.
    Action.APPEAL: Rule(frozenset({_S.DISPATCHED, _S.ACKNOWLEDGED}), _S.APPEALED,
                        Actor.DEPARTMENT_HEAD),
    Action.APPEAL_REASSIGN: Rule(frozenset({_S.APPEALED}), _S.DISPATCHED, Actor.OFFICE),
    # Back to where it was before the appeal (see next_status).
    Action.APPEAL_UPHOLD: Rule(frozenset({_S.APPEALED}), None, Actor.OFFICE),
    # The outcome decides the status (closed, reopened, or still in the queue).
    Action.REVISIT_ATTEMPT: Rule(frozenset({_S.REPLIED}), None, Actor.OFFICE),
    Action.SEND_SURVEY: Rule(frozenset({_S.REPLIED}), None, Actor.OFFICE),
    Action.CLOSE_REVISIT: Rule(frozenset({_S.REPLIED}), _S.CLOSED, Actor.CS_HEAD),
    Action.ASSIGN: Rule(frozenset({_S.DISPATCHED, _S.ACKNOWLEDGED, _S.IN_PROGRESS}), None,
                        Actor.DEPARTMENT_HEAD),
    Action.RETURN_TO_HANDLER: Rule(frozenset({_S.RESULT_SUBMITTED}), _S.IN_PROGRESS,
                                   Actor.DEPARTMENT_HEAD),
    Action.NOTE: Rule(frozenset(_S), None, Actor.VIEWER),
    # In the department's hands: not while the office rules on an appeal.
    Action.URGE: Rule(frozenset({_S.DISPATCHED, _S.ACKNOWLEDGED, _S.IN_PROGRESS,
                                 _S.RESULT_SUBMITTED}), None, Actor.OFFICE),
    # A record can be put right whatever its status, closed included (statistics follow).
    Action.LINK_REPEAT: Rule(frozenset(_S), None, Actor.OFFICE),
    Action.UNLINK_REPEAT: Rule(frozenset(_S), None, Actor.OFFICE),
}
# A note or an urge changes none of the record's fields, so it needs no version and does not
# make someone's open form stale (DOMAIN: nobody is overwritten; nobody is blocked either).
UNVERSIONED = frozenset({Action.NOTE, Action.URGE})

# Order in which buttons are offered on the complaint page.
ACTION_ORDER = list(RULES)


@dataclass(frozen=True)
class Viewer:
    """What the rules need to know about a user."""

    id: int
    role: str
    department: str | None


@dataclass(frozen=True)
class Subject:
    """What the rules need to know about a complaint."""

    status: str
    department: str | None  # the handling department, once dispatched
    logged_by: int
    grade: str | None
    # Conditions that depend on the clock, computed by the caller at "now".
    extension_pending: bool = False
    extension_open: bool = True  # before the result deadline
    appeal_open: bool = True  # within the appeal window after dispatch
    revisit_state: str = ""  # portal.revisit.RevisitState
    has_email: bool = False  # the customer gave an email address
    reopened: bool = False  # reopened after an unsatisfied revisit
    is_second: bool = False  # linked to an earlier complaint it repeats


def is_office(viewer: Viewer) -> bool:
    return viewer.role in OFFICE_ROLES


def in_handling_department(viewer: Viewer, subject: Subject) -> bool:
    return (
        viewer.role in DEPARTMENT_ROLES
        and subject.department is not None
        and viewer.department == subject.department
    )


def can_view(viewer: Viewer, subject: Subject) -> bool:
    return (
        is_office(viewer)
        or in_handling_department(viewer, subject)
        or subject.logged_by == viewer.id
    )


def sees_contacts(viewer: Viewer, subject: Subject) -> bool:
    """DOMAIN §8: full contact data only for the office and the handling department."""
    return is_office(viewer) or in_handling_department(viewer, subject)


def status_allows(action: Action, status: str) -> bool:
    return status in RULES[action].from_statuses


def role_allows(action: Action, viewer: Viewer, subject: Subject) -> bool:
    actor = RULES[action].actor
    if actor is Actor.OFFICE:
        return is_office(viewer)
    if actor is Actor.DEPARTMENT:
        return in_handling_department(viewer, subject)
    if actor is Actor.DEPARTMENT_HEAD:
        return in_handling_department(viewer, subject) and viewer.role == Role.DEPT_HEAD
    if actor is Actor.CS_HEAD:
        return viewer.role == Role.CS_HEAD
    if actor is Actor.VIEWER:
        return can_view(viewer, subject)
    if actor is Actor.FIRST_RESPONDER:
        return (subject.logged_by == viewer.id or is_office(viewer)) and subject.grade == "M"
    return False


def condition_allows(action: Action, subject: Subject) -> bool:
    """The time- and state-dependent conditions beyond the status."""
    if action is Action.REQUEST_EXTENSION:
        return subject.extension_open and not subject.extension_pending
    if action in (Action.APPROVE_EXTENSION, Action.REFUSE_EXTENSION):
        return subject.extension_pending
    if action is Action.APPEAL:
        return subject.appeal_open
    if action is Action.RESOLVE_ON_SPOT:
        return not subject.reopened  # the customer was not satisfied: a department handles it
    if action is Action.REVISIT_ATTEMPT:
        return subject.revisit_state in OPEN_STATES
    if action is Action.SEND_SURVEY:
        return subject.revisit_state == RevisitState.PENDING and subject.has_email
    if action is Action.CLOSE_REVISIT:
        return subject.revisit_state == RevisitState.ESCALATED
    if action is Action.LINK_REPEAT:
        return not subject.is_second  # one earlier complaint at a time: unlink first
    if action is Action.UNLINK_REPEAT:
        return subject.is_second
    return True


def next_status(action: Action, status: str, acknowledged: bool = False) -> str:
    if action is Action.APPEAL_UPHOLD:
        return Status.ACKNOWLEDGED if acknowledged else Status.DISPATCHED
    return RULES[action].to_status or status


def available_actions(viewer: Viewer, subject: Subject) -> list[Action]:
    return [
        action
        for action in ACTION_ORDER
        if status_allows(action, subject.status) and role_allows(action, viewer, subject)
        and condition_allows(action, subject)
    ]


def follows_department(before: dict, changes: dict) -> dict:
    """The changes of a write, with the assignee cleared when the complaint moves to another
    department (an appeal reassigned, a re-dispatch): the person it was given to belongs to
    the department that had it, and the new department's head assigns again."""
    moved = "department" in changes and changes["department"] != before.get("department")
    if moved and before.get("assignee"):
        return {**changes, "assignee": None}
    return changes
