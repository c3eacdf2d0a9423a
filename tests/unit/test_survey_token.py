"""The survey link's signed token: round trip, expiry, and every kind of tampering."""

import base64
import hashlib
import string
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from itsdangerous import URLSafeSerializer, URLSafeTimedSerializer

from portal.survey_token import SALT, TokenCheck, TokenState, make_token, read_token

SECRET = "a-test-secret-key"
SENT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
EXPIRES = SENT + timedelta(days=14)
SURVEY_ID = 4711
TOKEN = make_token(SECRET, SURVEY_ID, EXPIRES)
URL_SAFE = string.ascii_letters + string.digits + "-_"
INVALID = TokenCheck(TokenState.INVALID)


SHA256 = {"digest_method": hashlib.sha256}  # the portal signs with HMAC-SHA256, not the default SHA-1


def signed(payload, secret=SECRET, salt=SALT) -> str:
    """A payload signed exactly like the portal's tokens (or with another secret/salt)."""
    return URLSafeSerializer(secret, salt=salt, signer_kwargs=SHA256).dumps(payload)


def _sig_bytes(sig: str) -> bytes:
    return base64.urlsafe_b64decode(sig + "=" * (-len(sig) % 4))


# ---- genuine tokens ------------------------------------------------------------------------

def test_a_token_reads_back_as_its_survey():
    assert read_token(SECRET, TOKEN, SENT) == TokenCheck(TokenState.OK, SURVEY_ID)
    assert set(TOKEN) <= set(URL_SAFE + ".")  # goes into a URL path as it is
    assert SECRET not in TOKEN
    assert make_token(SECRET, SURVEY_ID, EXPIRES) == TOKEN  # deterministic


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=1, max_value=2**53),
       st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2200, 1, 1),
                    timezones=st.just(UTC)),
       st.integers(min_value=1, max_value=10**8))
def test_any_survey_round_trips_until_its_expiry(survey_id, expires_at, seconds_before):
    token = make_token(SECRET, survey_id, expires_at)
    whole = expires_at.replace(microsecond=0)
    assert read_token(SECRET, token, whole - timedelta(seconds=seconds_before)) == \
        TokenCheck(TokenState.OK, survey_id)
    assert read_token(SECRET, token, expires_at) == TokenCheck(TokenState.EXPIRED, survey_id)


def test_tokens_for_other_surveys_differ():
    assert make_token(SECRET, SURVEY_ID + 1, EXPIRES) != TOKEN
    assert make_token(SECRET, SURVEY_ID, EXPIRES + timedelta(seconds=1)) != TOKEN


# ---- expiry --------------------------------------------------------------------------------

def test_just_before_the_expiry_the_token_is_ok():
    assert read_token(SECRET, TOKEN, EXPIRES - timedelta(microseconds=1)) == \
        TokenCheck(TokenState.OK, SURVEY_ID)


@pytest.mark.parametrize("after", [timedelta(0), timedelta(microseconds=1), timedelta(seconds=1),
                                   timedelta(days=1), timedelta(days=3650)])
def test_at_and_after_the_expiry_the_token_is_expired(after):
    assert read_token(SECRET, TOKEN, EXPIRES + after) == TokenCheck(TokenState.EXPIRED, SURVEY_ID)


def test_expiry_is_an_instant_whatever_the_time_zone():
    shanghai = EXPIRES.astimezone(ZoneInfo("Asia/Shanghai"))
    assert read_token(SECRET, TOKEN, shanghai).state is TokenState.EXPIRED
    assert read_token(SECRET, TOKEN, shanghai - timedelta(seconds=1)).state is TokenState.OK
    token = make_token(SECRET, 5, shanghai)
    assert read_token(SECRET, token, EXPIRES).state is TokenState.EXPIRED
    assert read_token(SECRET, token, EXPIRES - timedelta(seconds=1)).state is TokenState.OK


def test_a_fractional_expiry_never_runs_late():
    expires = EXPIRES + timedelta(milliseconds=600)
    token = make_token(SECRET, 5, expires)
    assert read_token(SECRET, token, expires).state is TokenState.EXPIRED
    assert read_token(SECRET, token, EXPIRES - timedelta(microseconds=1)).state is TokenState.OK


# ---- tampering -----------------------------------------------------------------------------

def test_changing_any_character_of_the_payload_invalidates_the_token():
    payload, sig = TOKEN.split(".")
    for i in range(len(payload)):
        for c in URL_SAFE:
            if c != payload[i]:
                forged = f"{payload[:i]}{c}{payload[i + 1:]}.{sig}"
                assert read_token(SECRET, forged, SENT) == INVALID, (i, c)


def test_changing_any_character_of_the_signature_invalidates_the_token():
    payload, sig = TOKEN.split(".")
    for i in range(len(sig)):
        for c in URL_SAFE:
            if c == sig[i]:
                continue
            forged_sig = f"{sig[:i]}{c}{sig[i + 1:]}"
            check = read_token(SECRET, f"{payload}.{forged_sig}", SENT)
            if _sig_bytes(forged_sig) == _sig_bytes(sig):
                # base64's unused low bits in the last character: the same signature bytes
                assert i == len(sig) - 1 and check.state is TokenState.OK
            else:
                assert check == INVALID, (i, c)


