"""The policy as a form (/admin/policy): field names ↔ the policy document. Pure.

Field names are a contract (issue 11): `deadlines.<grade|urgent>.<acknowledge|contact|result|cap>`,
`revisit.rates.<grade>`, `assessment.weights.<part>` and the rest below. A field left out of
a post keeps its value, so a script may change one setting alone. Each value is checked here
with a message for its field; the whole document then goes through the start-up validation
(portal.policy.parse_policy), whose message is placed next to the field it names.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from portal import anonymize
from portal.deadlines import Deadline, Span, SpanError, order_problems
from portal.i18n import _, get_locale
from portal.revisit import DEFAULT_QUESTIONS, QUESTION_KINDS

DEADLINES = ("acknowledge", "contact", "result", "cap")
REVISIT_LIMITS = {  # name: (low, high) whole numbers, as portal.revisit checks them
    "due_days": (1, 60), "max_attempts": (1, 10), "survey_return_days": (1, 60),
    "survey_expiry_days": (1, 90), "reopen_at_most": (1, 4), "reopen_limit": (0, 10),
    "satisfied_from": (2, 5),
}
DEADLINE_SETTINGS = ("appeal_window", "dispatch")  # spans beside the table
QUESTION_ASK = ("required", "optional", "no")  # revisit.questions.<code>.ask
DEPARTMENT_PARTS = ("on_time", "satisfaction", "first_time", "low_repeat")
EMPLOYEE_PARTS = ("on_time", "satisfaction", "volume")
LABEL_MAX = 200
PRIVACY_YEARS = "privacy.anonymize_after_years"
_CODE = re.compile(r"^[a-z][a-z0-9-]{0,15}$")
_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


@dataclass
class Parsed:
    raw: dict
    errors: dict[str, str] = field(default_factory=dict)  # field name → message
    general: list[str] = field(default_factory=list)


def _grades(raw: Mapping) -> list[str]:
    return [g["code"] for g in raw.get("grades", [])]


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if value == value and value not in (float("inf"), float("-inf")) else None


def fields(raw: Mapping) -> dict[str, str]:
    """Every form field with its current value as text."""
    out: dict[str, str] = {}
    for kind in ("grades", "channels", "categories", "criteria"):
        for item in raw.get(kind, []):
            out[f"{kind}.{item['code']}.zh"] = item.get("zh", "")
            out[f"{kind}.{item['code']}.en"] = item.get("en", "")
            if kind == "categories":
                out[f"categories.{item['code']}.route"] = item.get("route", "")
            if kind in ("channels", "categories"):
                out[f"{kind}.{item['code']}.active"] = "yes" if item.get("active", True) else "no"
    deadlines = raw.get("deadlines", {})
    for grade in _grades(raw):
        for d in DEADLINES:
            out[f"deadlines.{grade}.{d}"] = str(deadlines.get("grades", {}).get(grade, {}).get(d, ""))
    for d in DEADLINES:
        out[f"deadlines.urgent.{d}"] = str(deadlines.get("urgent", {}).get(d, ""))
    out["deadlines.reminder_at"] = _g(deadlines.get("reminder_at", 0.75))
    for name in DEADLINE_SETTINGS:
        out[f"deadlines.{name}"] = str(deadlines.get(name, "1d"))
    out["deadlines.unresolved_months"] = str(deadlines.get("unresolved_months", 1))
    cal = raw.get("calendar", {})
    out["calendar.work_start"] = cal.get("work_start", "09:00")
    out["calendar.work_end"] = cal.get("work_end", "18:00")
    out["second_complaint_months"] = str(raw.get("second_complaint_months", 3))
    revisit = raw.get("revisit", {})
    for grade in _grades(raw):
        out[f"revisit.rates.{grade}"] = _g(revisit.get("rates", {}).get(grade, ""))
    for name in REVISIT_LIMITS:
        if name in revisit:
            out[f"revisit.{name}"] = str(revisit[name])
    for q in questions(raw):
        for key in ("zh", "en"):
            out[f"revisit.questions.{q['code']}.{key}"] = q[key]
        out[f"revisit.questions.{q['code']}.ask"] = q["ask"]
    assessment = raw.get("assessment", {})
    for part in DEPARTMENT_PARTS:
        out[f"assessment.weights.{part}"] = _g(assessment.get("department_weights", {}).get(part, ""))
    for part in EMPLOYEE_PARTS:
        out[f"assessment.employee_weights.{part}"] = _g(
            assessment.get("employee_weights", {}).get(part, ""))
    for name in ("employee_min_resolved", "excellent_from", "pass_from", "employee_penalty"):
        if name in assessment:
            out[f"assessment.{name}"] = _g(assessment[name])
    out["assessment.employee_penalty_grades"] = ",".join(
        assessment.get("employee_penalty_grades", ["I", "II"]))
    for name, value in raw.get("session", {}).items():
        out[f"session.{name}"] = _g(value)
    out[PRIVACY_YEARS] = str(raw.get("privacy", {}).get("anonymize_after_years",
                                                        anonymize.DEFAULT_YEARS))
    return out


def questions(raw: Mapping) -> list[dict]:
    """Every survey question the policy may ask (the codes are fixed): the asked ones in the
    policy's order, then the others with the default wording, each with `ask`: required,
    optional or no."""
    listed = raw.get("revisit", {}).get("questions")
    if listed is None:
        listed = [_question_entry(q) for q in DEFAULT_QUESTIONS]
    out = [{"code": q["code"], "zh": q.get("zh", ""), "en": q.get("en", ""),
            "ask": "required" if q.get("required", True) else "optional"} for q in listed]
    asked = {q["code"] for q in out}
    out += [{"code": q.code, "zh": q.zh, "en": q.en, "ask": "no"}
            for q in DEFAULT_QUESTIONS if q.code not in asked]
    return out


def _question_entry(q) -> dict:
    """A default question as the policy file writes it (`required` only when false)."""
    return {"code": q.code, "zh": q.zh, "en": q.en, **({} if q.required else {"required": False})}


def _g(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def apply(raw: Mapping, posted: Mapping[str, str], department_codes: set[str],
          inactive: set[str] = frozenset()) -> Parsed:
    """The document with the posted values; per-field errors for values that can't be used.
    `inactive`: deactivated departments, refused as a new route (a category already routed
    to one that was deactivated since keeps it until someone chooses another)."""
    new = copy.deepcopy(dict(raw))
    result = Parsed(new)
    errors = result.errors

    def value(name: str) -> str | None:
        v = posted.get(name)
        return v.strip() if isinstance(v, str) else None

    def label(name: str, item: dict, key: str) -> None:
        v = value(name)
        if v is None:
            return
        if not v:
            errors[name] = _("Enter a name.")
        elif len(v) > LABEL_MAX:
            errors[name] = _("At most %(n)d characters.", n=LABEL_MAX)
        else:
            item[key] = v

    routes = {"complained", "office", *department_codes}
    for item in new.get("grades", []):
        for lang in ("zh", "en"):
            label(f"grades.{item['code']}.{lang}", item, lang)
    for kind in ("channels", "categories", "criteria"):
        for item in new.get(kind, []):
            for lang in ("zh", "en"):
                label(f"{kind}.{item['code']}.{lang}", item, lang)
            if kind == "categories":
                name = f"categories.{item['code']}.route"
                v = value(name)
                if v is not None:
                    if v in inactive and v != item.get("route"):
                        errors[name] = _inactive_message()
                    elif v in routes:
                        item["route"] = v
                    else:
                        errors[name] = _("Choose a department, the department complained about, "
                                         "or the office.")
    for kind in ("channels", "categories"):
        retired = _retire(kind, new, value, errors)
        _add_new(kind, new, value, errors, routes, inactive)
        if not any(item.get("active", True) for item in new.get(kind, [])):
            name = retired[-1] if retired else f"{kind}.{new[kind][0]['code']}.active"
            errors[name] = _("At least one channel must stay in use.") if kind == "channels" \
                else _("At least one category must stay in use.")

    grades = _grades(new)
    deadlines = new.setdefault("deadlines", {})
    for grade in grades:
        table = deadlines.setdefault("grades", {}).setdefault(grade, {})
        for d in DEADLINES:
            name = f"deadlines.{grade}.{d}"
            v = value(name)
            if v is None:
                continue
            if span := _span(v, name, errors, required=True):
                table[d] = span
    urgent = deadlines.setdefault("urgent", {})
    for d in DEADLINES:
        name = f"deadlines.urgent.{d}"
        v = value(name)
        if v is None:
            continue
        if not v:
            urgent.pop(d, None)  # as its grade
        elif span := _span(v, name, errors, required=False):
            urgent[d] = span

    name = "deadlines.reminder_at"
    if (v := value(name)) is not None:
        share = _share(v)
        if share is None or not 0 < share < 1:
            errors[name] = _("Enter a share above 0 and below 1, such as 0.75, or a percentage "
                             "such as 75%.")
        else:
            deadlines["reminder_at"] = share
    for key in DEADLINE_SETTINGS:
        name = f"deadlines.{key}"
        if (v := value(name)) is not None and (span := _span(v, name, errors, required=True)):
            deadlines[key] = span
    _whole(deadlines, "unresolved_months", "deadlines.unresolved_months", value, errors, 1, 24)

    cal = new.setdefault("calendar", {})
    for key in ("work_start", "work_end"):
        name = f"calendar.{key}"
        v = value(name)
        if v is not None:
            if _TIME.match(v):
                cal[key] = v
            else:
                errors[name] = _("Enter a time like 09:00.")
    if "calendar.work_start" not in errors and "calendar.work_end" not in errors \
            and cal.get("work_start", "09:00") >= cal.get("work_end", "18:00"):
        errors["calendar.work_end"] = _("The working day must end after it starts.")

    if not any(k.startswith(("deadlines.", "calendar.")) for k in errors):
        _deadline_order(new, raw, errors)

    _whole(new, "second_complaint_months", "second_complaint_months", value, errors, 1, 24)

    revisit = new.setdefault("revisit", {})
    rates = revisit.setdefault("rates", {})
    for grade in grades:
        name = f"revisit.rates.{grade}"
        v = value(name)
        if v is None:
            continue
        rate = _share(v)
        if rate is None:
            errors[name] = _("Enter a share from 0 to 1, such as 0.8, or a percentage such as 80%.")
        else:
            rates[grade] = rate
    for limit, (low, high) in REVISIT_LIMITS.items():
        _whole(revisit, limit, f"revisit.{limit}", value, errors, low, high)
    _apply_questions(revisit, value, label, errors)
    if not any(k.startswith("revisit.") for k in errors) \
            and revisit.get("satisfied_from", 4) <= revisit.get("reopen_at_most", 2):
        errors["revisit.satisfied_from"] = _(
            "A satisfied answer must score above the score that reopens a complaint.")

    assessment = new.setdefault("assessment", {})
    for key, parts, prefix in (("department_weights", DEPARTMENT_PARTS, "assessment.weights"),
                               ("employee_weights", EMPLOYEE_PARTS, "assessment.employee_weights")):
        weights = assessment.setdefault(key, {})
        for part in parts:
            _points(weights, part, f"{prefix}.{part}", value, errors)
        if not any(k.startswith(prefix + ".") for k in errors):
            total = sum(weights.get(p, 0) for p in parts)
            if abs(total - 100) > 1e-9:
                errors[f"{prefix}.{parts[0]}"] = _(
                    "The weights must add up to 100 (now %(total)s).", total=f"{total:g}")
    _whole(assessment, "employee_min_resolved", "assessment.employee_min_resolved", value,
           errors, 1, 1000)
    for key in ("excellent_from", "pass_from", "employee_penalty"):
        _points(assessment, key, f"assessment.{key}", value, errors)
    name = "assessment.employee_penalty_grades"
    if (v := value(name)) is not None:
        chosen = {c for c in re.split(r"[\s,;/]+", v) if c}
        if chosen - set(grades):
            errors[name] = _("Choose among the grades.")
        else:
            picked = [g for g in grades if g in chosen]
            if picked != assessment.get("employee_penalty_grades", ["I", "II"]):
                assessment["employee_penalty_grades"] = picked
    if not {"assessment.excellent_from", "assessment.pass_from"} & errors.keys() \
            and assessment.get("pass_from", 70) >= assessment.get("excellent_from", 90):
        errors["assessment.pass_from"] = _("The pass mark must be below the mark for excellent.")
    if "session" in new:
        for key in list(new["session"]):
            name = f"session.{key}"
            v = value(name)
            if v is None:
                continue
            number = _number(v)
            if number is None or number <= 0:
                errors[name] = _("Enter a number of hours above 0.")
            else:
                new["session"][key] = int(number) if number.is_integer() else number
    _privacy(new, value, errors)
    return result


def _inactive_message() -> str:
    return _("This department is deactivated: choose an active one, the department "
             "complained about, or the office.")


def _form_name(path: str) -> str:
    """deadlines.grades.M.cap (the document) → deadlines.M.cap (the form)."""
    return path.replace("deadlines.grades.", "deadlines.", 1)


def _deadline_order(new: dict, old: Mapping, errors: dict) -> None:
    """portal.deadlines.order_problems (the start-up rules), each said next to its field in
    the reader's language. A cap problem goes on the result deadline when only that changed."""
    from portal.policy_history import span_text  # it reads spans in words; imports this module's

    deadlines = new.get("deadlines", {})
    try:
        by_grade = {g: {d: Span.parse(deadlines["grades"][g][d.value]) for d in Deadline}
                    for g in _grades(new)}
        urgent = {Deadline(d): Span.parse(v) for d, v in deadlines.get("urgent", {}).items()}
        cal = new.get("calendar", {})
        start, end = (cal.get(k, dflt).split(":") for k, dflt in (("work_start", "09:00"),
                                                                    ("work_end", "18:00")))
    except (KeyError, ValueError, SpanError):
        return  # incomplete: the start-up validation names what is missing
    hours = int(end[0]) - int(start[0]) + (int(end[1]) - int(start[1])) / 60
    old_flat, new_flat = flatten(old), flatten(new)
    names = {g["code"]: g.get("en" if get_locale() == "en" else "zh", g["code"])
             for g in new.get("grades", [])}
    for problem in order_problems(by_grade, urgent, hours):
        name, grade = _form_name(problem.field), problem.other.split(".")[2]
        # Said next to the field that was changed, when only one of the two was.
        changed = {path for path in (problem.field, problem.other)
                   if old_flat.get(path) != new_flat.get(path)}
        on_other = changed == {problem.other}
        if problem.kind == "urgent" and on_other:
            errors.setdefault(_form_name(problem.other), _(
                "This deadline must not be shorter than the urgent one (%(value)s): urgent "
                "shortens deadlines.", value=span_text(str(problem.value))))
        elif problem.kind == "urgent":
            errors.setdefault(name, _(
                "An urgent deadline must not be longer than the same deadline of %(grade)s "
                "(%(value)s): urgent shortens deadlines.", grade=names.get(grade, grade),
                value=span_text(str(problem.other_value))))
        elif on_other:
            errors.setdefault(_form_name(problem.other), _(
                "The result deadline must not be longer than the cap (%(cap)s): nothing may "
                "run past the cap, so the result deadline would be cut to it.",
                cap=span_text(str(problem.value))) if name != "deadlines.urgent.cap" else _(
                "The result deadline must not be longer than the urgent cap (%(cap)s): nothing "
                "may run past the cap.", cap=span_text(str(problem.value))))
        elif problem.other.startswith("deadlines.grades.") and name == "deadlines.urgent.cap":
            errors.setdefault(name, _(
                "The urgent cap must not be shorter than the result deadline of %(grade)s "
                "(%(result)s): nothing may run past the cap.", grade=names.get(grade, grade),
                result=span_text(str(problem.other_value))))
        else:
            errors.setdefault(name, _(
                "The cap must not be shorter than the result deadline (%(result)s): nothing "
                "may run past the cap, so the result deadline would be cut to it.",
                result=span_text(str(problem.other_value))))


