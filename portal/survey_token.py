"""The survey link's token: signed (itsdangerous, HMAC) with the portal's secret key, naming
one survey row and its expiry. Single use is the database's part (survey.used_at). Pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from itsdangerous import BadData, URLSafeSerializer

SALT = "portal.survey.v1"


class TokenState(StrEnum):
    OK = "ok"
    EXPIRED = "expired"
    INVALID = "invalid"  # tampered, truncated, signed with another key, or not a token


@dataclass(frozen=True)
class TokenCheck:
    state: TokenState
    survey_id: int | None = None


def _serializer(secret: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret, salt=SALT)


def make_token(secret: str, survey_id: int, expires_at: datetime) -> str:
    return _serializer(secret).dumps({"s": survey_id, "e": int(expires_at.timestamp())})


def read_token(secret: str, token: str, now: datetime) -> TokenCheck:
    """Whether a token is genuine and still valid at `now`; expiry is only reported for a
    genuine token, so a forged one learns nothing."""
    try:
        payload = _serializer(secret).loads(token)
    except BadData:
        return TokenCheck(TokenState.INVALID)
    if not isinstance(payload, dict) or not isinstance(payload.get("s"), int) \
            or not isinstance(payload.get("e"), int):
        return TokenCheck(TokenState.INVALID)
    if now >= datetime.fromtimestamp(payload["e"], UTC):
        return TokenCheck(TokenState.EXPIRED, payload["s"])
    return TokenCheck(TokenState.OK, payload["s"])
