"""DOMAIN §5 revisit (回访) and survey: the writes behind the revisit actions, the public
survey's answer, the sweep's return of unanswered surveys, and the queue's reads. Every
write runs inside the caller's transaction (or its own), with its history row."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from db import rollup
from db.commands import Env, _event, sent_alerts
from db.notify import department_users, notify, role_users
from db.tables import Complaint, OutboxEmail, RevisitAttempt, Survey
from db.transactions import atomic, is_sqlite
from portal.anonymize import closed_at_after
from portal.deadlines import DUE_COLUMN, Deadline, compute
from portal.notices import survey_email
from portal.revisit import (
    OPEN_STATES,
    AttemptOutcome,
    RevisitState,
    SurveyOutcome,
    after_failed_attempt,
    draw,
    revisit_due,
    survey_expires_at,
    survey_outcome,
    survey_return_at,
)
from portal.schedule import plan
from portal.survey_token import TokenState, make_token, read_token
from portal.workcalendar import BusinessCalendar
from portal.workflow import Action, Role, Status

DRAW_EVENT = "revisit-draw"
ANSWER_EVENT = "survey-answered"
RETURN_EVENT = "survey-returned"
ANSWER_FIELDS = ("overall", "speed", "attitude", "solved", "comments")


async def after_reply(row: dict, now: datetime, env: Env) -> dict:
    """The draw right after the reply (same transaction): into the revisit queue, or closed,
    with a history row holding the draw's inputs. Returns the updated row."""
    rules = env.policy.revisit
    d = draw(rules, row["number"], row["grade"], bool(row["callback_requested"]),
             row["reopen_count"] > 0)
    if d.drawn:
        changes = {"revisit_state": RevisitState.PENDING, "revisit_due": revisit_due(now, rules),
                   "revisit_attempts": 0, "survey_return_at": None}
        status = Status.REPLIED
    else:
        changes = {"revisit_state": RevisitState.NOT_DRAWN, "revisit_due": None,
                   "closed_at": now}  # DOMAIN §8: the anonymization counts from here
        status = Status.CLOSED
    values = {getattr(Complaint, k): v for k, v in changes.items()}
    values[Complaint.status] = status
    await Complaint.update(values).where(Complaint.id == row["id"])
    await _event(row["id"], now, None, DRAW_EVENT, row["status"], status, d.record(),
                 {"revisit_state": [row["revisit_state"] or None, str(changes["revisit_state"])]}
                 ).save()
    return {**row, **changes, "status": status}


@dataclass(frozen=True)
class Outcome:
    """What an answered survey does to the complaint."""

    kind: SurveyOutcome
    status: str
    changes: dict


def answer_outcome(row: dict, overall: int, now: datetime, env: Env,
                   cal: BusinessCalendar) -> Outcome:
    """Closed when satisfied; reopened to the same department with a new result deadline
    when not (at most `reopen_limit` times); else handed to the customer-service head."""
    rules = env.policy.revisit
    kind = survey_outcome(overall, row["reopen_count"], rules)
    changes: dict = {"satisfaction": overall, "survey_return_at": None}
    if kind is SurveyOutcome.CLOSE:
        changes["revisit_state"] = RevisitState.DONE
        return Outcome(kind, Status.CLOSED, changes)
    if kind is SurveyOutcome.ESCALATE:
        changes["revisit_state"] = RevisitState.ESCALATED
        return Outcome(kind, Status.REPLIED, changes)
    changes.update({"revisit_state": RevisitState.NONE, "revisit_due": None,
                    "revisit_attempts": 0, "reopen_count": row["reopen_count"] + 1})
    if row["department"] is None:
        # Resolved on the spot, so no department to return it to: the office dispatches it.
        return Outcome(kind, Status.LOGGED, changes)
    dues = compute(env.policy.deadlines, row["grade"], row["urgent"], now, cal)
    changes.update({
        "clock_start": now,
        DUE_COLUMN[Deadline.RESULT]: dues[Deadline.RESULT],
        DUE_COLUMN[Deadline.CAP]: dues[Deadline.CAP],
        "extension_due": None, "extension_reason": "", "result_submitted_at": None,
        "signed_off_at": None, "verified_at": None,
    })
    return Outcome(kind, Status.IN_PROGRESS, changes)