def _apply_questions(revisit: dict, value, label, errors: dict) -> None:
    """revisit.questions.<code>.zh|en|ask: the wording, and whether it is asked and must be
    answered. The codes are fixed; `overall` is always asked and required (it decides
    reopening). A question switched off leaves the list; switched on, it takes its place in
    the fixed order."""
    had = "questions" in revisit
    listed = [dict(q) for q in revisit.get("questions") or
              [_question_entry(q) for q in DEFAULT_QUESTIONS]]
    order = list(QUESTION_KINDS)
    for code in order:
        prefix = f"revisit.questions.{code}"
        item = next((q for q in listed if q.get("code") == code), None)
        ask = value(f"{prefix}.ask")
        if ask is not None and ask not in QUESTION_ASK:
            errors[f"{prefix}.ask"] = _("Choose whether the question is asked.")
            continue
        if code == "overall" and ask in ("optional", "no"):
            errors[f"{prefix}.ask"] = _("The overall satisfaction question is always asked and "
                                        "answered: its score decides whether the complaint "
                                        "reopens.")
            continue
        if ask == "no":
            if item is not None:
                listed.remove(item)
            continue
        if item is None:
            if ask is None:
                continue  # not asked, and the post does not change that
            default = next(q for q in DEFAULT_QUESTIONS if q.code == code)
            item = {"code": code, "zh": default.zh, "en": default.en}
            before = [i for i, q in enumerate(listed)
                      if order.index(q.get("code")) < order.index(code)]
            listed.insert(before[-1] + 1 if before else 0, item)
        for lang in ("zh", "en"):
            label(f"{prefix}.{lang}", item, lang)
        if ask is not None and item.get("required", True) != (ask == "required"):
            if ask == "required":
                item.pop("required", None)
            else:
                item["required"] = False
    if had or listed != [_question_entry(q) for q in DEFAULT_QUESTIONS]:
        revisit["questions"] = listed


