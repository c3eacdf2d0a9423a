import pytest

from portal.auth import hash_password, safe_next, verify_password


def test_hash_and_verify():
    hashed = hash_password("demo-pass")
    assert hashed.startswith("$argon2")
    assert verify_password(hashed, "demo-pass")
    assert not verify_password(hashed, "wrong")
    assert not verify_password(None, "demo-pass")
    assert not verify_password("not-a-hash", "demo-pass")


@pytest.mark.parametrize("target,expected", [
    ("/inbox?status=all", "/inbox?status=all"), ("//evil.example", "/"), ("http://evil", "/"),
    ("/\\evil", "/"), ("", "/"), (None, "/"), ("inbox", "/"),
])
def test_safe_next(target, expected):
    assert safe_next(target) == expected
