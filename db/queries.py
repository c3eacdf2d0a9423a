"""The reads the pages need, named by what they return. Lists are keyset-paginated so a
page costs the same at row 10 as at row 1,000,000."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime

from db.tables import Attachment, Complaint, ComplaintEvent, Department, Notification, User
from portal.contact import normalize_phone
from portal.workflow import DEPARTMENT_OPEN, Status

PAGE_SIZE = 25
# Columns a list row shows; never the whole record.
LIST_COLUMNS = (
    Complaint.id,
    Complaint.number,
    Complaint.status,
    Complaint.grade,
    Complaint.urgent,
    Complaint.is_second,
    Complaint.received_at,
    Complaint.logged_at,
    Complaint.category,
    Complaint.channel,
    Complaint.customer_name,
    Complaint.customer_phone,
    Complaint.customer_email,
    Complaint.department,
    Complaint.description,
    Complaint.next_due,
    Complaint.assignee,
    Complaint.anonymized_at,  # DOMAIN §8: the list says so instead of an empty customer
)


async def departments() -> list[dict]:
    return await Department.select().order_by(Department.id)


async def department_codes() -> set[str]:
    return {d["code"] for d in await Department.select(Department.code)}


async def complaint_by_number(number: str) -> dict | None:
    return await Complaint.select().where(Complaint.number == number).first()


async def history_of(complaint_id: int) -> list[dict]:
    return await (
        ComplaintEvent.select(
            ComplaintEvent.id,
            ComplaintEvent.at,
            ComplaintEvent.action,
            ComplaintEvent.from_status,
            ComplaintEvent.to_status,
            ComplaintEvent.note,
            ComplaintEvent.changes,
            ComplaintEvent.actor.display_name.as_alias("actor_name"),
        )
        .where(ComplaintEvent.complaint == complaint_id)
        .order_by(ComplaintEvent.id)
    )


async def office_grade(complaint_id: int) -> str | None:
    """The grade the office last set by hand (re-grade), if it ever changed it."""
    rows = await ComplaintEvent.select(ComplaintEvent.changes).where(
        (ComplaintEvent.complaint == complaint_id) & (ComplaintEvent.action == "regrade")
    ).order_by(ComplaintEvent.id, ascending=False)
    for row in rows:
        grade = json.loads(row["changes"] or "{}").get("grade")
        if grade:
            return grade[1]
    return None


async def attachments_of(complaint_id: int) -> list[dict]:
    return await Attachment.select().where(Attachment.complaint == complaint_id).order_by(
        Attachment.id
    )


async def assignable_staff(department: str | None) -> list[dict]:
    """Active handlers and heads of a department: whom its head may give a complaint to."""
    if not department:
        return []
    return await User.select(User.id, User.username, User.display_name, User.role).where(
        (User.department == department) & User.is_active.eq(True)
        & User.role.is_in(["handler", "dept_head"])).order_by(User.display_name)


async def user_names(ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = await User.select(User.id, User.display_name).where(User.id.is_in(list(ids)))
    return {r["id"]: r["display_name"] for r in rows}


async def linked_complaints(complaint: dict) -> list[dict]:
    """The earlier complaint it repeats, the original it duplicates, and later repeats of it."""
    numbers = [n for n in (complaint["previous_number"], complaint["duplicate_of"]) if n]
    where = Complaint.previous_number == complaint["number"]
    if numbers:
        where = where | Complaint.number.is_in(numbers)
    return await (
        Complaint.select(Complaint.number, Complaint.status, Complaint.received_at,
                         Complaint.previous_number)
        .where(where)
        .order_by(Complaint.id)
        .limit(20)
    )


async def earlier_complaints(phone: str, email: str, since, exclude_id: int | None = None,
                             limit: int = 20, before_id: int | None = None) -> list[dict]:
    """DOMAIN §4: the customer's complaints (same phone or email) since `since`, newest first,
    with what portal.repeats compares to decide whether one is the same matter. `before_id`:
    only those logged before that complaint (checking a saved one again). An anonymized
    complaint (DOMAIN §8) is nobody's any more: its erased contacts never match."""
    conditions = []
    if phone:
        conditions.append(Complaint.customer_phone == normalize_phone(phone))
    if email:
        conditions.append(Complaint.customer_email == email.strip())
    if not conditions:
        return []
    match = conditions[0]
    for extra in conditions[1:]:
        match = match | extra
    query = Complaint.select(
        Complaint.id, Complaint.number, Complaint.received_at, Complaint.logged_at,
        Complaint.status, Complaint.grade, Complaint.category, Complaint.product, Complaint.order_no,
        Complaint.description, Complaint.department, Complaint.logged_by,
    ).where(match & (Complaint.logged_at >= since) & Complaint.anonymized_at.is_null())
    if exclude_id:
        query = query.where(Complaint.id != exclude_id)
    if before_id:
        query = query.where(Complaint.id < before_id)
    return await query.order_by(Complaint.id, ascending=False).limit(limit)


