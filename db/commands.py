"""Every state change: one transaction that writes the change and its history row."""

from __future__ import annotations

import json
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, tzinfo
from decimal import Decimal
from pathlib import Path

from db import rollup
from db.calendar import business_calendar
from db.notify import Mailing, current_assignee, department_users, notify, role_users
from db.queries import repeat_of, user_names
from db.tables import Attachment, Complaint, ComplaintEvent, DeadlineAlert, User
from db.transactions import atomic
from portal.anonymize import closed_at_after
from portal.attachments import Upload, store
from portal.contact import normalize_email, normalize_phone
from portal.deadlines import (
    DUE_COLUMN,
    Deadline,
    appeal_allowed,
    check_extension,
    compute,
    extension_allowed,
)
from portal.grading import escalate, grade_for, join_criteria, repeat_rule
from portal.numbering import format_number
from portal.policy import Policy
from portal.repeats import Matter
from portal.schedule import plan
from portal.timeutil import months_before
from portal.workcalendar import BusinessCalendar
from portal.workflow import (
    UNVERSIONED,
    Action,
    Role,
    Status,
    Subject,
    Viewer,
    can_view,
    condition_allows,
    follows_department,
    next_status,
    role_allows,
    status_allows,
)


@dataclass(frozen=True)
class Env:
    """What state changes need besides the request: the policy, the company's time zone
    (for the business calendar) and how to address emails."""

    policy: Policy
    tz: tzinfo
    base_url: str = "http://127.0.0.1:8000"
    secret_key: str = ""  # signs survey links (PORTAL_SECRET_KEY)

    @property
    def mailing(self) -> Mailing:
        return Mailing(self.base_url, self.tz)

    async def calendar(self) -> BusinessCalendar:
        return await business_calendar(self.policy, self.tz, fresh=True)


class NotVisible(Exception):
    """The user may not see this complaint: answer 404, as if it did not exist."""


class NotPermitted(Exception):
    """The user sees it but may not take this action: 403."""


class NotNow(Exception):
    """The action is not allowed in the current status, or the edit is stale: 409."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # "status", "stale" or the failed condition (see CONDITIONS)


class Invalid(Exception):
    """A field's value is refused by a rule that needs the stored complaint: 422."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason


async def next_complaint_number(year: int) -> str:
    """Called inside the intake transaction: the counter row's lock serializes writers, so
    numbers are unique and gap-free even under concurrent submissions (not max()+1)."""
    await _ensure_counter(year)
    rows = await Complaint.raw(
        "UPDATE complaint_counter SET value = value + 1 WHERE year = {} RETURNING value", year
    )
    return format_number(year, rows[0]["value"])


async def _ensure_counter(year: int) -> None:
    await Complaint.raw(
        "INSERT INTO complaint_counter (year, value) VALUES ({}, 0) ON CONFLICT (year) DO NOTHING",
        year,
    )


def _event(complaint_id: int, at: datetime, actor: int | None, action: str, from_status: str,
           to_status: str, note: str = "", changes: dict | None = None) -> ComplaintEvent:
    return ComplaintEvent(
        complaint=complaint_id,
        at=at,
        actor=actor,
        action=action,
        from_status=from_status,
        to_status=to_status,
        note=note,
        changes=json.dumps(changes, ensure_ascii=False, default=str) if changes else "",
    )


@dataclass
class IntakeData:
    customer_name: str
    customer_phone: str
    customer_email: str
    customer_address: str
    channel: str
    category: str
    received_at: datetime
    occurred_at: datetime | None
    location: str
    product: str
    model_batch: str
    order_no: str
    purchase_date: object
    complained_department: str | None
    complained_person: str
    description: str
    demand: str
    claimed_loss: Decimal | None
    criteria: list[str]
    urgent: bool
    callback_requested: bool = False