def _answers(fields: dict) -> dict:
    return {k: fields.get(k) for k in ANSWER_FIELDS if k in fields}


async def _supersede_open_surveys(complaint_id: int, now: datetime) -> None:
    """Any link still out for this complaint stops working ("already answered")."""
    await Survey.update({Survey.used_at: now}).where(
        (Survey.complaint == complaint_id) & Survey.used_at.is_null())


async def revisit_changes(action: Action, row: dict, fields: dict, now: datetime, user_id: int,
                          env: Env, cal: BusinessCalendar) -> dict:
    """The changes of a revisit action, with its own rows (attempt, survey, email) written
    in the caller's transaction. A "status" key, when present, is the new status."""
    rules = env.policy.revisit
    if action is Action.SEND_SURVEY:
        if not env.secret_key:
            raise RuntimeError("survey links need a secret key (PORTAL_SECRET_KEY)")
        expires = survey_expires_at(now, rules)
        survey = Survey(complaint=row["id"], round=row["reopen_count"], channel="email",
                        sent_at=now, sent_by=user_id, recipient=row["customer_email"],
                        expires_at=expires)
        await survey.save()
        token = make_token(env.secret_key, survey.id, expires)
        subject, body = survey_email(row["number"], f"{env.base_url}/survey/{token}", expires,
                                     env.tz)
        await OutboxEmail(recipient=row["customer_email"], subject=subject, body=body,
                          message_id=f"<{uuid.uuid4().hex}@{env.mailing.domain}>",
                          created_at=now, next_attempt_at=now, attempts=0).save()
        return {"revisit_state": RevisitState.SURVEY,
                "survey_return_at": survey_return_at(now, rules)}
    if action is Action.CLOSE_REVISIT:
        return {"revisit_state": RevisitState.DONE}
    # REVISIT_ATTEMPT
    outcome = fields["outcome"]
    await RevisitAttempt(complaint=row["id"], at=now, agent=user_id, outcome=outcome,
                         note=fields.get("note") or "").save()
    changes: dict = {"outcome": outcome}  # not a column: shown in the history only
    if outcome == AttemptOutcome.REACHED:
        answers = _answers(fields)
        await _supersede_open_surveys(row["id"], now)
        await Survey(complaint=row["id"], round=row["reopen_count"], channel="phone",
                     used_at=now, answered_at=now, answered_by=user_id, **answers,
                     **rollup.answer_groups(row)).save()
        await rollup.add_answer(row, answers["overall"], now, env.policy, env.tz)
        result = answer_outcome(row, answers["overall"], now, env, cal)
        return {**changes, **{k: v for k, v in answers.items() if k != "comments"},
                **result.changes, "status": result.status}
    state = after_failed_attempt(row["revisit_attempts"], rules)
    changes["revisit_attempts"] = row["revisit_attempts"] + 1
    if state is RevisitState.UNREACHABLE:
        await _supersede_open_surveys(row["id"], now)
        changes.update({"revisit_state": state, "survey_return_at": None,
                        "status": Status.CLOSED})
    return changes


async def notify_outcome(before: dict, after: dict, now: datetime, env: Env) -> None:
    """A reopen goes to the department head(s) and the office; an unsatisfied customer after
    the last reopen goes to the customer-service head."""
    if after["reopen_count"] > before["reopen_count"]:
        users = [*await department_users(after["department"], (Role.DEPT_HEAD,)),
                 *await role_users(Role.OFFICE)]
        await notify(users, after, "reopened", now, env.mailing, due=after["result_due"])
    elif after["revisit_state"] == RevisitState.ESCALATED != before["revisit_state"]:
        await notify(await role_users(Role.CS_HEAD), after, "revisit_escalated", now,
                     env.mailing)


# ---- the public survey page ----------------------------------------------------------------

class SurveyLink:
    """What a survey link resolves to."""

    UNKNOWN = "unknown"  # tampered or no such survey: 404
    EXPIRED = "expired"  # 410
    USED = "used"  # answered: 410
    CLOSED = "closed"  # never answered, but the revisit was settled another way: 410
    OPEN = "open"