async def last_choice(user_id: int) -> dict | None:
    """The channel and category of the last complaint this user logged (issue 12: the intake
    form starts from them), or None for someone who never logged one."""
    return await Complaint.select(Complaint.channel, Complaint.category).where(
        Complaint.logged_by == user_id).order_by(Complaint.id, ascending=False).first()


async def customer_details(complaint_id: int) -> dict | None:
    """The customer as an earlier complaint recorded them (the intake's one-click fill)."""
    return await Complaint.select(
        Complaint.number, Complaint.customer_name, Complaint.customer_phone,
        Complaint.customer_email, Complaint.customer_address,
    ).where(Complaint.id == complaint_id).first()


async def repeat_of(matter, phone: str, email: str, since, exclude_id: int | None = None,
                    before_id: int | None = None):
    """(the earlier complaint of the same matter or None, why, every earlier one)."""
    from portal.repeats import Matter, first_repeat

    earlier = await earlier_complaints(phone, email, since, exclude_id, before_id=before_id)
    found = first_repeat(matter, [(r, Matter(r["category"], r["product"], r["order_no"],
                                             r["description"])) for r in earlier])
    return (found[0], found[1], earlier) if found else (None, None, earlier)


@dataclass
class ListFilter:
    department: str | None = None
    status: str = "open"  # "open", "all", or a Status value
    grade: str = ""
    urgent: bool = False
    q: str = ""
    before: int | None = None  # keyset cursor of the newest-first order: a smaller id
    logged_by: int | None = None
    statuses: tuple[str, ...] = field(default_factory=tuple)
    sort: str = "due"  # "due": nearest deadline first, then the rest newest first; "new"
    after: str = ""  # keyset cursor of the deadline order (see due_cursor)
    extension_pending: bool = False
    assignee: int | None = None  # `assigned=me`: given to this user by the department head


def _search_condition(q: str):
    """The one search condition of every list (db/search.py)."""
    from db.search import search_condition
    from portal.search import parse_query

    return search_condition(parse_query(q))


def due_cursor(row: dict) -> str:
    """The deadline order's cursor: 'd<epoch µs>.<id>' among running deadlines, 'n<id>' after."""
    if row["next_due"] is None:
        return f"n{row['id']}"
    return f"d{int(row['next_due'].timestamp() * 1_000_000)}.{row['id']}"


def _parse_due_cursor(cursor: str):
    try:
        if cursor.startswith("n"):
            return None, int(cursor[1:])
        if cursor.startswith("d"):
            micros, ident = cursor[1:].split(".", 1)
            return datetime.fromtimestamp(int(micros) / 1_000_000, UTC), int(ident)
    except (ValueError, OverflowError):
        pass
    return "bad", 0


