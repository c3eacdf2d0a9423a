"""The survey link's token: signed (itsdangerous, HMAC) with the portal's secret key, naming
one survey row and its expiry. Single use is the database's part (survey.used_at). Pure."""

from __future__ import annotations

import hashlib
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
    return URLSafeSerializer(secret, salt=SALT, signer_kwargs={"digest_method": hashlib.sha256})


def make_token(secret: str, survey_id: int, expires_at: datetime) -> str:
    return _serializer(secret).dumps({"s": survey_id, "e": int(expires_at.timestamp())})


def read_token(secret: str, token: str, now: datetime) -> TokenCheck:
    """Whether a token is genuine and still valid at `now`; expiry is only reported for a
    genuine token, so a forged one learns nothing."""
    try:
        payload = _serializer(secret).loads(token)
    except BadData:
        return TokenCheck(TokenState.INVALID)
    if not isinstance(payload, dict) or type(payload.get("s")) is not int \
            or type(payload.get("e")) is not int or not 0 < payload["e"] < 2**37:
        return TokenCheck(TokenState.INVALID)
    if now >= datetime.fromtimestamp(payload["e"], UTC):
        return TokenCheck(TokenState.EXPIRED, payload["s"])
    return TokenCheck(TokenState.OK, payload["s"])
