"""Every state change: one transaction that writes the change and its history row."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, tzinfo
from decimal import Decimal
from pathlib import Path

from db.queries import earlier_complaint
from db.tables import Attachment, Complaint, ComplaintEvent, Notification, User
from db.transactions import atomic
from portal.attachments import Upload, store
from portal.contact import normalize_email, normalize_phone
from portal.grading import grade_for, join_criteria
from portal.numbering import format_number
from portal.policy import Policy
from portal.timeutil import months_before
from portal.workflow import (
    Action,
    Status,
    Subject,
    Viewer,
    can_view,
    next_status,
    role_allows,
    status_allows,
)


class NotVisible(Exception):
    """The user may not see this complaint: answer 404, as if it did not exist."""


class NotPermitted(Exception):
    """The user sees it but may not take this action: 403."""


class NotNow(Exception):
    """The action is not allowed in the current status, or the edit is stale: 409."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # "status" or "stale"


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


async def log_complaint(data: IntakeData, user_id: int, uploads: list[Upload], now: datetime,
                        policy: Policy, attachments_dir: Path, tz: tzinfo) -> str:
    """登记: saves a new complaint with its first history row; returns its number."""
    # Files are written before the transaction (file systems do not roll back) and removed
    # again if the transaction fails, so a failed intake leaves nothing behind.
    stored = [(up, store(attachments_dir, up.content)) for up in uploads]
    try:
        async with atomic():
            # Numbers count by the company's local calendar year.
            number = await next_complaint_number(now.astimezone(tz).year)
            phone = normalize_phone(data.customer_phone)
            email = normalize_email(data.customer_email)
            earlier = await earlier_complaint(
                phone, email, months_before(now, policy.second_complaint_months)
            )
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
                criteria=join_criteria(data.criteria, policy),
                grade=grade_for(data.criteria, policy) or "M",
                urgent=data.urgent,
                is_second=earlier is not None,
                previous_number=earlier["number"] if earlier else None,
            )
            await complaint.save()
            # Recorded as data, so the history shows it in the reader's language.
            changes = {"previous_number": [None, earlier["number"]]} if earlier else None
            await _event(complaint.id, now, user_id, "log", "", Status.LOGGED,
                         changes=changes).save()
            for up, key in stored:
                await Attachment(
                    complaint=complaint.id,
                    filename=up.filename,
                    content_type=up.content_type,
                    size=len(up.content),
                    storage_key=key,
                    uploaded_by=user_id,
                    uploaded_at=now,
                ).save()
    except BaseException:
        for _up, key in stored:
            (attachments_dir / key).unlink(missing_ok=True)
        raise
    return number


def subject_of(row: dict) -> Subject:
    return Subject(status=row["status"], department=row["department"],
                   logged_by=row["logged_by"], grade=row["grade"])


async def _department_users(code: str) -> list[int]:
    rows = await User.select(User.id).where(
        (User.department == code) & User.is_active.eq(True)
        & User.role.is_in(["handler", "dept_head"])
    )
    return [r["id"] for r in rows]


async def _notify(user_ids, complaint_id: int, kind: str, now: datetime) -> None:
    rows = [Notification(user=uid, complaint=complaint_id, kind=kind, created_at=now)
            for uid in dict.fromkeys(user_ids)]
    if rows:
        await Notification.insert(*rows)


# What each action writes besides the status: field -> value, from the validated form.
def _changes_for(action: Action, row: dict, fields: dict, now: datetime, user_id: int) -> dict:
    a = Action
    if action is a.DISPATCH:
        return {"department": fields["department"], "dispatched_at": now}
    if action is a.REGRADE:
        return {"grade": fields["grade"]}
    if action is a.INVALID:
        return {"invalid_kind": fields["kind"], "invalid_reason": fields["reason"],
                "duplicate_of": fields.get("original") or None}
    if action is a.ACKNOWLEDGE:
        return {"acknowledged_at": now, "acknowledged_by": user_id}
    if action is a.CONTACT:
        return {} if row["first_contact_at"] else {"first_contact_at": now}
    if action is a.SUBMIT_RESULT:
        return {"cause": fields["cause"], "solution": fields["solution"],
                "corrective_action": fields.get("corrective_action", ""),
                "compensation": fields.get("compensation"), "result_submitted_at": now}
    if action is a.SIGN_OFF:
        return {"signed_off_at": now}
    if action is a.VERIFY:
        return {"verified_at": now}
    if action is a.SEND_BACK:
        return {"signed_off_at": None}
    if action in (a.REPLY, a.RESOLVE_ON_SPOT):
        return {"reply": fields["reply"], "replied_at": now}
    return {}


# Fields recorded in the history as "from → to" (timestamps are the event's own time).
_AUDITED = {"department", "grade", "invalid_kind", "duplicate_of", "compensation"}


async def perform(number: str, action: Action, viewer: Viewer, version: int | None,
                  fields: dict, now: datetime) -> dict:
    """Checks and applies one workflow action; returns the updated complaint row."""
    async with atomic():
        row = await Complaint.select().where(Complaint.number == number).first()
        if row is None or not can_view(viewer, subject_of(row)):
            raise NotVisible()
        if not role_allows(action, viewer, subject_of(row)):
            raise NotPermitted()
        if not status_allows(action, row["status"]):
            raise NotNow("status")
        if version is None or version != row["version"]:
            raise NotNow("stale")
        changes = _changes_for(action, row, fields, now, viewer.id)
        to_status = next_status(action, row["status"])
        values = {getattr(Complaint, k): v for k, v in changes.items()}
        values[Complaint.status] = to_status
        values[Complaint.version] = row["version"] + 1
        updated = await Complaint.update(values).where(
            (Complaint.id == row["id"]) & (Complaint.version == row["version"])
        ).returning(Complaint.id)
        if not updated:
            raise NotNow("stale")
        audited = {k: [row[k], v] for k, v in changes.items() if k in _AUDITED and row[k] != v}
        note = fields.get("reason") or fields.get("note") or fields.get("reply") or ""
        if action is Action.SUBMIT_RESULT:
            note = fields["solution"]
        await _event(row["id"], now, viewer.id, action.value, row["status"], to_status, note,
                     audited).save()
        if action is Action.DISPATCH:
            await _notify(await _department_users(fields["department"]), row["id"],
                          "dispatched", now)
        elif action is Action.SEND_BACK:
            await _notify(await _department_users(row["department"]), row["id"], "sent_back",
                          now)
        elif action in (Action.REPLY, Action.RESOLVE_ON_SPOT):
            # DOMAIN §4: the first responder stays accountable and hears the outcome.
            await _notify([row["logged_by"]], row["id"], "replied", now)
    return await Complaint.select().where(Complaint.id == row["id"]).first()