def _filtered(f: ListFilter):
    query = Complaint.select(*LIST_COLUMNS)
    if f.department:
        query = query.where(Complaint.department == f.department)
    if f.logged_by is not None:
        query = query.where(Complaint.logged_by == f.logged_by)
    if f.status == "open":
        query = query.where(Complaint.status.is_in(list(f.statuses or DEPARTMENT_OPEN)))
    elif f.status in Status.__members__.values():
        query = query.where(Complaint.status == f.status)
    if f.grade:
        query = query.where(Complaint.grade == f.grade)
    if f.urgent:
        query = query.where(Complaint.urgent.eq(True))
    if f.q.strip():
        query = query.where(_search_condition(f.q))
    if f.extension_pending:
        query = query.where(Complaint.extension_due.is_not_null())
    if f.assignee is not None:
        query = query.where(Complaint.assignee == f.assignee)
    return query


async def complaint_page(f: ListFilter, page_size: int = PAGE_SIZE) -> tuple[list[dict], object]:
    """One page of complaints and the cursor of the next page (or None). The deadline order
    reads two index ranges: running deadlines soonest first, then the rest newest first."""
    if f.sort == "due":
        return await _due_page(f, page_size)
    query = _filtered(f)
    if f.before:
        query = query.where(Complaint.id < f.before)
    rows = await query.order_by(Complaint.id, ascending=False).limit(page_size + 1)
    next_cursor = rows[page_size - 1]["id"] if len(rows) > page_size else None
    return rows[:page_size], next_cursor


async def _due_page(f: ListFilter, page_size: int) -> tuple[list[dict], str | None]:
    due, ident = _parse_due_cursor(f.after) if f.after else (None, None)
    rows: list[dict] = []
    if due != "bad" and not (f.after and due is None):
        query = _filtered(f).where(Complaint.next_due.is_not_null())
        if due is not None:
            query = query.where((Complaint.next_due > due)
                                | ((Complaint.next_due == due) & (Complaint.id > ident)))
        rows = await query.order_by(Complaint.next_due, Complaint.id).limit(page_size + 1)
    if len(rows) <= page_size and due != "bad":
        query = _filtered(f).where(Complaint.next_due.is_null())
        if f.after and due is None:
            query = query.where(Complaint.id < ident)
        rows += await query.order_by(Complaint.id, ascending=False).limit(page_size + 1 - len(rows))
    next_cursor = due_cursor(rows[page_size - 1]) if len(rows) > page_size else None
    return rows[:page_size], next_cursor


async def triage_page(offset: int, page_size: int = PAGE_SIZE) -> tuple[list[dict], int]:
    """Newly logged complaints: urgent first, then the nearest dispatch target (one working
    day after receipt, so the oldest first)."""
    where = Complaint.status == Status.LOGGED
    rows = await (
        Complaint.select(*LIST_COLUMNS)
        .where(where)
        .order_by(Complaint.urgent, ascending=False)
        .order_by(Complaint.next_due, Complaint.id)
        .offset(offset)
        .limit(page_size)
    )
    total = await Complaint.count().where(where)
    return rows, total


async def status_counts(statuses: list[str]) -> dict[str, int]:
    """How many complaints wait in each of a few statuses (one indexed count each)."""
    return {s: await Complaint.count().where(Complaint.status == s) for s in statuses}


async def extension_requests() -> int:
    return await Complaint.count().where(Complaint.extension_due.is_not_null())


async def unread_count(user_id: int) -> int:
    return await Notification.count().where(
        (Notification.user == user_id) & Notification.read_at.is_null()
    )


async def notifications_of(user_id: int, limit: int = 50, before: int | None = None) -> list[dict]:
    """A user's notifications, newest first; `before` is the keyset cursor (a smaller id)."""
    where = Notification.user == user_id
    if before is not None:
        where = where & (Notification.id < before)
    return await (
        Notification.select(
            Notification.id,
            Notification.kind,
            Notification.detail,
            Notification.created_at,
            Notification.read_at,
            Notification.complaint.number.as_alias("number"),
        )
        .where(where)
        .order_by(Notification.id, ascending=False)
        .limit(limit)
    )
