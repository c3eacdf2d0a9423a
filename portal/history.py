"""A complaint's history as its reader reads it. The rows store data (department codes, grade
and kind codes, flags, instants, amounts, the revisit draw's formula); these functions say it
in the reader's language, so old rows read as well as new ones. Pure: the page hands in its
departments, the policy and how it shows an instant."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation

from portal import labels
from portal.i18n import _, get_locale
from portal.revisit import parse_record

# Codes whose label is a fixed table, by the field holding them.
_NAMED = {
    "invalid_kind": labels.INVALID_KINDS,
    "appeal_kind": labels.APPEAL_KINDS,
    "revisit_state": labels.REVISIT_STATE_LABELS,
    "outcome": labels.ATTEMPT_LABELS,
}
_MONEY = ("compensation", "claimed_loss")


def name_of(dept: Mapping) -> str:
    """A department row's name in the reader's language (the Chinese one when it has no
    English name)."""
    if get_locale() == "en":
        return dept.get("name_en") or dept.get("name_zh") or ""
    return dept.get("name_zh") or ""


def department_name(code: str, departments: Mapping[str, dict]) -> str:
    """The department's name in the reader's language; the code only if it is unknown."""
    dept = departments.get(code)
    return name_of(dept) if dept else code


def grade_name(code: str, policy) -> str:
    return policy.grade(code).label(get_locale()) if policy.has("grades", code) else code


def money(value) -> str:
    try:
        return f"{Decimal(str(value)):,.2f}"
    except InvalidOperation:
        return str(value)


def change_text(field: str, value, departments: Mapping[str, dict], policy,
                local: Callable[[datetime], str]) -> str:
    """One side of a "from → to" line."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if field.endswith(("_due", "_at")) and isinstance(value, str):
        try:
            return local(datetime.fromisoformat(value))
        except ValueError:
            return value
    if field in ("department", "complained_department"):
        return department_name(value, departments)
    if field == "grade":
        return grade_name(value, policy)
    if field in _MONEY:
        return money(value)
    named = _NAMED.get(field, {})
    if value in named:
        return str(named[value])
    if field in labels.SCALE_FIELDS and value in labels.SCALE_LABELS:
        return f"{value} · {labels.SCALE_LABELS[value]}"
    return str(value)


def draw_text(note: str, policy) -> str | None:
    """The revisit draw's history note (HMAC formula, share, forced reasons, verdict) in the
    reader's language; None when the note is not a draw record."""
    d = parse_record(note)
    if d is None:
        return None
    parts = [_("HMAC-SHA256(key %(key)s, %(number)s) → %(value)s %(sign)s %(rate)s, the share "
               "drawn for %(grade)s", key=d.key_id, number=d.number, value=d.value, sign=d.sign,
               rate=d.rate, grade=grade_name(d.grade, policy))]
    if d.callback:
        parts.append(_("the customer asked to be called back"))
    if d.reopened:
        parts.append(_("reopened after an unsatisfied revisit"))
    verdict = _("revisited") if d.drawn else _("not revisited")
    return _("%(reasons)s → %(verdict)s", reasons=" · ".join(parts), verdict=verdict)
