"""DOMAIN §7 quarterly assessment (季度考核): the department score and grade, the employee
score, ranks, and the policy that weighs them. Every score keeps its breakdown so a rank can
be explained. Pure functions."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

DEPARTMENT_COMPONENTS = ("on_time", "satisfaction", "first_time", "low_repeat")
EMPLOYEE_COMPONENTS = ("on_time", "satisfaction", "volume")


class Grade(StrEnum):
    EXCELLENT = "excellent"  # 优秀
    PASS = "pass"  # noqa: S105 (合格: a grade, not a password)
    FAIL = "fail"  # 不合格


@dataclass(frozen=True)
class AssessmentRules:
    department_weights: Mapping[str, float] = field(default_factory=lambda: {
        "on_time": 35, "satisfaction": 35, "first_time": 15, "low_repeat": 15})
    excellent_from: float = 90
    pass_from: float = 70
    employee_min_resolved: int = 5
    employee_weights: Mapping[str, float] = field(default_factory=lambda: {
        "on_time": 40, "satisfaction": 40, "volume": 20})
    employee_penalty: float = 5  # points off per valid complaint of these grades against them
    employee_penalty_grades: tuple[str, ...] = ("I", "II")


def _weights(raw, names: tuple[str, ...], where: str) -> dict[str, float]:
    if not isinstance(raw, Mapping) or set(raw) != set(names):
        raise ValueError(f"{where} must give exactly {', '.join(names)}")
    weights = {}
    for name in names:
        value = raw[name]
        if not isinstance(value, int | float) or isinstance(value, bool) or not value >= 0:  # NaN too
            raise ValueError(f"{where}.{name} must be a number of points, at least 0")
        weights[name] = float(value)
    if abs(sum(weights.values()) - 100) > 1e-9:
        raise ValueError(f"{where} must add up to 100")
    return weights


def parse_assessment(raw: Mapping, grade_codes: Iterable[str]) -> AssessmentRules:
    """Validate the policy's [assessment] table; raises ValueError naming the bad entry."""
    if not isinstance(raw, Mapping):
        raise ValueError("assessment must be a table")
    default = AssessmentRules()
    dept = _weights(raw.get("department_weights", default.department_weights),
                    DEPARTMENT_COMPONENTS, "assessment.department_weights")
    emp = _weights(raw.get("employee_weights", default.employee_weights),
                   EMPLOYEE_COMPONENTS, "assessment.employee_weights")
    excellent = raw.get("excellent_from", default.excellent_from)
    passing = raw.get("pass_from", default.pass_from)
    for name, value in (("excellent_from", excellent), ("pass_from", passing)):
        if not isinstance(value, int | float) or isinstance(value, bool) or not 0 < value <= 100:
            raise ValueError(f"assessment.{name} must be a score from 0 to 100")
    if not passing < excellent:
        raise ValueError("assessment.pass_from must be below assessment.excellent_from")
    minimum = raw.get("employee_min_resolved", default.employee_min_resolved)
    if not isinstance(minimum, int) or isinstance(minimum, bool) or not 1 <= minimum <= 1000:
        raise ValueError("assessment.employee_min_resolved must be a whole number from 1 to 1000")
    penalty = raw.get("employee_penalty", default.employee_penalty)
    if not isinstance(penalty, int | float) or isinstance(penalty, bool) or not 0 <= penalty <= 100:
        raise ValueError("assessment.employee_penalty must be points from 0 to 100")
    grades = raw.get("employee_penalty_grades", list(default.employee_penalty_grades))
    codes = set(grade_codes)
    if not isinstance(grades, list) or any(not isinstance(g, str) or g not in codes for g in grades):
        raise ValueError(f"assessment.employee_penalty_grades must list grades of {sorted(codes)}")
    unknown = set(raw) - {"department_weights", "employee_weights", "excellent_from", "pass_from",
                          "employee_min_resolved", "employee_penalty", "employee_penalty_grades"}
    if unknown:
        raise ValueError(f"assessment: unknown setting(s) {sorted(unknown)}")
    return AssessmentRules(dept, float(excellent), float(passing), minimum, emp, float(penalty),
                           tuple(grades))


@dataclass(frozen=True)
class Component:
    """One part of a score: its measure (a share 0–1, or None without data), the policy's
    weight, the weight it carries after leaving out parts without data, and its points."""

    code: str
    measure: float | None
    weight: float
    effective_weight: float
    points: float


@dataclass(frozen=True)
class Score:
    total: float  # 0–100, rounded to 0.1
    components: tuple[Component, ...]
    penalty: float = 0.0  # points taken off (employees)

    def component(self, code: str) -> Component:
        return next(c for c in self.components if c.code == code)


def weighted(measures: Mapping[str, float | None], weights: Mapping[str, float],
             penalty: float = 0.0) -> Score:
    """Σ weight × measure over the parts with data; a part without data (no complaint due, no
    survey answered) is left out and the others' weights are scaled up to 100, so a
    department is neither rewarded nor punished for what nobody could measure."""
    present = sum(weights[c] for c, m in measures.items() if m is not None)
    parts = []
    for code, measure in measures.items():
        if measure is not None and not 0 <= measure <= 1:
            raise ValueError(f"{code}: a measure is a share from 0 to 1, not {measure}")
        effective = weights[code] * 100 / present if measure is not None and present else 0.0
        parts.append(Component(code, measure, weights[code], effective,
                               effective * measure if measure is not None else 0.0))
    if not present:
        return Score(0.0, tuple(parts), penalty)
    total = sum(p.points for p in parts) - penalty
    return Score(round(max(0.0, min(100.0, total)), 1), tuple(parts), penalty)


def department_score(on_time: float | None, satisfaction: float | None,
                     first_time: float | None, repeat: float | None,
                     rules: AssessmentRules) -> Score:
    """DOMAIN §7: on-time rate, satisfaction rate, share resolved without a reopen, and a low
    repeat rate (1 − repeat rate)."""
    measures = {"on_time": on_time, "satisfaction": satisfaction, "first_time": first_time,
                "low_repeat": None if repeat is None else 1 - repeat}
    return weighted(measures, rules.department_weights)


def grade_of(score: float, rules: AssessmentRules) -> Grade:
    if score >= rules.excellent_from:
        return Grade.EXCELLENT
    if score >= rules.pass_from:
        return Grade.PASS
    return Grade.FAIL


def failing_twice(grade: Grade, previous: Grade | None) -> bool:
    """DOMAIN §7: a department 不合格 two quarters running is flagged."""
    return grade is Grade.FAIL and previous is Grade.FAIL


def employee_score(on_time: float | None, mean_satisfaction: float | None, resolved: int,
                   most_resolved: int, against: int, rules: AssessmentRules) -> Score:
    """A handler's score: on-time rate, mean satisfaction (1–5 read as 0–1), volume against
    the busiest ranked colleague, less `employee_penalty` points per valid Class I/II
    complaint against them."""
    satisfaction = None if mean_satisfaction is None else (mean_satisfaction - 1) / 4
    volume = resolved / most_resolved if most_resolved else None
    measures = {"on_time": on_time, "satisfaction": satisfaction, "volume": volume}
    return weighted(measures, rules.employee_weights, against * rules.employee_penalty)


def ranks(scores: list[float]) -> list[int]:
    """Competition ranking ("1, 2, 2, 4") of scores, best first, in the order given."""
    return [1 + sum(1 for other in scores if other > s) for s in scores]
