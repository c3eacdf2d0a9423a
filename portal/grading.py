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


# DOMAIN §3 automatic criteria (applied by the system, never ticked at intake).
REPEATED_CLASS_II = "I-7"  # the same matter reached Class II twice within 3 months
REPEATED_MINOR = "II-6"  # the same minor matter twice within 3 months
UNRESOLVED = "I-8"  # a valid complaint still unresolved a month after logging


def _rank(policy: Policy, grade: str | None) -> int:
    return policy.grade(grade).rank if grade and policy.has("grades", grade) else 0


def repeat_rule(grade: str, earlier_grade: str | None, policy: Policy) -> str | None:
    """The automatic rule a second complaint (same customer and matter, linked, within the
    window) triggers: I-7 when both reached Class II, II-6 when both are minor."""
    if earlier_grade is None:
        return None
    for rule, level in ((REPEATED_CLASS_II, "II"), (REPEATED_MINOR, "M")):
        if not policy.has("criteria", rule) or not policy.has("grades", level):
            continue
        target = policy.criterion(rule).grade
        if _rank(policy, grade) >= _rank(policy, target):
            continue
        if level == "II" and min(_rank(policy, grade), _rank(policy, earlier_grade)) >= _rank(policy, "II"):
            return rule
        if level == "M" and grade == "M" and earlier_grade == "M":
            return rule
    return None


def escalate(grade: str, criteria: list[str], rule: str, policy: Policy) -> tuple[str, list[str]]:
    """The grade and criteria after an automatic rule: the rule is added, the grade is the
    higher of the current one and the rule's (等级从高)."""
    target = policy.criterion(rule).grade
    new_grade = target if _rank(policy, target) > _rank(policy, grade) else grade
    return new_grade, [*criteria, rule] if rule not in criteria else list(criteria)
