"""Accounts: the password rule, set-password tokens, the set-password email and the
difference an administrator's change makes. Pure: no Litestar, no SQL."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta, tzinfo

from portal.i18n import _, in_locale
from portal.workflow import DEPARTMENT_ROLES

LINK_LIFETIME = timedelta(hours=24)
MIN_PASSWORD = 10
LANGUAGES = ("zh_CN", "en")
USERNAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
# Deliberately loose: one @, something on each side, a dot in the domain, no spaces.
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def password_problem(password: str, username: str) -> str | None:
    """Why this password is refused, or None: long enough and not the username."""
    if len(password) < MIN_PASSWORD:
        return _("Use at least %(n)d characters.", n=MIN_PASSWORD)
    if username and username.lower() in password.lower():
        return _("The password must not contain the username.")
    return None


def needs_department(role: str) -> bool:
    """Handlers and department heads belong to a department (DOMAIN §1)."""
    return role in DEPARTMENT_ROLES


def new_token() -> tuple[str, str]:
    """(token for the link, hash to store): the database never holds the token itself."""
    token = secrets.token_urlsafe(32)
    return token, token_hash(token)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def changes(before: dict, after: dict) -> dict:
    """{field: [before, after]} for every field whose value differs."""
    return {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}


def set_password_email(name: str, username: str, link: str, expires_at: datetime,
                       locale: str, tz: tzinfo) -> tuple[str, str]:
    """(subject, body) of the email with a set-password link, in the user's language."""
    with in_locale(locale):
        subject = _("[Complaint portal] Set your password")
        body = "\n".join([
            _("Hello %(name)s,", name=name), "",
            _("An account on the complaint portal is ready for you. Your username is "
              "%(username)s. Choose your password here:", username=username), "",
            link, "",
            _("The link works once and until %(time)s.",
              time=expires_at.astimezone(tz).strftime("%Y-%m-%d %H:%M")),
            _("If you did not expect this message, ignore it: nothing changes."),
            "", "-- ", _("Complaint portal (automatic message, please do not reply)"),
        ])
    return subject[:250], body + "\n"