async def open_survey(token: str, now: datetime, env: Env) -> tuple[str, dict | None]:
    """(state, what the page may show: number, date, category, product) for a link."""
    check = read_token(env.secret_key, token, now)
    if check.state is TokenState.INVALID:
        return SurveyLink.UNKNOWN, None
    survey = await Survey.select(
        Survey.id, Survey.used_at, Survey.answered_at,
        Survey.complaint.number.as_alias("number"),
        Survey.complaint.received_at.as_alias("received_at"),
        Survey.complaint.category.as_alias("category"),
        Survey.complaint.product.as_alias("product"),
    ).where(Survey.id == check.survey_id).first()
    if survey is None:
        return SurveyLink.UNKNOWN, None
    if check.state is TokenState.EXPIRED:
        return SurveyLink.EXPIRED, None
    if survey["used_at"] is not None:
        return (SurveyLink.USED if survey["answered_at"] else SurveyLink.CLOSED), None
    return SurveyLink.OPEN, survey


async def answer_survey(token: str, fields: dict, now: datetime, env: Env) -> str:
    """Records a customer's answers once (two tabs: the second is told it was answered);
    closes, reopens or escalates the complaint in the same transaction. Returns the link's
    state: OPEN when the answers were recorded now."""
    cal = await env.calendar()
    answers = _answers(fields)
    async with atomic():
        state, survey = await open_survey(token, now, env)
        if state != SurveyLink.OPEN:
            return state
        claimed = await Survey.update(
            {Survey.used_at: now, Survey.answered_at: now,
             **{getattr(Survey, k): v for k, v in answers.items()}}
        ).where((Survey.id == survey["id"]) & Survey.used_at.is_null()).returning(Survey.id)
        if not claimed:  # the other tab was quicker (or an agent settled it just now)
            return (await open_survey(token, now, env))[0]
        complaint_id = (await Survey.select(Survey.complaint).where(
            Survey.id == survey["id"]).first())["complaint"]
        await _supersede_open_surveys(complaint_id, now)
        await _apply_answer(complaint_id, survey["id"], answers, now, env, cal)
    return SurveyLink.OPEN


async def _apply_answer(complaint_id: int, survey_id: int, answers: dict, now: datetime,
                        env: Env, cal: BusinessCalendar) -> None:
    """The customer is not refused because an agent saved the complaint a moment earlier:
    read, change and retry on a version conflict."""
    for _attempt in range(5):
        row = await Complaint.select().where(Complaint.id == complaint_id).first()
        audited = {k: [None, v] for k, v in answers.items() if k != "comments" and v is not None}
        if row["status"] == Status.REPLIED and row["revisit_state"] in OPEN_STATES:
            result = answer_outcome(row, answers["overall"], now, env, cal)
            changes, status = result.changes, result.status
        else:  # the revisit was already settled (e.g. closed by the CS head): keep the answer
            changes, status = {"satisfaction": answers["overall"]}, row["status"]
        changes["closed_at"] = closed_at_after(row["status"], status, row["closed_at"], now)
        after = {**row, **changes, "status": status}
        schedule = plan(after, env.policy.deadlines, cal, await sent_alerts(row["id"]))
        values = {getattr(Complaint, k): v for k, v in changes.items()}
        values.update({Complaint.status: status, Complaint.version: row["version"] + 1,
                       Complaint.next_due: schedule.next_due,
                       Complaint.next_alert_at: schedule.next_alert_at})
        updated = await Complaint.update(values).where(
            (Complaint.id == row["id"]) & (Complaint.version == row["version"])
        ).returning(Complaint.id)
        if not updated:
            continue
        audited.update({k: [row[k], v] for k, v in changes.items()
                        if k in ("revisit_state", "reopen_count", "result_due", "cap_due")
                        and row[k] != v})
        await _event(row["id"], now, None, ANSWER_EVENT, row["status"], status,
                     answers.get("comments") or "", audited).save()
        await Survey.update({getattr(Survey, k): v for k, v in rollup.answer_groups(row).items()}
                            ).where(Survey.id == survey_id)
        await rollup.add_answer(row, answers["overall"], now, env.policy, env.tz)
        await rollup.move_by_id(row, row["id"], env.policy, env.tz)
        await notify_outcome(row, after, now, env)
        return
    raise RuntimeError(f"complaint {complaint_id} kept changing while a survey was answered")


# ---- the sweep -------------------------------------------------------------------------------

