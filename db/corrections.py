"""Record care (issue 12 §4 and §6): the office corrects a saved complaint, and links or
unlinks a second complaint (二次投诉) by hand. Every write runs in one transaction with its
history rows and moves the statistics rollup, whatever the complaint's status.

How a link and the automatic grade rules stay consistent (DOMAIN §3–§4):
- A link is automatic (made by the second-complaint check at intake or after a correction)
  until the office decides by hand (`link-repeat` / `unlink-repeat`, Complaint.repeat_manual).
- Linking applies I-7 / II-6 when it raises the grade (portal.grading.repeat_rule), and only
  when the earlier complaint was logged within `second_complaint_months` before this one.
- Unlinking drops the automatic criterion the link caused and recomputes the grade from
  what remains: the office's last re-grade, else the ticked criteria (Minor when none), raised
  by any other automatic criterion still met (I-8) (portal.grading.without_repeat).
- A correction of the customer's phone or email, the category, product, order no. or
  description runs the check again (against complaints logged before this one, in the window
  before its logging): a newly matching earlier complaint is linked and the rule applies; an
  automatic link that no longer matches is undone with its rule. A link or unlink the office
  made by hand stands: a correction never overrides it. Later complaints linked to this one
  keep their link; the office unlinks them by hand if the correction makes that wrong.
- Deadlines follow a grade change as in a re-grade (db.commands.regraded_deadlines), while the
  department's clock runs; a finished complaint keeps the deadlines it was measured against.
"""

from __future__ import annotations

from datetime import datetime

from db import rollup
from db.commands import (
    _AUDITED,
    AUTO_GRADE_EVENT,
    Env,
    Invalid,
    NotNow,
    NotPermitted,
    NotVisible,
    _event,
    regraded_deadlines,
    sent_alerts,
    subject_of,
)
from db.queries import office_grade, repeat_of
from db.tables import Complaint
from db.transactions import atomic
from portal.corrections import changed_fields, cleaned, touches_repeat
from portal.grading import REPEAT_RULES, join_criteria, parse_criteria, relink
from portal.numbering import parse_number
from portal.policy import Policy
from portal.repeats import Matter
from portal.schedule import plan
from portal.timeutil import months_before
from portal.workcalendar import BusinessCalendar
from portal.workflow import RUNNING, Action, Viewer, can_view, is_office

EDIT_EVENT = "edit"
# The automatic grade rule a link had caused, withdrawn with the link.
AUTO_GRADE_UNDONE_EVENT = "auto-grade-undone"


def _in_window(row: dict, earlier: dict, policy: Policy) -> bool:
    """DOMAIN §3: I-7 / II-6 count repeats within `second_complaint_months` of each other."""
    return earlier["logged_at"] >= months_before(row["logged_at"], policy.second_complaint_months)


async def _relinked(row: dict, earlier: dict | None, policy: Policy,
                    cal: BusinessCalendar) -> tuple[dict, str | None]:
    """The link's columns, grade, criteria and (while the clock runs) deadlines when the
    complaint is linked to `earlier` instead (None: unlinked); and the rule applied."""
    office = await office_grade(row["id"]) if row["is_second"] else None
    earlier_grade = earlier["grade"] if earlier and _in_window(row, earlier, policy) else None
    grade, criteria, rule = relink(row["grade"], parse_criteria(row["criteria"]),
                                   bool(row["is_second"]), earlier_grade, policy, office)
    changes = {"is_second": earlier is not None,
               "previous_number": earlier["number"] if earlier else None,
               "grade": grade, "criteria": join_criteria(criteria, policy)}
    if grade != row["grade"] and row["clock_start"] is not None and row["status"] in RUNNING:
        changes.update(regraded_deadlines(policy, row, grade, row["urgent"], cal))
    return changes, rule


async def _original(text: str, row: dict) -> dict:
    """The earlier complaint the office names, else Invalid (422)."""
    number = (text or "").strip().upper()
    original = await Complaint.select(
        Complaint.id, Complaint.number, Complaint.grade, Complaint.logged_at,
    ).where(Complaint.number == number).first() if parse_number(number) else None
    if original is None or original["id"] == row["id"]:
        raise Invalid("original", "no_other_complaint")
    if original["id"] > row["id"]:
        raise Invalid("original", "not_earlier")  # a complaint repeats an earlier one
    return original