@asynccontextmanager
async def _files_kept(uploads: list[Upload], attachments_dir: Path):
    """Files are written before the transaction (file systems do not roll back) and removed
    again if it fails, so a failed change leaves nothing behind."""
    stored = [(up, store(attachments_dir, up.content)) for up in uploads]
    try:
        yield stored
    except BaseException:
        for _up, key in stored:
            (attachments_dir / key).unlink(missing_ok=True)
        raise


async def log_complaint(data: IntakeData, user_id: int, uploads: list[Upload], now: datetime,
                        policy: Policy, attachments_dir: Path, tz: tzinfo) -> str:
    """登记: saves a new complaint with its first history row; returns its number. A second
    complaint is linked to the earlier one and the automatic rules I-7 / II-6 apply."""
    cal = await business_calendar(policy, tz, fresh=True)
    async with _files_kept(uploads, attachments_dir) as stored, atomic():
        return await _insert_complaint(data, user_id, stored, now, policy, tz, cal)


class NotMinor(Exception):
    """Only a minor complaint may be resolved on the spot (DOMAIN §4): 422, nothing saved."""

    def __init__(self, grade: str) -> None:
        super().__init__(grade)
        self.grade = grade  # the grade it would have been logged with


async def log_and_resolve(data: IntakeData, reply: str, viewer: Viewer, uploads: list[Upload],
                          now: datetime, env: Env, attachments_dir: Path) -> str:
    """Issue 12: 登记 and 当场处理 in one step. Both commands run inside this one transaction:
    atomic() nests by joining the outer transaction (db/transactions.py), so perform() keeps
    every rule of the action (the revisit draw, the notice to the first responder, the
    statistics) and a refusal anywhere leaves no complaint, no number used and no file."""
    cal = await env.calendar()
    async with _files_kept(uploads, attachments_dir) as stored, atomic():
        number = await _insert_complaint(data, viewer.id, stored, now, env.policy, env.tz, cal)
        row = await Complaint.select(Complaint.grade, Complaint.version).where(
            Complaint.number == number).first()
        # The grade as logged: a second complaint may have risen above Minor (I-7 / II-6).
        if row["grade"] != "M":
            raise NotMinor(row["grade"])
        await perform(number, Action.RESOLVE_ON_SPOT, viewer, row["version"], {"reply": reply},
                      now, env)
    return number


async def _insert_complaint(data: IntakeData, user_id: int, stored: list, now: datetime,
                            policy: Policy, tz: tzinfo, cal: BusinessCalendar) -> str:
    """The complaint, its history and its files, inside the caller's transaction."""
    # Numbers count by the company's local calendar year.
    number = await next_complaint_number(now.astimezone(tz).year)
    phone = normalize_phone(data.customer_phone)
    email = normalize_email(data.customer_email)
    # DOMAIN §4: same customer and a similar matter (portal.repeats), else no link.
    earlier, _why, _others = await repeat_of(
        Matter(data.category, data.product, data.order_no, data.description),
        phone, email, months_before(now, policy.second_complaint_months))
    ticked_grade = grade_for(data.criteria, policy) or "M"
    grade, criteria = ticked_grade, list(data.criteria)
    rule = repeat_rule(grade, earlier["grade"], policy) if earlier else None
    if rule:
        grade, criteria = escalate(grade, criteria, rule, policy)
    complaint = Complaint(
        number=number,
        status=Status.LOGGED,
        received_at=data.received_at,
        logged_at=now,
        channel=data.channel,
        category=data.category,
        logged_by=user_id,
        customer_name=data.customer_name,
        customer_phone=phone,
        customer_email=email,
        customer_address=data.customer_address,
        product=data.product,
        model_batch=data.model_batch,
        order_no=data.order_no,
        purchase_date=data.purchase_date,
        occurred_at=data.occurred_at,
        location=data.location,
        complained_department=data.complained_department or None,
        complained_person=data.complained_person,
        description=data.description,
        demand=data.demand,
        claimed_loss=data.claimed_loss,
        criteria=join_criteria(criteria, policy),
        grade=grade,
        urgent=data.urgent,
        callback_requested=data.callback_requested,
        is_second=earlier is not None,
        previous_number=earlier["number"] if earlier else None,
    )
    schedule = plan({"status": Status.LOGGED, "received_at": data.received_at,
                     "logged_at": now, "criteria": complaint.criteria},
                    policy.deadlines, cal)
    complaint.next_due = schedule.next_due
    complaint.next_alert_at = schedule.next_alert_at
    await complaint.save()
    # Recorded as data, so the history shows it in the reader's language.
    changes = {"previous_number": [None, earlier["number"]]} if earlier else None
    await _event(complaint.id, now, user_id, "log", "", Status.LOGGED,
                 changes=changes).save()
    if rule:
        # DOMAIN §3: the automatic rule, named in the history.
        await _event(complaint.id, now, None, AUTO_GRADE_EVENT, Status.LOGGED,
                     Status.LOGGED, rule, {"grade": [ticked_grade, grade]}).save()
    await rollup.move_by_id(None, complaint.id, policy, tz)  # DOMAIN §6 statistics
    for up, key in stored:
        await Attachment(
            complaint=complaint.id,
            filename=up.stored_name,
            content_type=up.content_type,
            size=len(up.content),
            storage_key=key,
            uploaded_by=user_id,
            uploaded_at=now,
        ).save()
    return number