async def return_unanswered_surveys(now: datetime, limit: int = 500) -> list[str]:
    """Email surveys unanswered after `survey_return_days` go back to the phone queue (the
    link keeps working until it expires). Returns the complaint numbers moved."""
    async with atomic():
        query = (Complaint.select(Complaint.id)
                 .where((Complaint.survey_return_at <= now)
                        & (Complaint.revisit_state == RevisitState.SURVEY))
                 .order_by(Complaint.survey_return_at).limit(limit))
        if not is_sqlite():
            query = query.lock_rows("UPDATE", skip_locked=True)
        ids = [r["id"] for r in await query]
        if not ids:
            return []
        rows = await Complaint.select(Complaint.id, Complaint.number, Complaint.status).where(
            Complaint.id.is_in(ids))
        await Complaint.update({Complaint.revisit_state: RevisitState.PENDING,
                                Complaint.survey_return_at: None,
                                Complaint.version: Complaint.version + 1}).where(
            Complaint.id.is_in(ids))
        for r in rows:
            await _event(r["id"], now, None, RETURN_EVENT, r["status"], r["status"], "",
                         {"revisit_state": [RevisitState.SURVEY.value,
                                            RevisitState.PENDING.value]}).save()
    return [r["number"] for r in rows]


# ---- reads -------------------------------------------------------------------------------------

QUEUE_STATES = {"open": tuple(OPEN_STATES), "pending": (RevisitState.PENDING,),
                "survey": (RevisitState.SURVEY,), "escalated": (RevisitState.ESCALATED,)}


def queue_cursor(row: dict) -> str:
    return f"{int(row['revisit_due'].timestamp() * 1_000_000)}.{row['id']}" \
        if row["revisit_due"] else f"0.{row['id']}"


def _parse_cursor(cursor: str) -> tuple[datetime, int] | None:
    try:
        micros, ident = cursor.split(".", 1)
        return datetime.fromtimestamp(int(micros) / 1_000_000, UTC), int(ident)
    except (ValueError, OverflowError):
        return None


async def revisit_queue(state: str, grade: str = "", department: str = "", after: str = "",
                        page_size: int = 25) -> tuple[list[dict], str | None]:
    """Due revisits, the earliest due (so the overdue) first; keyset-paginated."""
    query = Complaint.select(
        Complaint.id, Complaint.number, Complaint.status, Complaint.grade, Complaint.urgent,
        Complaint.category, Complaint.customer_name, Complaint.customer_phone,
        Complaint.customer_email, Complaint.department, Complaint.replied_at,
        Complaint.revisit_state, Complaint.revisit_due, Complaint.revisit_attempts,
        Complaint.survey_return_at, Complaint.callback_requested, Complaint.reopen_count,
    ).where(Complaint.revisit_state.is_in(list(QUEUE_STATES[state])))
    if grade:
        query = query.where(Complaint.grade == grade)
    if department:
        query = query.where(Complaint.department == department)
    cursor = _parse_cursor(after) if after else None
    if cursor:
        due, ident = cursor
        query = query.where((Complaint.revisit_due > due)
                            | ((Complaint.revisit_due == due) & (Complaint.id > ident)))
    rows = await query.order_by(Complaint.revisit_due, Complaint.id).limit(page_size + 1)
    next_cursor = queue_cursor(rows[page_size - 1]) if len(rows) > page_size else None
    return rows[:page_size], next_cursor


async def queue_counts() -> dict[str, int]:
    return {s.value: await Complaint.count().where(Complaint.revisit_state == s)
            for s in (RevisitState.PENDING, RevisitState.SURVEY, RevisitState.ESCALATED)}


async def attempts_of(complaint_id: int) -> list[dict]:
    return await RevisitAttempt.select(
        RevisitAttempt.at, RevisitAttempt.outcome, RevisitAttempt.note,
        RevisitAttempt.agent.display_name.as_alias("agent_name"),
    ).where(RevisitAttempt.complaint == complaint_id).order_by(RevisitAttempt.id)


async def surveys_of(complaint_id: int) -> list[dict]:
    return await Survey.select(
        Survey.id, Survey.round, Survey.channel, Survey.sent_at, Survey.recipient,
        Survey.expires_at, Survey.used_at, Survey.answered_at, Survey.overall, Survey.speed,
        Survey.attitude, Survey.solved, Survey.comments,
        Survey.answered_by.display_name.as_alias("agent_name"),
    ).where(Survey.complaint == complaint_id).order_by(Survey.id)