async def repeat_link_changes(action: Action, row: dict, fields: dict, policy: Policy,
                              cal: BusinessCalendar) -> dict:
    """What `link-repeat` / `unlink-repeat` write (db.commands.perform records and moves it)."""
    earlier = await _original(fields.get("original", ""), row) \
        if action is Action.LINK_REPEAT else None
    changes, _rule = await _relinked(row, earlier, policy, cal)
    return {**changes, "repeat_manual": True}


async def correct_record(number: str, viewer: Viewer, version: int | None, values: dict,
                         reason: str, now: datetime, env: Env) -> tuple[dict, list[str]]:
    """Correct the record: the intake fields put right by the office, in any status. One
    history row per changed field (from → to, the reason as its note); the second-complaint
    check again when the customer or the matter changed; the statistics moved in the same
    transaction. Returns the complaint as stored and the names of the fields changed (none:
    nothing was written, the version stays)."""
    policy = env.policy
    cal = await env.calendar()
    async with atomic():
        row = await Complaint.select().where(Complaint.number == number).first()
        if row is None or not can_view(viewer, subject_of(row)):
            raise NotVisible()
        if not is_office(viewer):
            raise NotPermitted()
        if version is None or version != row["version"]:
            raise NotNow("stale")
        edited = changed_fields(row, cleaned(values))
        if not edited:
            return row, []
        changes = {name: change[1] for name, change in edited.items()}
        if "received_at" in changes and row["replied_at"] and row["resolve_minutes"] is not None:
            # DOMAIN §6: the time to resolve runs from receipt, in working time.
            worked = cal.working_time_between(changes["received_at"], row["replied_at"])
            changes["resolve_minutes"] = max(0, int(worked.total_seconds() // 60))
        after = {**row, **changes}
        link, rule = {}, None
        if touches_repeat(edited) and not row["repeat_manual"]:
            earlier, _why, _others = await repeat_of(
                Matter(after["category"], after["product"], after["order_no"],
                       after["description"]),
                after["customer_phone"], after["customer_email"],
                months_before(row["logged_at"], policy.second_complaint_months),
                before_id=row["id"])
            if (earlier["number"] if earlier else None) != row["previous_number"]:
                link, rule = await _relinked(after, earlier, policy, cal)
        changes.update(link)
        after = {**row, **changes}
        schedule = plan(after, policy.deadlines, cal, await sent_alerts(row["id"]))
        changes["next_due"] = schedule.next_due
        changes["next_alert_at"] = schedule.next_alert_at
        update = {getattr(Complaint, k): v for k, v in changes.items()}
        update[Complaint.version] = row["version"] + 1
        updated = await Complaint.update(update).where(
            (Complaint.id == row["id"]) & (Complaint.version == row["version"])
        ).returning(Complaint.id)
        if not updated:
            raise NotNow("stale")
        status = row["status"]
        for name, change in edited.items():
            await _event(row["id"], now, viewer.id, EDIT_EVENT, status, status, reason,
                         {name: change}).save()
        if "previous_number" in link:
            await _event(row["id"], now, viewer.id, EDIT_EVENT, status, status, reason,
                         {"previous_number": [row["previous_number"], link["previous_number"]]}
                         ).save()
        graded = {k: [row[k], v] for k, v in link.items()
                  if k in _AUDITED and k != "previous_number" and row[k] != v}
        if graded:
            # DOMAIN §3: the automatic rule named in the history, as at intake.
            dropped = [c for c in parse_criteria(row["criteria"]) if c in REPEAT_RULES
                       and c not in parse_criteria(link["criteria"])]
            await _event(row["id"], now, None, AUTO_GRADE_EVENT if rule else AUTO_GRADE_UNDONE_EVENT,
                         status, status, rule or ",".join(dropped), graded).save()
        final = await rollup.move_by_id(row, row["id"], policy, env.tz)  # DOMAIN §6
    return final, list(edited)
