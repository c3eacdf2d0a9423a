"""DOMAIN §2: human-readable complaint numbers, TS-YYYY-NNNNNN, gap-free per year."""

from __future__ import annotations

import re

_NUMBER = re.compile(r"^TS-(\d{4})-(\d{6})$")


def format_number(year: int, sequence: int) -> str:
    if not 1 <= sequence <= 999_999:
        raise ValueError(f"sequence {sequence} out of range for a yearly number")
    return f"TS-{year:04d}-{sequence:06d}"


def parse_number(text: str) -> tuple[int, int] | None:
    match = _NUMBER.match((text or "").strip().upper())
    return (int(match[1]), int(match[2])) if match else None
