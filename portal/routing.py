"""DOMAIN §2: default department for a category (the office may override at dispatch)."""

from __future__ import annotations

from portal.policy import ROUTE_COMPLAINED, ROUTE_OFFICE, Policy


def default_department(policy: Policy, category: str, complained_department: str | None) -> str | None:
    """The department a complaint of this category goes to; None: the office decides."""
    if not policy.has("categories", category):
        return None
    route = policy.category(category).route
    if route == ROUTE_OFFICE:
        return None
    if route == ROUTE_COMPLAINED:
        return complained_department or None
    return route
