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


# The automatic criteria that only a link to an earlier complaint (二次投诉) causes.
REPEAT_RULES = (REPEATED_CLASS_II, REPEATED_MINOR)


def _highest(codes: Iterable[str], policy: Policy) -> str | None:
    """grade_for() over the codes the policy still knows (a retired criterion counts for
    nothing rather than blocking the record)."""
    return grade_for([c for c in codes if policy.has("criteria", c)], policy)


def without_repeat(grade: str, criteria: list[str], policy: Policy,
                   office_grade: str | None = None) -> tuple[str, list[str]]:
    """DOMAIN §3 when a repeat link is undone: the automatic criterion the link caused
    (I-7 / II-6) goes and the grade is recomputed from what remains: the grade the office last
    set by hand (re-grade, a decision with a reason, which stands in for the ticked criteria)
    or else the highest ticked criterion (Minor when none), raised by any other automatic
    criterion still met (I-8). Without a repeat criterion the link raised nothing: unchanged."""
    if not any(c in REPEAT_RULES for c in criteria):
        return grade, list(criteria)
    remaining = [c for c in criteria if c not in REPEAT_RULES]
    automatic = [c for c in remaining if policy.has("criteria", c)
                 and policy.criterion(c).automatic]
    ticked = [c for c in remaining if c not in automatic]
    base = office_grade if office_grade and policy.has("grades", office_grade) else (
        _highest(ticked, policy) or "M")
    raised = _highest(automatic, policy)
    if raised and _rank(policy, raised) > _rank(policy, base):
        base = raised
    return base, remaining


def relink(grade: str, criteria: list[str], linked: bool, earlier_grade: str | None,
           policy: Policy, office_grade: str | None = None) -> tuple[str, list[str], str | None]:
    """The grade and criteria when the link to an earlier complaint changes: a current link's
    automatic criterion is undone first (without_repeat), then a new link to a complaint of
    grade `earlier_grade` applies I-7 / II-6 when that raises the grade (repeat_rule).
    `earlier_grade` None: no new link, or one outside the rules' window. Returns
    (grade, criteria, the rule applied or None)."""
    if linked:
        grade, criteria = without_repeat(grade, criteria, policy, office_grade)
    rule = repeat_rule(grade, earlier_grade, policy)
    if rule:
        grade, criteria = escalate(grade, criteria, rule, policy)
    return grade, list(criteria), rule