def test_a_truncated_or_extended_token_is_invalid():
    for n in range(len(TOKEN)):
        assert read_token(SECRET, TOKEN[:n], SENT) == INVALID, n
    for extra in ("A", "x", ".", "..", ".AAAA", "%20"):
        assert read_token(SECRET, TOKEN + extra, SENT) == INVALID, extra
        assert read_token(SECRET, extra + TOKEN, SENT) == INVALID, extra
    # base64 padding after the signature spells the same signature bytes: not a forgery
    assert read_token(SECRET, TOKEN + "=", SENT) in (INVALID, TokenCheck(TokenState.OK, SURVEY_ID))
    assert read_token(SECRET, "=" + TOKEN, SENT) == INVALID
    payload, sig = TOKEN.split(".")
    assert read_token(SECRET, f"{sig}.{payload}", SENT) == INVALID
    assert read_token(SECRET, f"{payload}.{payload}", SENT) == INVALID
    assert read_token(SECRET, f"{payload}.{sig}.{sig}", SENT) == INVALID


@pytest.mark.parametrize("garbage", ["", " ", ".", "..", "abc", "a.b", "null", "{}", "é.é",
                                     "../../etc/passwd", "A" * 5000, "\x00.\x00", "🙂.🙂"])
def test_garbage_is_invalid(garbage):
    assert read_token(SECRET, garbage, SENT) == INVALID


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_random_text_is_never_a_token(text):
    assert read_token(SECRET, text, SENT) == INVALID


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=URL_SAFE, min_size=1, max_size=60),
       st.text(alphabet=URL_SAFE, min_size=1, max_size=40))
def test_random_token_shaped_text_is_never_a_token(payload, sig):
    assert read_token(SECRET, f"{payload}.{sig}", SENT) == INVALID


def test_a_token_signed_with_another_secret_is_invalid():
    other = make_token("another-secret", SURVEY_ID, EXPIRES)
    assert read_token(SECRET, other, SENT) == INVALID
    assert read_token("another-secret", TOKEN, SENT) == INVALID
    assert read_token(SECRET, make_token(SECRET + " ", SURVEY_ID, EXPIRES), SENT) == INVALID


@pytest.mark.parametrize("salt", ["portal.password-reset", "portal.survey.v2", "itsdangerous"])
def test_a_token_for_another_purpose_is_invalid(salt):
    """Same secret, same payload, another salt (another use of the key): not a survey link."""
    payload = {"s": SURVEY_ID, "e": int(EXPIRES.timestamp())}
    assert read_token(SECRET, signed(payload, salt=salt), SENT) == INVALID
    unsalted = URLSafeSerializer(SECRET, signer_kwargs=SHA256).dumps(payload)
    assert read_token(SECRET, unsalted, SENT) == INVALID


def test_a_timed_token_with_the_same_salt_is_invalid():
    payload = {"s": SURVEY_ID, "e": int(EXPIRES.timestamp())}
    timed = URLSafeTimedSerializer(SECRET, salt=SALT, signer_kwargs=SHA256).dumps(payload)
    assert read_token(SECRET, timed, SENT) == INVALID


E = int(EXPIRES.timestamp())


@pytest.mark.parametrize("payload", [
    [SURVEY_ID, E],
    {"s": str(SURVEY_ID), "e": E},
    {"s": SURVEY_ID},
    {"e": E},
    {},
    {"s": SURVEY_ID, "e": str(E)},
    {"s": float(SURVEY_ID), "e": E},
    {"s": SURVEY_ID, "e": E + 0.5},
    {"s": None, "e": E},
    {"survey": SURVEY_ID, "expires": E},
    None,
    SURVEY_ID,
    "4711",
], ids=repr)
def test_a_well_signed_payload_of_the_wrong_shape_is_invalid(payload):
    assert read_token(SECRET, signed(payload), SENT) == INVALID
    # and it is not reported as expired either, however late
    assert read_token(SECRET, signed(payload), EXPIRES + timedelta(days=365)) == INVALID


def test_a_forged_expired_token_is_invalid_not_expired():
    """Expiry is only told for a genuine token: a forger learns nothing from the answer."""
    past = int((SENT - timedelta(days=30)).timestamp())
    forged = signed({"s": SURVEY_ID, "e": past}, secret="guessed-secret")
    assert read_token(SECRET, forged, SENT) == INVALID
    # a genuine signature on another payload does not vouch for this one
    _, sig = TOKEN.split(".")
    stale_payload = signed({"s": SURVEY_ID, "e": past}).split(".")[0]
    assert read_token(SECRET, f"{stale_payload}.{sig}", SENT) == INVALID
    # while the genuine expired token is told as expired
    genuine = signed({"s": SURVEY_ID, "e": past})
    assert read_token(SECRET, genuine, SENT) == TokenCheck(TokenState.EXPIRED, SURVEY_ID)


def test_tampering_with_an_expired_token_never_reports_expired():
    late = EXPIRES + timedelta(days=1)
    assert read_token(SECRET, TOKEN, late).state is TokenState.EXPIRED
    payload, sig = TOKEN.split(".")
    for i in range(len(payload)):
        forged = f"{payload[:i]}{'A' if payload[i] != 'A' else 'B'}{payload[i + 1:]}.{sig}"
        assert read_token(SECRET, forged, late) == INVALID, i
    for n in range(len(TOKEN)):
        assert read_token(SECRET, TOKEN[:n], late) == INVALID, n
    assert read_token("another-secret", TOKEN, late) == INVALID
