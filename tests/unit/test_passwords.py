import pytest

from dashboard.passwords import (
    MAX_LENGTH,
    MIN_LENGTH,
    common_passwords,
    hash_password,
    password_context,
    password_problem,
    verify_and_update,
)


@pytest.mark.parametrize(
    ("length", "accepted"), [(11, False), (12, True), (128, True), (129, False)]
)
def test_length_limits(length, accepted):
    password = ("correct-lamp-" * 20)[:length]
    assert (password_problem(password) is None) is accepted


def test_limits_are_the_policy():
    assert (MIN_LENGTH, MAX_LENGTH) == (12, 128)


@pytest.mark.parametrize(
    "password", ["password1234", "PASSWORD1234", "qwertyuiopasdf", "onedayatatime1", "aaaaaaaaaaaaaa"]
)
def test_common_passwords_are_refused(password):
    assert "common" in password_problem(password)


def test_bundled_list_is_substantial():
    assert len(common_passwords()) > 1000


def test_no_composition_rules():
    assert password_problem("all lower case words here") is None


def test_long_non_ascii_passphrase_verifies_exactly():
    passphrase = ("Ñandú café über straße ☕ " * 5)[:100]
    assert len(passphrase) == 100
    stored = hash_password(passphrase)
    assert verify_and_update(passphrase, stored)[0]
    # No truncation and no normalisation: one character different anywhere is a different password.
    assert not verify_and_update(passphrase[:-1] + "x", stored)[0]
    assert not verify_and_update(passphrase[:99], stored)[0]
    assert not verify_and_update(passphrase.upper(), stored)[0]


def test_hash_is_argon2id_with_owasp_minimum():
    stored = hash_password("a sturdy passphrase here")
    assert stored.startswith("$argon2id$")
    params = dict(p.split("=") for p in stored.split("$")[3].split(","))
    assert int(params["m"]) >= 19 * 1024
    assert int(params["t"]) >= 2
    assert int(params["p"]) >= 1


def test_outdated_hash_is_upgraded_on_verify():
    weak = password_context.handler("argon2").using(memory_cost=1024, rounds=1).hash("old but fine pw")
    ok, new_hash = verify_and_update("old but fine pw", weak)
    assert ok
    assert new_hash is not None and "m=19456" in new_hash
    assert verify_and_update("old but fine pw", new_hash) == (True, None)


def test_a_huge_password_is_refused_not_an_error():
    stored = hash_password("a sturdy passphrase here")
    assert verify_and_update("x" * 10_000, stored) == (False, None)
    assert password_problem("x" * 10_000) is not None
