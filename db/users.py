"""Users and departments as the administrator changes them, each change with its
admin_event row in the same transaction; set-password links and the one password setter."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from enum import StrEnum

from db.notify import Mailing
from db.tables import AdminEvent, Complaint, Department, OutboxEmail, SetPasswordLink, User
from db.transactions import atomic, is_sqlite
from portal.accounts import LINK_LIFETIME, changes, new_token, set_password_email, token_hash
from portal.auth import hash_password
from portal.workflow import FINISHED, Role

USER_FIELDS = ("username", "display_name", "email", "role", "department", "language",
               "is_active")
PER_PAGE = 50


class LinkState(StrEnum):
    OPEN = "open"
    USED = "used"
    EXPIRED = "expired"
    UNKNOWN = "unknown"


async def set_password(user_id: int, password: str, *, now, keep: str | None = None) -> int:
    """Every password change goes through here (set-password link, admin create, and the
    user's own change). ASVS 3.3.3: it ends the user's sessions, all but `keep` (the token of
    the session that changed its own password); returns how many ended."""
    from db.sessions import end_sessions

    async with atomic():
        await User.update({User.password_hash: hash_password(password)}).where(
            User.id == user_id)
        return await end_sessions(user_id, now=now, keep=keep)


async def record(actor_id: int | None, kind: str, target: str, detail: dict,
                 now: datetime) -> None:
    await AdminEvent.insert(AdminEvent(at=now, actor=actor_id, kind=kind, target=target,
                                       detail=json.dumps(detail, ensure_ascii=False,
                                                         default=str)))


async def events_of(target: str, limit: int = 100) -> list[dict]:
    rows = await (AdminEvent.select(AdminEvent.at, AdminEvent.kind, AdminEvent.detail,
                                    AdminEvent.actor.display_name.as_alias("actor_name"))
                  .where(AdminEvent.target == target)
                  .order_by(AdminEvent.at, ascending=False).order_by(AdminEvent.id,
                                                                     ascending=False)
                  .limit(limit))
    for r in rows:
        r["detail"] = json.loads(r["detail"] or "{}")
    return rows


# -- users -------------------------------------------------------------------------------

def _filter(q: str):
    where = User.id.is_not_null()
    q = q.strip()
    if q:
        pattern = f"%{q}%"
        # SQLite's LIKE already ignores ASCII case; PostgreSQL needs ILIKE.
        like = "like" if is_sqlite() else "ilike"
        where &= (getattr(User.username, like)(pattern) | getattr(User.display_name, like)(pattern)
                  | getattr(User.department, like)(pattern))
    return where


async def list_users(q: str = "", page: int = 1) -> tuple[list[dict], int]:
    where = _filter(q)
    total = await User.count().where(where)
    rows = await (User.select(*[getattr(User, f) for f in USER_FIELDS], User.id)
                  .where(where).order_by(User.username)
                  .offset((max(page, 1) - 1) * PER_PAGE).limit(PER_PAGE))
    return rows, total


async def user_by_username(username: str) -> dict | None:
    return await User.select(*[getattr(User, f) for f in USER_FIELDS], User.id).where(
        User.username == username).first()


async def username_taken(username: str) -> bool:
    return await User.exists().where(User.username == username)


async def other_active_admins(user_id: int) -> int:
    return await User.count().where((User.role == Role.ADMIN) & User.is_active.eq(True)
                                    & (User.id != user_id))


async def _issue_link(user: dict, actor_id: int | None, now: datetime, mailing: Mailing) -> None:
    """A new link supersedes the user's open ones; the email goes into the outbox."""
    await SetPasswordLink.update({SetPasswordLink.used_at: now}).where(
        (SetPasswordLink.user == user["id"]) & SetPasswordLink.used_at.is_null())
    token, digest = new_token()
    expires = now + LINK_LIFETIME
    await SetPasswordLink.insert(SetPasswordLink(user=user["id"], token_hash=digest,
                                                 created_at=now, expires_at=expires,
                                                 created_by=actor_id))
    subject, body = set_password_email(user["display_name"], user["username"],
                                       f"{mailing.base_url}/set-password/{token}", expires,
                                       user["language"], mailing.tz)
    await OutboxEmail.insert(OutboxEmail(recipient=user["email"], subject=subject, body=body,
                                         message_id=f"<{uuid.uuid4().hex}@{mailing.domain}>",
                                         created_at=now, next_attempt_at=now, attempts=0))


async def create_user(values: dict, password: str, actor_id: int, now: datetime,
                      mailing: Mailing) -> int:
    """values: the USER_FIELDS but is_active. An empty password emails a set-password link."""
    async with atomic():
        user = User(**values, is_active=True, password_hash="")
        await user.save()
        row = {**values, "id": user.id}
        if password:
            await set_password(user.id, password, now=now)
        else:
            await _issue_link(row, actor_id, now, mailing)
        await record(actor_id, "user-create", f"user:{values['username']}",
                     {**changes({}, values), **({"password": ["", "set"]} if password
                                                else {"set-password-link": ["", "sent"]})},
                     now)
        return user.id


async def update_user(user_id: int, values: dict, actor_id: int, now: datetime) -> dict:
    """Applies the changed fields; returns {field: [before, after]} (empty: nothing to do)."""
    async with atomic():
        before = await User.select(*[getattr(User, f) for f in USER_FIELDS]).where(
            User.id == user_id).first()
        diff = changes(before, values)
        if diff:
            await User.update({getattr(User, k): v for k, (_, v) in diff.items()}).where(
                User.id == user_id)
            await record(actor_id, "user-update", f"user:{before['username']}", diff, now)
        return diff


async def send_password_link(user_id: int, actor_id: int, now: datetime,
                             mailing: Mailing) -> None:
    async with atomic():
        user = await User.select(User.id, User.username, User.display_name, User.email,
                                 User.language).where(User.id == user_id).first()
        await _issue_link(user, actor_id, now, mailing)
        await record(actor_id, "reset-password", f"user:{user['username']}",
                     {"set-password-link": ["", "sent"]}, now)


async def open_link(token: str, now: datetime) -> tuple[LinkState, dict | None]:
    row = await (SetPasswordLink.select(
        SetPasswordLink.id, SetPasswordLink.expires_at, SetPasswordLink.used_at,
        SetPasswordLink.user.id.as_alias("user_id"),
        SetPasswordLink.user.username.as_alias("username"),
        SetPasswordLink.user.is_active.as_alias("is_active"))
        .where(SetPasswordLink.token_hash == token_hash(token)).first())
    if row is None:
        return LinkState.UNKNOWN, None
    if row["used_at"] is not None or not row["is_active"]:
        return LinkState.USED, row
    if row["expires_at"] <= now:
        return LinkState.EXPIRED, row
    return LinkState.OPEN, row


async def use_link(token: str, password: str, now: datetime) -> LinkState:
    """Sets the password once: the link is marked used in the same transaction, and only
    if nobody used it a moment earlier (the UPDATE's condition, not a read before it)."""
    async with atomic():
        state, row = await open_link(token, now)
        if state != LinkState.OPEN:
            return state
        claimed = await SetPasswordLink.update({SetPasswordLink.used_at: now}).where(
            (SetPasswordLink.id == row["id"]) & SetPasswordLink.used_at.is_null()
        ).returning(SetPasswordLink.id)
        if not claimed:
            return LinkState.USED
        await set_password(row["user_id"], password, now=now)
        await record(row["user_id"], "set-password", f"user:{row['username']}",
                     {"password": ["", "set"]}, now)
        return LinkState.OPEN


# -- departments -------------------------------------------------------------------------

async def departments_with_staff() -> list[dict]:
    departments = await Department.select().order_by(Department.code)
    staff = await (User.select(User.username, User.display_name, User.role, User.department,
                               User.is_active)
                   .where(User.department.is_not_null()
                          & User.role.is_in([Role.HANDLER, Role.DEPT_HEAD]))
                   .order_by(User.username))
    for d in departments:
        members = [u for u in staff if u["department"] == d["code"]]
        d["heads"] = [u for u in members if u["role"] == Role.DEPT_HEAD]
        d["handlers"] = [u for u in members if u["role"] == Role.HANDLER]
    return departments


async def department(code: str) -> dict | None:
    return await Department.select().where(Department.code == code).first()


async def active_department_codes() -> set[str]:
    return {d["code"] for d in await Department.select(Department.code).where(
        Department.is_active.eq(True))}


async def create_department(code: str, name_zh: str, name_en: str, actor_id: int,
                            now: datetime) -> None:
    async with atomic():
        await Department.insert(Department(code=code, name_zh=name_zh, name_en=name_en,
                                           is_active=True))
        await record(actor_id, "department-create", f"department:{code}",
                     {"code": ["", code], "name_zh": ["", name_zh], "name_en": ["", name_en]},
                     now)


async def update_department(code: str, values: dict, actor_id: int, now: datetime) -> dict:
    async with atomic():
        before = await Department.select().where(Department.code == code).first()
        diff = changes(before, values)
        if diff:
            await Department.update({getattr(Department, k): v for k, (_, v) in diff.items()}
                                    ).where(Department.code == code)
            await record(actor_id, "department-update", f"department:{code}", diff, now)
        return diff


async def open_complaints_of(code: str) -> int:
    return await Complaint.count().where((Complaint.department == code)
                                         & Complaint.status.not_in(list(FINISHED)))


async def deactivate_department(code: str, actor_id: int, now: datetime) -> int:
    """Deactivates; refused (returns the count) while the department has open complaints.
    Counted inside the transaction that writes, so a dispatch cannot slip in between."""
    async with atomic():
        still_open = await open_complaints_of(code)
        if still_open:
            return still_open
        await update_department(code, {"is_active": False}, actor_id, now)
        return 0


# -- import ------------------------------------------------------------------------------

async def import_context() -> tuple[dict[str, dict], dict[str, str]]:
    """What portal.staff_import.judge compares with: users and active departments."""
    users = {u["username"]: {"name": u["display_name"], "email": u["email"], "role": u["role"],
                             "department": u["department"] or ""}
             for u in await User.select(User.username, User.display_name, User.email,
                                        User.role, User.department)}
    departments = {d["code"]: d["name_zh"] for d in await Department.select(
        Department.code, Department.name_zh).where(Department.is_active.eq(True))}
    return users, departments


IMPORT_EVENT = "user-import"


class AlreadyImported(Exception):
    """This preview was confirmed before: its rows are not written a second time."""

    def __init__(self, done: dict) -> None:
        super().__init__(done)
        self.at, self.by = done["at"], done["actor_name"]


async def import_done(key: str) -> dict | None:
    """When and by whom the preview `key` was imported, or None."""
    return await (AdminEvent.select(AdminEvent.at,
                                    AdminEvent.actor.display_name.as_alias("actor_name"))
                  .where((AdminEvent.kind == IMPORT_EVENT)
                         & (AdminEvent.target == f"import:{key}"))
                  .first())


async def import_users(rows: list, actor_id: int, now: datetime, mailing: Mailing, *,
                       key: str) -> int:
    """Writes judged rows (new or changed; none may be an error) in one transaction; new
    users get a set-password email. Returns how many users were written. `key` is the
    preview's id: a preview is imported once, a second confirmation raises AlreadyImported
    and writes nothing."""
    written = 0
    async with atomic():
        if not is_sqlite():
            # Two confirmations at once wait for each other here (SQLite's write lock does
            # that already), so the second finds the first one's record.
            await AdminEvent.raw("SELECT pg_advisory_xact_lock(hashtext('portal.user-import'))")
        done = await import_done(key)
        if done is not None:
            raise AlreadyImported(done)
        for row in rows:
            v = row.values
            values = {"username": v["username"], "display_name": v["name"], "email": v["email"],
                      "role": v["role"], "department": v["department"] or None}
            if row.status == "new":
                await create_user({**values, "language": "zh_CN"}, "", actor_id, now, mailing)
                written += 1
            elif row.status == "changed":
                existing = await User.select(User.id).where(
                    User.username == v["username"]).first()
                await update_user(existing["id"], values, actor_id, now)
                written += 1
        await record(actor_id, IMPORT_EVENT, f"import:{key}",
                     {"rows": len(rows), "written": written}, now)
    return written