AUTO_GRADE_EVENT = "auto-grade"


def subject_of(row: dict) -> Subject:
    return Subject(status=row["status"], department=row["department"],
                   logged_by=row["logged_by"], grade=row["grade"])


def subject_at(row: dict, now: datetime, policy: Policy, cal: BusinessCalendar) -> Subject:
    """The subject with the conditions that depend on the clock (extension, appeal)."""
    return Subject(
        status=row["status"], department=row["department"], logged_by=row["logged_by"],
        grade=row["grade"], extension_pending=row["extension_due"] is not None,
        extension_open=extension_allowed(now, row["result_due"]),
        appeal_open=appeal_allowed(now, row["dispatched_at"], policy.deadlines, cal),
        revisit_state=row["revisit_state"], has_email=bool(row["customer_email"]),
        reopened=row["reopen_count"] > 0, is_second=bool(row["is_second"]),
    )


# Why a condition failed, by action: the key of the message shown (409).
CONDITIONS = {
    Action.REQUEST_EXTENSION: "extension_closed",
    Action.APPROVE_EXTENSION: "no_extension",
    Action.REFUSE_EXTENSION: "no_extension",
    Action.APPEAL: "appeal_closed",
    Action.REVISIT_ATTEMPT: "revisit_closed",
    Action.SEND_SURVEY: "survey_not_possible",
    Action.CLOSE_REVISIT: "not_escalated",
    Action.RESOLVE_ON_SPOT: "reopened",
    Action.LINK_REPEAT: "already_linked",
    Action.UNLINK_REPEAT: "not_linked",
}
REVISIT_ACTIONS = (Action.REVISIT_ATTEMPT, Action.SEND_SURVEY, Action.CLOSE_REVISIT)
REPEAT_ACTIONS = (Action.LINK_REPEAT, Action.UNLINK_REPEAT)
# Shown in a revisit action's history row, but not columns of the complaint.
HISTORY_ONLY = ("outcome", "overall", "speed", "attitude", "solved")


def _deadlines(policy: Policy, grade: str, urgent: bool, start: datetime,
               cal: BusinessCalendar) -> dict:
    dues = compute(policy.deadlines, grade, urgent, start, cal)
    return {DUE_COLUMN[d]: dues[d] for d in Deadline}


def regraded_deadlines(policy: Policy, row: dict, grade: str, urgent: bool,
                       cal: BusinessCalendar) -> dict:
    """DOMAIN §4: deadlines follow the grade and urgency, from the original dispatch; an
    extension the office approved is not silently taken back (kept within the new cap)."""
    dues = _deadlines(policy, grade, urgent, row["clock_start"], cal)
    before = _deadlines(policy, row["grade"], row["urgent"], row["clock_start"], cal)
    if row["result_due"] and row["result_due"] > before["result_due"]:
        dues["result_due"] = min(max(dues["result_due"], row["result_due"]), dues["cap_due"])
    return dues


