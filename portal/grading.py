"""DOMAIN §3: the grade of a complaint from the criteria it meets."""

from __future__ import annotations

from collections.abc import Iterable

from portal.policy import Policy


class UnknownCriterion(ValueError):
    pass


def grade_for(criteria: Iterable[str], policy: Policy) -> str | None:
    """The highest grade among the criteria met (等级从高); None when none is ticked."""
    best = None
    for code in criteria:
        if not policy.has("criteria", code):
            raise UnknownCriterion(code)
        grade = policy.grade(policy.criterion(code).grade)
        if best is None or grade.rank > best.rank:
            best = grade
    return best.code if best else None


def parse_criteria(text: str) -> list[str]:
    """Criteria are stored as a comma-separated string of codes."""
    return [c for c in (text or "").split(",") if c]


def join_criteria(codes: Iterable[str], policy: Policy) -> str:
    order = {c.code: i for i, c in enumerate(policy.criteria)}
    return ",".join(sorted(set(codes), key=lambda c: order.get(c, 999)))