def _privacy(new: dict, value, errors: dict) -> None:
    """DOMAIN §8: years after closing before a complaint is anonymized (0 = never)."""
    if value(PRIVACY_YEARS) is None:
        return
    privacy = dict(new.get("privacy", {}))
    stated = "anonymize_after_years" in privacy
    _whole(privacy, "anonymize_after_years", PRIVACY_YEARS, value, errors, 0,
           anonymize.MAX_YEARS)
    # A policy saved before the setting existed gets it only when it differs from the
    # default it has been running with: an unchanged form stays "no change".
    if PRIVACY_YEARS not in errors and (
            stated or privacy["anonymize_after_years"] != anonymize.DEFAULT_YEARS):
        new["privacy"] = privacy


def _span(text: str, name: str, errors: dict, required: bool) -> str | None:
    try:
        return str(Span.parse(text))
    except SpanError:
        errors[name] = _("Use working hours or days such as 2h or 3d, or same-day.") + (
            "" if required else " " + _("Leave empty for the grade's own deadline."))
        return None


def _share(text: str) -> float | None:
    percent = text.endswith("%")
    number = _number(text[:-1].strip() if percent else text)
    if number is None:
        return None
    if percent:
        number /= 100
    return round(number, 6) if 0 <= number <= 1 else None