def _restart(policy: Policy, row: dict, now: datetime, cal: BusinessCalendar) -> dict:
    """A (re)dispatch: the department's clock starts now."""
    return {"dispatched_at": now, "clock_start": now, "acknowledged_at": None,
            "acknowledged_by": None, "first_contact_at": None, "extension_due": None,
            "extension_reason": "",
            **_deadlines(policy, row["grade"], row["urgent"], now, cal)}


# What each action writes besides the status: field -> value, from the validated form.
def _changes_for(action: Action, row: dict, fields: dict, now: datetime, user_id: int,
                 policy: Policy, cal: BusinessCalendar) -> dict:
    a = Action
    if action is a.DISPATCH:
        return {"department": fields["department"],
                **_restart(policy, row, now, cal)}
    if action is a.REGRADE:
        changes = {"grade": fields["grade"]}
        if fields.get("urgent") is not None:
            changes["urgent"] = bool(fields["urgent"])
        grade, urgent = changes["grade"], changes.get("urgent", row["urgent"])
        if row["clock_start"] is not None and (grade, urgent) != (row["grade"], row["urgent"]):
            changes.update(regraded_deadlines(policy, row, grade, urgent, cal))
        return changes
    if action is a.INVALID:
        return {"invalid_kind": fields["kind"], "invalid_reason": fields["reason"],
                "duplicate_of": fields.get("original") or None, "extension_due": None}
    if action is a.ACKNOWLEDGE:
        return {"acknowledged_at": now, "acknowledged_by": user_id}
    if action is a.CONTACT:
        return {} if row["first_contact_at"] else {"first_contact_at": now}
    if action is a.SUBMIT_RESULT:
        return {"cause": fields["cause"], "solution": fields["solution"],
                "corrective_action": fields.get("corrective_action", ""),
                "compensation": fields.get("compensation"), "result_submitted_at": now,
                "result_by": user_id,
                "extension_due": None, "extension_reason": ""}
    if action is a.SIGN_OFF:
        return {"signed_off_at": now}
    if action is a.VERIFY:
        return {"verified_at": now}
    if action is a.SEND_BACK:
        return {"signed_off_at": None}
    if action in (a.REPLY, a.RESOLVE_ON_SPOT):
        # DOMAIN §6: time to resolve in working time on the business calendar, kept whole.
        minutes = cal.working_time_between(row["received_at"], now).total_seconds() // 60
        return {"reply": fields["reply"], "replied_at": now, "resolve_minutes": int(minutes)}
    if action is a.REQUEST_EXTENSION:
        problem = check_extension(fields["new_due"], now, row["result_due"], row["cap_due"])
        if problem:
            raise Invalid("new_due", problem)
        return {"extension_due": fields["new_due"], "extension_reason": fields["reason"],
                "extension_requests": row["extension_requests"] + 1}
    if action is a.APPROVE_EXTENSION:
        # Never past the cap, even if the cap moved (re-grade) since the request.
        return {"result_due": min(row["extension_due"], row["cap_due"]), "extension_due": None,
                "extension_reason": ""}
    if action is a.REFUSE_EXTENSION:
        return {"extension_due": None, "extension_reason": ""}
    if action is a.APPEAL:
        return {"appeal_kind": fields["kind"], "appeal_reason": fields["reason"]}
    if action is a.APPEAL_REASSIGN:
        if fields["department"] == row["department"]:
            raise Invalid("department", "same_department")
        return {"department": fields["department"], **_restart(policy, row, now, cal)}
    if action is a.ASSIGN:
        return {"assignee": fields["assignee_id"]}
    if action is a.URGE:
        return {"urge_count": row["urge_count"] + 1}
    return {}


