"""Jinja globals and filters: labels in the current language, local times, masking."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

from babel.dates import format_date
from jinja2 import Environment

from portal import contact, history, i18n, labels, notices, periods
from portal.attachments import name_for
from portal.config import Settings


def pinned_version(package: str) -> str:
    """A front-end package's pinned version (package.json); static/vendor holds that file."""
    pins = json.loads((Path(__file__).resolve().parent.parent / "package.json").read_text())
    return pins["dependencies"][package]


def htmx_version() -> str:
    return pinned_version("htmx.org")


def install_template_globals(env: Environment, settings: Settings) -> None:
    tz = settings.timezone

    def local(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
        if value is None:
            return ""
        if isinstance(value, date) and not isinstance(value, datetime):
            return value.isoformat()
        return value.astimezone(tz).strftime(fmt)

    def iso(value: datetime | None) -> str:
        return value.astimezone(tz).isoformat() if value else ""

    def label_of(item) -> str:
        return item.label(i18n.get_locale()) if item is not None else ""

    def status_label(status: str) -> str:
        text = labels.STATUS_LABELS.get(status)
        return str(text) if text else status

    def dept_name(dept: dict | None) -> str:
        return history.name_of(dept) if dept else ""

    def change_value(value, field: str, departments: dict, policy) -> str:
        """A history row's before/after value in the reader's language."""
        return history.change_text(field, value, departments, policy, local)

    def weekday(value: date) -> str:
        """The day of the week, short, in the reader's language (周四, Thu)."""
        return format_date(value, "EEE", locale=i18n.get_locale())

    def hours(value: float) -> str:
        """Working hours as '3.5'; whole numbers without a decimal."""
        value = round(abs(value), 1)
        return f"{value:g}"

    env.filters.update(
        # An attachment's name as downloaded (with the extension of its real type).
        attachment_name=lambda a: name_for(a["filename"], a["content_type"]),
        change_value=change_value,
        working_hours=hours,
        weekday=weekday,
        period_name=periods.name,
        grade_name=history.grade_name,
        local=local,
        iso=iso,
        label=label_of,
        status_label=status_label,
        mask_phone=contact.mask_phone,
        mask_email=contact.mask_email,
        dept_name=dept_name,
    )
    env.globals.update(
        HTMX_VERSION=htmx_version(),
        CHARTJS_VERSION=pinned_version("chart.js"),
        html_lang=i18n.html_lang,
        get_locale=i18n.get_locale,
        ACTION_LABELS=labels.ACTION_LABELS,
        ROLE_LABELS=labels.ROLE_LABELS,
        LOGIN_OUTCOMES=labels.LOGIN_OUTCOMES,
        INVALID_KINDS=labels.INVALID_KINDS,
        DEADLINE_LABELS=labels.DEADLINE_LABELS,
        REVISIT_STATE_LABELS=labels.REVISIT_STATE_LABELS,
        ATTEMPT_LABELS=labels.ATTEMPT_LABELS,
        SCALE_LABELS=labels.SCALE_LABELS,
        notice_text=notices.notice_text,
        draw_text=history.draw_text,
        POLL_SECONDS=settings.poll_seconds,
    )