def _points(table: dict, key: str, name: str, value, errors: dict) -> None:
    """A score or weight from 0 to 100, kept whole when it is."""
    v = value(name)
    if v is None:
        return
    number = _number(v)
    if number is None or not 0 <= number <= 100:
        errors[name] = _("Enter points from 0 to 100.")
    else:
        table[key] = int(number) if number.is_integer() else number


def _whole(table: dict, key: str, name: str, value, errors: dict, low: int, high: int) -> None:
    v = value(name)
    if v is None:
        return
    if not re.fullmatch(r"\d{1,6}", v) or not low <= int(v) <= high:
        errors[name] = _("Enter a whole number from %(low)d to %(high)d.", low=low, high=high)
    else:
        table[key] = int(v)


def _retire(kind: str, new: dict, value, errors: dict) -> list[str]:
    """<kind>.<code>.active: yes (offered at intake) or no (retired: complaints that have it
    keep its name, statistics keep it). At least one stays in use."""
    retired_now = []
    for item in new.get(kind, []):
        name = f"{kind}.{item['code']}.active"
        v = value(name)
        if v is None:
            continue
        if v not in ("yes", "no"):
            errors[name] = _("Choose in use or retired.")
            continue
        if item.get("active", True) != (v == "yes"):
            if v == "yes":
                item.pop("active", None)
            else:
                item["active"] = False
                retired_now.append(name)
    return retired_now


