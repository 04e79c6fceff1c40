"""Two-factor login, the pure parts: time steps and codes (RFC 6238), the drift window,
recovery codes, enrolment data, and who needs a second factor."""

from datetime import datetime, timedelta, timezone

import pyotp
import pytest

from dashboard import two_factor
from dashboard.auth import Actor
from dashboard.totp_codes import clean_code, code_at, matching_step, time_step
from dashboard.two_factor import (
    _clean_recovery_code,
    new_recovery_code,
    start_enrolment,
)

NOW = datetime(2026, 11, 26, 15, 0, 10, tzinfo=timezone.utc)
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
# RFC 6238 appendix B: the SHA-1 key "12345678901234567890", whose 8-digit codes end in
# these 6 digits (HOTP truncation keeps the low digits).
RFC_SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
RFC_VECTORS = [(59, "287082"), (1111111109, "081804"), (1111111111, "050471"),
               (1234567890, "005924"), (2000000000, "279037")]


@pytest.mark.parametrize(("unix_time", "code"), RFC_VECTORS)
def test_codes_are_those_of_rfc_6238(unix_time, code):
    assert code_at(RFC_SECRET, datetime.fromtimestamp(unix_time, timezone.utc)) == code


def test_a_time_step_is_thirty_seconds_since_the_epoch():
    assert time_step(datetime(1970, 1, 1, 0, 0, 59, tzinfo=timezone.utc)) == 1
    assert time_step(NOW) == int(NOW.timestamp()) // 30
    assert time_step(NOW + timedelta(seconds=30)) == time_step(NOW) + 1


def test_codes_match_what_an_authenticator_app_shows():
    assert code_at(SECRET, NOW) == pyotp.TOTP(SECRET).at(NOW)
    assert code_at(SECRET, NOW, steps=-1) == pyotp.TOTP(SECRET).at(NOW - timedelta(seconds=30))


@pytest.mark.parametrize("steps", [-1, 0, 1])
def test_one_step_of_clock_drift_either_way_is_accepted(steps):
    code = code_at(SECRET, NOW, steps=steps)
    assert matching_step(SECRET, code, NOW, after=None) == time_step(NOW) + steps


@pytest.mark.parametrize("steps", [-3, -2, 2, 3])
def test_codes_two_or_more_steps_away_are_refused(steps):
    code = code_at(SECRET, NOW, steps=steps)
    # A code of another step may equal one in the window by chance (1 in a million):
    # the secret and time here are fixed, and these are not such a case.
    assert code not in {code_at(SECRET, NOW, steps=s) for s in (-1, 0, 1)}
    assert matching_step(SECRET, code, NOW, after=None) is None


def test_a_code_of_the_last_accepted_step_or_older_is_refused():
    current = time_step(NOW)
    assert matching_step(SECRET, code_at(SECRET, NOW), NOW, after=current) is None
    assert matching_step(SECRET, code_at(SECRET, NOW, steps=-1), NOW, after=current) is None
    assert matching_step(SECRET, code_at(SECRET, NOW, steps=1), NOW,
                          after=current) == current + 1


@pytest.mark.parametrize(("typed", "clean"), [
    ("123456", "123456"), (" 123 456 ", "123456"), ("123-456", "123456"),
])
def test_codes_may_be_typed_with_spaces_or_a_dash(typed, clean):
    assert clean_code(typed) == clean


@pytest.mark.parametrize("typed", ["", "12345", "1234567", "12345a", "١٢٣٤٥٦", "abcdef"])
def test_anything_but_six_digits_is_not_a_code(typed):
    assert clean_code(typed) is None


def test_recovery_codes_are_ten_unambiguous_characters_in_two_groups():
    codes = {new_recovery_code() for _ in range(200)}
    assert len(codes) == 200
    for code in codes:
        first, second = code.split("-")
        assert len(first) == len(second) == 5
        assert set(first + second) <= set(two_factor.RECOVERY_ALPHABET)
    assert not set("0o1li") & set(two_factor.RECOVERY_ALPHABET)


@pytest.mark.parametrize(("typed", "clean"), [
    ("abcde-fgh23", "abcdefgh23"), ("ABCDE FGH23", "abcdefgh23"), (" abcdefgh23 ", "abcdefgh23"),
])
def test_recovery_codes_are_read_without_regard_to_case_spaces_or_dashes(typed, clean):
    assert _clean_recovery_code(typed) == clean


@pytest.mark.parametrize("typed", ["", "abcde-fgh2", "abcde-fgh234", "abcde-fgh10", "123456"])
def test_malformed_recovery_codes_are_recognised(typed):
    assert _clean_recovery_code(typed) is None


def actor(*roles: str, enrolled: bool = False) -> Actor:
    return Actor(id=1, username="pat", display_name="Pat", roles=frozenset(roles),
                 timezone="UTC", two_factor_enrolled_at=NOW if enrolled else None)


def test_enrolment_offers_a_fresh_160_bit_secret_and_a_neutral_otpauth_address():
    first, second = start_enrolment(actor=actor("counselor")), start_enrolment(
        actor=actor("counselor"))
    assert first.secret != second.secret
    assert len(first.secret) == 32 and set(first.secret) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
    assert first.grouped_secret.replace(" ", "") == first.secret
    assert len(first.grouped_secret.split(" ")) == 8
    parsed = pyotp.parse_uri(first.uri)
    assert parsed.secret == first.secret and parsed.name == "pat" and parsed.issuer == "Dashboard"
    assert parsed.interval == 30 and parsed.digits == 6
    # An app lists the account under this name, on a screen others see: nothing about recovery.
    assert "recovery" not in first.uri.lower()


def test_the_qr_code_is_a_png_made_locally():
    png = two_factor.qr_png(start_enrolment(actor=actor("admin")).uri)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert 200 < len(png) < 20_000


@pytest.mark.parametrize(("roles", "enrolled", "needed"), [
    (("member",), False, False),
    (("member",), True, True),
    (("member", "sponsor"), False, True),
    (("counselor",), False, True),
    (("admin",), True, True),
])
def test_who_needs_a_second_factor(roles, enrolled, needed):
    assert actor(*roles, enrolled=enrolled).needs_second_factor is needed
    assert two_factor.is_required(frozenset(roles)) is (roles != ("member",))
