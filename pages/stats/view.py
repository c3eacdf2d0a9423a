"""What /stats shows, independent of the output: the KPI columns (DOMAIN §6), the rows of the
breakdown with their labels in the request's language, the changes against the previous
period, and the numbers the charts draw. The page, the CSV and the XLSX all read this."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from db.stats import Figures, Report
from portal import periods
from portal.i18n import _, _l
from portal.periods import Period, PeriodError, parse

BREAKDOWN_LABELS = {
    "department": _l("Department"),
    "category": _l("Category"),
    "grade": _l("Grade"),
    "channel": _l("Channel"),
}
BREAKDOWNS = tuple(BREAKDOWN_LABELS)
FIRST_YEAR, LAST_YEAR = 2000, 2100  # periods outside are refused (and the dates stay valid)
# Chart colours (also the swatches of the tables next to the charts): distinguishable, and
# readable when printed in grey. static/css/portal.css repeats them as .swatch-0 … .swatch-9
# (no style attributes under the CSP; tests/unit/test_templates.py keeps them equal).
PALETTE = ("#1f5fa8", "#dd6b20", "#2f855a", "#805ad5", "#c53030", "#d69e2e", "#319795",
           "#718096", "#b83280", "#2c5282")


@dataclass(frozen=True)
class Kpi:
    key: str  # a Figures attribute
    label: object  # lazy: the key figure's name, the exports' header
    short: object  # lazy: the on-screen table's column header
    kind: str  # count | rate | hours | score
    better: int  # +1: higher is better; -1: lower is better; 0: neither


KPIS = (
    Kpi("received", _l("Complaints"), _l("Complaints"), "count", -1),
    Kpi("on_time_rate", _l("On-time rate"), _l("On time"), "rate", 1),
    Kpi("resolution_rate", _l("Resolution rate"), _l("Resolved"), "rate", 1),
    Kpi("mean_hours", _l("Mean working hours to resolve"), _l("Mean hours"), "hours", -1),
    Kpi("median_hours", _l("Median working hours to resolve"), _l("Median hours"), "hours", -1),
    Kpi("satisfaction_rate", _l("Satisfaction rate"), _l("Satisfied"), "rate", 1),
    Kpi("mean_score", _l("Mean satisfaction score"), _l("Mean score"), "score", 1),
    Kpi("revisit_rate", _l("Revisit rate"), _l("Revisited"), "rate", 1),
    Kpi("revisit_target", _l("Revisit target"), _l("Revisit target"), "rate", 0),
    Kpi("repeat_rate", _l("Repeat rate"), _l("Repeats"), "rate", -1),
    Kpi("appeals", _l("Appeals"), _l("Appeals"), "count", -1),
    Kpi("extensions", _l("Extension requests"), _l("Extensions"), "count", -1),
    Kpi("urges", _l("Times urged"), _l("Urged"), "count", -1),
    Kpi("overdue", _l("Overdue"), _l("Overdue"), "count", -1),
)
SUMMARY = tuple(k for k in KPIS if k.key != "revisit_target")  # the target shows with the rate

MINUS = "\u2212"


# -- periods ---------------------------------------------------------------------------------

def out_of_range() -> str:
    return _("Pick a period between %(first)d and %(last)d.", first=FIRST_YEAR, last=LAST_YEAR)


def check_period(period: Period) -> Period:
    if period.first.year < FIRST_YEAR or period.last.year > LAST_YEAR:
        raise PeriodError(out_of_range())
    return period


def period_from_key(text: str) -> Period:
    """A period from the `period` parameter; PeriodError with a sentence for the user."""
    try:
        period = parse(text)
    except PeriodError:
        if ".." in text:
            try:
                first, last = (date.fromisoformat(p.strip()) for p in text.split("..", 1))
            except ValueError:
                pass
            else:
                raise PeriodError(range_problem(first, last)) from None
        raise PeriodError(_("“%(value)s” is not a period: use a month (2026-11), a quarter "
                            "(2026-Q4), a year (2026) or a range of days "
                            "(2026-11-01..2026-11-15).", value=text[:40])) from None
    return check_period(period)


def range_problem(first: date, last: date) -> str:
    if last < first:
        return _("The range ends before it starts: pick an end date on or after the start date.")
    return _("A custom range may span at most three years.")


period_name = periods.name


def period_span(period: Period) -> str:
    return f"{period.first.isoformat()} – {period.last.isoformat()}"


def next_period(period: Period) -> Period:
    """The period of the same kind just after (a custom range: as many days after)."""
    after = period.last + timedelta(days=1)
    if period.kind == "month":
        return periods.month(after.year, after.month)
    if period.kind == "quarter":
        return periods.quarter_of(after)
    if period.kind == "year":
        return periods.year(after.year)
    return Period("custom", after, after + timedelta(days=period.days - 1))


def file_stem(period: Period, by: str) -> str:
    return f"stats-{period.key.replace('..', '_')}-{by}"


# -- numbers ---------------------------------------------------------------------------------

def value_of(figures: Figures, kpi: Kpi):
    return getattr(figures, kpi.key)


def fmt(value, kind: str) -> str:
    """A figure for the screen: rates as percentages with one decimal, hours and scores with
    one decimal, counts whole; "—" when there is nothing to compute it from."""
    if value is None:
        return "—"
    if kind == "rate":
        return f"{value * 100:.1f}%"
    if kind in ("hours", "score"):
        return f"{value:.1f}"
    return f"{value:d}"


def csv_value(value, kind: str) -> str:
    """A figure for the CSV: the same, but empty when there is no data."""
    return "" if value is None else fmt(value, kind)


@dataclass(frozen=True)
class Change:
    text: str  # "+3.2 pp", "−5", "±0"
    direction: str  # up | down | same
    verdict: str  # better | worse | same | neutral
    previous: str  # the previous period's figure, formatted


def change(kpi: Kpi, now, before) -> Change | None:
    """The change of a figure against the previous period; None when either is missing."""
    if now is None or before is None:
        return None
    if kpi.kind == "rate":
        delta = round((now - before) * 100, 1)
        number = _("%(value)s pp", value=f"{abs(delta):.1f}")
    elif kpi.kind == "hours":
        delta = round(now - before, 1)
        number = _("%(value)s h", value=f"{abs(delta):.1f}")
    elif kpi.kind == "score":
        delta = round(now - before, 1)
        number = f"{abs(delta):.1f}"
    else:
        delta = now - before
        number = f"{abs(delta):d}"
    if delta == 0:
        return Change("±" + number, "same", "same", fmt(before, kpi.kind))
    direction = "up" if delta > 0 else "down"
    if kpi.better == 0:
        verdict = "neutral"
    else:
        verdict = "better" if (delta > 0) == (kpi.better > 0) else "worse"
    return Change(("+" if delta > 0 else MINUS) + number, direction, verdict,
                  fmt(before, kpi.kind))


# -- the breakdown ---------------------------------------------------------------------------

@dataclass
class Row:
    code: str
    label: str
    figures: Figures
    total: bool = False

    def value(self, kpi: Kpi):
        return value_of(self.figures, kpi)


def label_maker(by: str, policy, departments: dict[str, dict], locale: str):
    lookup = {"categories": policy.category, "grades": policy.grade, "channels": policy.channel}

    def policy_label(kind: str, code: str) -> str:
        return lookup[kind](code).label(locale) if policy.has(kind, code) else code

    def label(code: str) -> str:
        if by == "department":
            if not code:
                return _("Not dispatched yet")
            dept = departments.get(code)
            if not dept:
                return code
            return dept["name_en"] if locale == "en" else dept["name_zh"]
        if by == "category":
            return policy_label("categories", code)
        if by == "grade":
            return policy_label("grades", code)
        return policy_label("channels", code)

    return label


def _order(by: str, policy, departments: dict[str, dict]) -> list[str]:
    if by == "department":
        return [*departments, ""]
    if by == "category":
        return [c.code for c in policy.categories]
    if by == "grade":
        return [g.code for g in policy.grades_by_severity()]
    return [c.code for c in policy.channels]


def rows(report: Report, policy, departments: dict[str, dict], locale: str) -> list[Row]:
    """One row per group of the breakdown, in the policy's (or the departments') order, then
    the total."""
    label = label_maker(report.by, policy, departments, locale)
    order = {code: i for i, code in enumerate(_order(report.by, policy, departments))}
    codes = sorted(report.groups, key=lambda c: (order.get(c, len(order)), c))
    out = [Row(code, label(code), report.groups[code]) for code in codes]
    out.append(Row("", _("Total"), report.overall, total=True))
    return out


def share(counts: dict[str, int], label) -> list[dict]:
    total = sum(counts.values())
    return [{"code": code, "label": label(code), "count": n,
             "share": fmt(n / total, "rate") if total else "—",
             "color": PALETTE[i % len(PALETTE)], "swatch": i % len(PALETTE)}
            for i, (code, n) in enumerate(counts.items()) if n]


def month_label(month: Period) -> str:
    if month.kind == "month":
        return period_name(month)
    return f"{month.first:%m-%d}–{month.last:%m-%d}"


def trend(report: Report, today: date) -> list[dict]:
    """The months of the period up to today (later ones cannot have data yet)."""
    return [{"label": month_label(m), "key": m.key, "received": f.received,
             "on_time_rate": None if f.on_time_rate is None else round(f.on_time_rate * 100, 1),
             "on_time": f.on_time, "due": f.due}
            for m, f in report.months if m.first <= today]


def shares(report: Report, policy, locale: str) -> tuple[list[dict], list[dict]]:
    """The complaints received in the period by category and by channel, largest first."""
    return (share(report.category_share, label_maker("category", policy, {}, locale)),
            share(report.channel_share, label_maker("channel", policy, {}, locale)))


def chart_data(months: list[dict], categories: list[dict], channels: list[dict]) -> dict:
    """The JSON the page embeds for static/js/stats.js."""
    return {
        "trend": {"labels": [m["label"] for m in months],
                  "received": [m["received"] for m in months],
                  "on_time_rate": [m["on_time_rate"] for m in months],
                  "series": {"received": _("Complaints"), "on_time_rate": _("On-time rate")}},
        "category": {"labels": [c["label"] for c in categories],
                     "values": [c["count"] for c in categories],
                     "colors": [c["color"] for c in categories]},
        "channel": {"labels": [c["label"] for c in channels],
                    "values": [c["count"] for c in channels],
                    "colors": [c["color"] for c in channels]},
    }


def is_empty(report: Report) -> bool:
    f = report.overall
    return not (f.received or f.due or f.answers or f.replied)