def _add_new(kind: str, new: dict, value, errors: dict, routes: set[str],
             inactive: set[str]) -> None:
    """The empty row under a list adds an entry when its code is filled in."""
    code = value(f"{kind}.new.code")
    if not code:
        return
    name = f"{kind}.new.code"
    if not _CODE.match(code):
        errors[name] = _("A code is 1–16 lower-case letters, digits or hyphens, "
                         "starting with a letter.")
        return
    if any(item["code"] == code for item in new.get(kind, [])):
        errors[name] = _("This code is already in use.")
        return
    item = {"code": code}
    for lang in ("zh", "en"):
        v = value(f"{kind}.new.{lang}") or ""
        if not v:
            errors[f"{kind}.new.{lang}"] = _("Enter a name.")
        elif len(v) > LABEL_MAX:
            errors[f"{kind}.new.{lang}"] = _("At most %(n)d characters.", n=LABEL_MAX)
        item[lang] = v
    if kind == "categories":
        route = value("categories.new.route") or ""
        if route in inactive:
            errors["categories.new.route"] = _inactive_message()
        elif route not in routes:
            errors["categories.new.route"] = _("Choose a department, the department complained "
                                               "about, or the office.")
        item["route"] = route
    new.setdefault(kind, []).append(item)


def field_for_message(message: str, names: list[str]) -> str | None:
    """The form field a start-up validation message is about (it names the setting)."""
    best = None
    for name in names:
        for path in _paths(name):
            if path in message and (best is None or len(path) > len(best[1])):
                best = (name, path)
    return best[0] if best else None


def _paths(name: str) -> list[str]:
    parts = name.split(".")
    if parts[0] == "deadlines" and len(parts) == 3 and parts[1] != "urgent":
        return [f"deadlines.grades.{parts[1]}.{parts[2]}", f"deadlines.grades.{parts[1]}"]
    if name.startswith("assessment.weights."):
        return ["assessment.department_weights"]
    if name.startswith("assessment.employee_weights."):
        return ["assessment.employee_weights"]
    return [name]


def flatten(raw: Mapping, prefix: str = "") -> dict[str, object]:
    """The document as dotted keys, lists of coded entries keyed by code: for the history."""
    out: dict[str, object] = {}
    for key, value in raw.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(flatten(value, path + "."))
        elif isinstance(value, list) and value and all(
                isinstance(v, Mapping) and "code" in v for v in value):
            for v in value:
                out.update(flatten({k: x for k, x in v.items() if k != "code"},
                                   f"{path}.{v['code']}."))
                out[f"{path}.{v['code']}"] = v["code"]
        else:
            out[path] = value
    return out
