"""Customer contact details: validation (DOMAIN §2) and masking (DOMAIN §8)."""

from __future__ import annotations

import re

from email_validator import EmailNotValidError, validate_email

# Mainland mobile: 11 digits starting 13–19. Landline: area code 0xx/0xxx, then 7–8 digits,
# optional extension. Spaces and hyphens are tolerated on input and removed on save.
_MOBILE = re.compile(r"^(?:\+?86)?1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0\d{2,3}\d{7,8}(?:#\d{1,6})?$")


def normalize_phone(raw: str) -> str:
    return re.sub(r"[\s\-()]", "", raw or "")


def is_valid_phone(raw: str) -> bool:
    phone = normalize_phone(raw)
    return bool(_MOBILE.match(phone) or _LANDLINE.match(phone))


def normalize_email(raw: str) -> str:
    return (raw or "").strip()


def is_valid_email(raw: str) -> bool:
    try:
        validate_email(normalize_email(raw), check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


def mask_phone(phone: str) -> str:
    """138****1234: keep the first three and last four digits."""
    if not phone:
        return ""
    if len(phone) <= 7:
        return phone[:1] + "*" * (len(phone) - 1)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


def mask_email(email: str) -> str:
    """z***@example.com: keep the first letter of the mailbox and the domain."""
    if not email or "@" not in email:
        return mask_phone(email)
    local, domain = email.rsplit("@", 1)
    return f"{local[:1]}***@{domain}"
