"""A policy version's difference as its reader reads it (/admin/policy/history). The stored
difference names settings by their place in the document (`deadlines.grades.I.acknowledge`,
`channels.phone.zh`) and holds raw values (`2h`, 0.8, `QA`); these functions say which setting
it is and what the value means, in the reader's language, with the labels of the policy form.
Pure: the page hands in the policy in force and the departments."""

from __future__ import annotations

from collections.abc import Mapping

from portal.deadlines import Span, SpanError
from portal.history import department_name, grade_name
from portal.i18n import _, _l, get_locale
from portal.labels import DEADLINE_LABELS

SECTIONS = {
    "channels": _l("Channels"),
    "categories": _l("Categories and routing"),
    "criteria": _l("Grade criteria"),
    "grades": _l("Grades"),
}
ITEM_FIELDS = {
    "zh": _l("Chinese name"),
    "en": _l("English name"),
    "route": _l("Routed to"),
    "grade": _l("Grade"),
    "rank": _l("Rank"),
    "automatic": _l("automatic"),
    "required": _l("Required"),
    "active": _l("In use"),
}
TOP = {
    "second_complaint_months": _l("Second complaint: same customer within (months)"),
    "calendar.work_start": _l("Working day starts"),
    "calendar.work_end": _l("Working day ends"),
    "deadlines.reminder_at": _l("Reminder at this share of the allowed time"),
    "deadlines.appeal_window": _l("Appeals allowed within"),
    "deadlines.dispatch": _l("Dispatch target, from receipt"),
    "deadlines.unresolved_months": _l("Rule I-8: unresolved after (months)"),
    "revisit.sampling_key": _l("Revisit draw key"),
    "revisit.due_days": _l("Revisit due within (days after the reply)"),
    "revisit.max_attempts": _l("Failed calls before unreachable"),
    "revisit.survey_return_days": _l("Unanswered email survey returns to the phone queue after "
                                     "(days)"),
    "revisit.survey_expiry_days": _l("Survey link expires after (days)"),
    "revisit.reopen_at_most": _l("An overall score at most this reopens the complaint"),
    "revisit.reopen_limit": _l("Reopens before the customer-service head takes over"),
    "revisit.satisfied_from": _l("Satisfied: overall score at least"),
    "assessment.excellent_from": _l("Excellent from (points)"),
    "assessment.pass_from": _l("Pass from (points)"),
    "assessment.employee_min_resolved": _l("Ranked with at least (resolved complaints)"),
    "assessment.employee_penalty": _l("Points off per valid complaint against the person"),
    "assessment.employee_penalty_grades": _l("Grades that cost the person points"),
    "session.idle_working_hours": _l("Signed out after this many working hours without "
                                     "activity"),
    "session.absolute_hours": _l("Signed out after this many hours in any case"),
    "privacy.anonymize_after_years": _l("Anonymize closed complaints after (years; 0 = never)"),
}
PARTS = {
    "on_time": _l("On time"),
    "satisfaction": _l("Satisfaction"),
    "first_time": _l("Resolved without a reopen"),
    "low_repeat": _l("Low repeat rate"),
    "volume": _l("Volume"),
}
WEIGHTS = {
    "department_weights": _l("Department score weights (add up to 100)"),
    "employee_weights": _l("Employee ranking"),
}