# Fields recorded in the history as "from → to" (timestamps are the event's own time).
_AUDITED = {"department", "grade", "urgent", "invalid_kind", "appeal_kind", "duplicate_of",
            "compensation", "acknowledge_due", "contact_due", "result_due", "cap_due",
            "extension_due", "revisit_state", "revisit_attempts", "satisfaction", "reopen_count",
            "previous_number", "criteria"}


async def sent_alerts(complaint_id: int) -> list[tuple[str, str, datetime]]:
    rows = await DeadlineAlert.select(DeadlineAlert.kind, DeadlineAlert.deadline,
                                      DeadlineAlert.due).where(DeadlineAlert.complaint == complaint_id)
    return [(r["kind"], r["deadline"], r["due"]) for r in rows]


def _note_of(action: Action, fields: dict) -> str:
    if action is Action.SUBMIT_RESULT:
        return fields["solution"]
    return fields.get("reason") or fields.get("note") or fields.get("reply") or ""


async def perform(number: str, action: Action, viewer: Viewer, version: int | None,
                  fields: dict, now: datetime, env: Env, uploads: list[Upload] = (),
                  attachments_dir: Path | None = None) -> dict:
    """Checks and applies one workflow action; returns the updated complaint row."""
    from db import corrections, revisits  # they build on this module: imported late

    policy = env.policy
    cal = await env.calendar()
    stored = [(up, store(attachments_dir, up.content)) for up in uploads] if uploads else []
    try:
        async with atomic():
            row = await Complaint.select().where(Complaint.number == number).first()
            if row is None or not can_view(viewer, subject_of(row)):
                raise NotVisible()
            subject = subject_at(row, now, policy, cal)
            if not role_allows(action, viewer, subject):
                raise NotPermitted()
            if not status_allows(action, row["status"]):
                raise NotNow("status")
            versioned = action not in UNVERSIONED
            if versioned and (version is None or version != row["version"]):
                raise NotNow("stale")
            if not condition_allows(action, subject):
                raise NotNow(CONDITIONS[action])
            if action is Action.ASSIGN:
                fields = {**fields, "assignee_id": await assignable(fields["assignee"],
                                                                    row["department"])}
            if action in REVISIT_ACTIONS:
                changes = await revisits.revisit_changes(action, row, fields, now, viewer.id,
                                                         env, cal)
            elif action in REPEAT_ACTIONS:
                changes = await corrections.repeat_link_changes(action, row, fields, policy, cal)
            else:
                changes = _changes_for(action, row, fields, now, viewer.id, policy, cal)
            changes = follows_department(row, changes)
            shown = {k: [None, changes.pop(k)] for k in HISTORY_ONLY if k in changes}
            to_status = changes.pop("status", None) or next_status(
                action, row["status"], row["acknowledged_at"] is not None)
            after = {**row, **changes, "status": to_status}
            schedule = plan(after, policy.deadlines, cal, await sent_alerts(row["id"]))
            changes["next_due"] = schedule.next_due
            changes["next_alert_at"] = schedule.next_alert_at
            # DOMAIN §8: the anonymization counts its years from the closing.
            changes["closed_at"] = closed_at_after(row["status"], to_status, row["closed_at"],
                                                   now)
            values = {getattr(Complaint, k): v for k, v in changes.items()}
            values[Complaint.status] = to_status
            values[Complaint.version] = row["version"] + (1 if versioned else 0)
            updated = await Complaint.update(values).where(
                (Complaint.id == row["id"]) & (Complaint.version == row["version"])
            ).returning(Complaint.id)
            if not updated:
                raise NotNow("stale")
            audited = {**shown, **{k: [row[k], v] for k, v in changes.items()
                                   if k in _AUDITED and row[k] != v}}
            if "assignee" in changes and changes["assignee"] != row["assignee"]:
                names = await user_names({i for i in (row["assignee"], changes["assignee"]) if i})
                audited["assignee"] = [names.get(row["assignee"]), names.get(changes["assignee"])]
            await _event(row["id"], now, viewer.id, action.value, row["status"], to_status,
                         _note_of(action, fields), audited).save()
            for up, key in stored:
                await Attachment(complaint=row["id"], filename=up.stored_name,
                                 content_type=up.content_type, size=len(up.content),
                                 storage_key=key, uploaded_by=viewer.id, uploaded_at=now).save()
            await _notify_for(action, row, after, now, env, viewer.id)
            if action in (Action.REPLY, Action.RESOLVE_ON_SPOT):
                await revisits.after_reply(after, now, env)  # DOMAIN §5: the revisit draw
            elif action is Action.REVISIT_ATTEMPT:
                await revisits.notify_outcome(row, after, now, env)
            final = await rollup.move_by_id(row, row["id"], policy, env.tz)  # DOMAIN §6
    except BaseException:
        for _up, key in stored:
            (attachments_dir / key).unlink(missing_ok=True)
        raise
    return final


