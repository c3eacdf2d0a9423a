"""Issue 12: the intake's one-click fill from the customer's earlier complaint (DOMAIN §8)."""

from __future__ import annotations

from portal.workflow import Subject, Viewer, can_view, sees_contacts

FILL_FIELDS = ("customer_name", "customer_phone", "customer_email", "customer_address")
CONTACT_FIELDS = ("customer_phone", "customer_email", "customer_address")


def fill_values(viewer: Viewer, subject: Subject, record: dict) -> dict[str, str]:
    """What "use this customer's details" may fill in: never more than opening the earlier
    complaint would show this user. The name goes to anyone who may see that complaint; the
    phone, email and address only to the office and the handling department, who see them in
    full there too (and the fill is logged as a view of contact data, like that page). The
    clerk at intake typed one phone number or email that matched, but typing a number proves
    no right to the rest of a customer's record: they get the name, and their own typing
    stays. Empty values are left out, so the fill never erases what was typed."""
    if not can_view(viewer, subject):
        return {}
    names = FILL_FIELDS if sees_contacts(viewer, subject) else ("customer_name",)
    return {name: record[name] for name in names if record.get(name)}


def shows_contacts(values: dict[str, str]) -> bool:
    """Whether the fill carries contact data, whose every display is logged (DOMAIN §8)."""
    return any(name in values for name in CONTACT_FIELDS)
