"""Correcting a saved complaint (issue 12 §4): which fields of the record a correction
changes, as the history shows them (from → to). Pure."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation

from portal.contact import normalize_email, normalize_phone

# The intake fields the office may correct, in the order of the form (DOMAIN §2). Criteria
# and urgency are not among them: re-grading is its own action, with its own reason.
CORRECTABLE = (
    "customer_name", "customer_phone", "customer_email", "customer_address", "channel",
    "category", "received_at", "occurred_at", "location", "product", "model_batch", "order_no",
    "purchase_date", "complained_department", "complained_person", "description", "demand",
    "claimed_loss",
)
# DOMAIN §8: shown in full only to the office and the handling department, history included.
CONTACT_FIELDS = ("customer_phone", "customer_email", "customer_address")
# What the second-complaint check compares (portal.repeats): a change re-runs it.
REPEAT_INPUTS = ("customer_phone", "customer_email", "category", "product", "order_no",
                 "description")
# Columns that may be empty (NULL) rather than "".
NULLABLE = ("occurred_at", "purchase_date", "complained_department", "claimed_loss")
AMOUNTS = ("claimed_loss",)
CENTS = Decimal("0.01")


def cleaned(values: Mapping) -> dict:
    """The submitted values as they are stored: text trimmed, phone and email normalised like
    at intake, an empty optional value as NULL."""
    out = {}
    for name in CORRECTABLE:
        if name not in values:
            continue
        value = values[name]
        if isinstance(value, str):
            value = value.strip()
        if name == "customer_phone":
            value = normalize_phone(value or "")
        elif name == "customer_email":
            value = normalize_email(value or "")
        if name in NULLABLE and value in ("", None):
            value = None
        elif value is None:
            value = ""
        out[name] = value
    return out


def _comparable(value):
    """Equal values compare equal whatever the database handed back: the form has minute
    precision for times, so a time unchanged to the minute is unchanged."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return moment.astimezone(UTC).replace(second=0, microsecond=0)
    if isinstance(value, date):
        return value
    if isinstance(value, Decimal | float | int) and not isinstance(value, bool):
        try:
            return Decimal(str(value)).normalize()
        except InvalidOperation:
            return value
    if isinstance(value, str):
        return value.strip() or None
    return value


def _amount(value):
    """CNY with its two decimals (Numeric(12, 2)), whatever the engine handed back."""
    if value is None or value == "":
        return None
    return Decimal(str(value)).quantize(CENTS)


def changed_fields(before: Mapping, after: Mapping) -> dict[str, list]:
    """{field: [stored value, corrected value]} for every correctable field that differs, in
    form order; an empty dict when the correction changes nothing."""
    changes = {name: [before.get(name), after[name]] for name in CORRECTABLE
               if name in after and _comparable(before.get(name)) != _comparable(after[name])}
    for name in AMOUNTS:
        if name in changes:
            changes[name] = [_amount(v) for v in changes[name]]
    return changes


def touches_repeat(changes: Mapping) -> bool:
    return any(name in changes for name in REPEAT_INPUTS)