async def assignable(username: str, department: str | None) -> int:
    """The id of an active handler or head of the department, else Invalid (422)."""
    row = await User.select(User.id).where(
        (User.username == (username or "").strip()) & User.is_active.eq(True)
        & (User.department == department) & User.role.is_in([Role.HANDLER, Role.DEPT_HEAD])
    ).first() if department else None
    if row is None:
        raise Invalid("assignee", "not_assignable")
    return row["id"]


async def _notify_for(action: Action, before: dict, after: dict, now: datetime, env: Env,
                      actor: int | None = None) -> None:
    a, mailing = Action, env.mailing
    heads = (Role.DEPT_HEAD,)
    if action in (a.DISPATCH, a.APPEAL_REASSIGN):
        await notify(await department_users(after["department"]), after, "dispatched", now,
                     mailing)
        if action is a.APPEAL_REASSIGN:
            await notify(await department_users(before["department"], heads), after,
                         "appeal_reassigned", now, mailing)
    elif action is a.SEND_BACK:
        await notify(await department_users(after["department"]), after, "sent_back", now,
                     mailing)
    elif action in (a.REPLY, a.RESOLVE_ON_SPOT):
        # DOMAIN §4: the first responder stays accountable and hears the outcome.
        await notify([after["logged_by"]], after, "replied", now, mailing)
    elif action in (a.REQUEST_EXTENSION, a.APPEAL):
        kind = "extension_requested" if action is a.REQUEST_EXTENSION else "appealed"
        await notify(await role_users(Role.OFFICE), after, kind, now, mailing)
    elif action in (a.APPROVE_EXTENSION, a.REFUSE_EXTENSION):
        kind = "extension_approved" if action is a.APPROVE_EXTENSION else "extension_refused"
        await notify(await department_users(after["department"], heads), after, kind, now,
                     mailing, due=after["result_due"])
    elif action is a.APPEAL_UPHOLD:
        await notify(await department_users(after["department"], heads), after,
                     "appeal_upheld", now, mailing)
    elif action is a.ASSIGN:
        if after["assignee"] != before["assignee"]:
            await notify([after["assignee"]], after, "assigned", now, mailing)
    elif action is a.RETURN_TO_HANDLER:
        # Back to whoever has it, else to whoever wrote the result (while still one of the
        # department's people), else to the department's handlers.
        target = await current_assignee(after) or await current_assignee(
            {**after, "assignee": after["result_by"]})
        users = [target] if target else await department_users(after["department"],
                                                               (Role.HANDLER,))
        await notify(users, after, "returned", now, mailing)
    elif action is a.NOTE:
        assignee = await current_assignee(after)
        if assignee and assignee != actor:
            await notify([assignee], after, "noted", now, mailing)
    elif action is a.URGE:
        # DOMAIN §4 催办: at once to the department head and to the person who has it.
        users = await department_users(after["department"], heads)
        assignee = await current_assignee(after)
        if assignee and assignee not in users:
            users.append(assignee)
        await notify(users, after, "urged", now, mailing)