class Reader:
    """Reads one version's rows: [path, before, after] → (setting, before, after)."""

    def __init__(self, changes: list, policy, departments: Mapping[str, dict]) -> None:
        self.policy = policy
        self.departments = departments
        # Names of entries the version added or removed, read from its own rows.
        self.names: dict[tuple[str, str], str] = {}
        lang = "en" if get_locale() == "en" else "zh"
        for path, before, after in changes:
            parts = path.split(".")
            if len(parts) >= 3 and parts[-1] in ("zh", "en") and (after or before):
                key = (".".join(parts[:-2]), parts[-2])
                if parts[-1] == lang or key not in self.names:
                    self.names[key] = after or before

    def rows(self, changes: list) -> list[tuple[str, str, str]]:
        return [(self.setting(path), self.value(path, before), self.value(path, after))
                for path, before, after in changes]

    def item(self, kind: str, code: str) -> str:
        """An entry of a list (a channel, a question) by its name, else its code."""
        single = {"channels": "channel", "categories": "category", "criteria": "criterion",
                  "grades": "grade"}.get(kind)
        if single and self.policy.has(kind, code):
            found = getattr(self.policy, single)(code).label(get_locale())
            return f"{code} {found}" if kind == "criteria" else found
        if kind == "revisit.questions":
            for q in self.policy.revisit.questions:
                if q.code == code:
                    return q.label(get_locale())
        return self.names.get((kind, code), code)

    def setting(self, path: str) -> str:
        parts = path.split(".")
        if path in TOP:
            return str(TOP[path])
        if parts[0] in SECTIONS and len(parts) in (2, 3):
            shown = [str(SECTIONS[parts[0]]), self.item(parts[0], parts[1])]
            if len(parts) == 3:
                shown.append(str(ITEM_FIELDS.get(parts[2], parts[2])))
            return " · ".join(shown)
        if parts[:2] == ["revisit", "questions"] and len(parts) in (3, 4):
            shown = [_("Survey question"), self.item("revisit.questions", parts[2])]
            if len(parts) == 4:
                shown.append(str(ITEM_FIELDS.get(parts[3], parts[3])))
            return " · ".join(shown)
        if parts[:2] == ["deadlines", "grades"] and len(parts) == 4:
            return " · ".join((_("Deadlines"), grade_name(parts[2], self.policy),
                               str(DEADLINE_LABELS.get(parts[3], parts[3]))))
        if parts[:2] == ["deadlines", "urgent"] and len(parts) == 3:
            return " · ".join((_("Deadlines"), _("Urgent"),
                               str(DEADLINE_LABELS.get(parts[2], parts[2]))))
        if parts[:2] == ["revisit", "rates"] and len(parts) == 3:
            return _("Share revisited: %(grade)s", grade=grade_name(parts[2], self.policy))
        if parts[0] == "assessment" and len(parts) == 3 and parts[1] in WEIGHTS:
            return " · ".join((str(WEIGHTS[parts[1]]), str(PARTS.get(parts[2], parts[2]))))
        return path

    def value(self, path: str, value) -> str:
        if (value is None or value == "") and not path.endswith(".active"):
            return "—"
        parts = path.split(".")
        if parts[-1] == "active" and value is None:
            value = True  # in use unless retired: the key is written only to retire one
        if isinstance(value, bool):
            return _("yes") if value else _("no")
        if parts[0] in SECTIONS and len(parts) == 2 or \
                parts[:2] == ["revisit", "questions"] and len(parts) == 3:
            return _("included")  # the entry itself: its fields are on their own rows
        if parts[0] == "deadlines" and parts[-1] in (*DEADLINE_LABELS, "appeal_window",
                                                      "dispatch"):
            return span_text(value)
        if parts[:2] == ["revisit", "rates"] or path == "deadlines.reminder_at":
            return f"{float(value) * 100:g}%"
        if parts[-1] == "route":
            return route_text(value, self.departments)
        if parts[-1] == "grade":
            return grade_name(value, self.policy)
        if path == "assessment.employee_penalty_grades" and isinstance(value, list):
            return " / ".join(grade_name(g, self.policy) for g in value)
        if isinstance(value, list):
            return ", ".join(str(v) for v in value)
        return str(value)


def span_text(value) -> str:
    """A deadline value as words: 2 working hours, 3 working days, the end of the day."""
    try:
        span = Span.parse(value)
    except SpanError:
        return str(value)
    if span.unit == "same-day":
        return _("the end of the working day")
    amount = f"{span.amount:g}"
    return _("%(n)s working hours", n=amount) if span.unit == "h" \
        else _("%(n)s working days", n=amount)


def route_text(value: str, departments: Mapping[str, dict]) -> str:
    if value == "complained":
        return _("The department complained about")
    if value == "office":
        return _("The complaint office decides")
    return department_name(value, departments)
