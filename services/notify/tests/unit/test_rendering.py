"""Templates: every type renders in text and HTML (SMS types also as SMS), HTML is escaped,
operator files win per name, a locale falls back to its language and then to the default, and a
template that needs a missing field fails instead of sending a message with a hole in it."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from authmesh_notify.domain.errors import TemplateError
from authmesh_notify.domain.model import MESSAGE_TYPES, Channel, Notification
from authmesh_notify.rendering import TemplateRenderer, locale_candidates, template_names

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
FIELDS = {
    "url": "https://auth.example.com/api/auth/verify-email?token=tok-123&callbackURL=%2F",
    "token": "tok-123",
    "otp": "482913",
    "otpType": "sign-in",
    "invitationId": "inv-1",
    "organizationId": "org-1",
    "role": "member",
    "inviterEmail": "owner@example.com",
    "time": "2026-11-26 12:00 UTC",
}
SMS_TYPES = ("phone-otp", "phone-reset-otp", "two-factor-otp")


def renderer(overrides: Path | None = None) -> TemplateRenderer:
    return TemplateRenderer(app_name="Acme", clock=lambda: NOW, overrides=overrides)


def note(type_: str, fields: dict[str, str] | None = None, **extra: str) -> Notification:
    return Notification(
        id="m1",
        type=type_,
        channel=Channel.EMAIL,
        to=extra.get("to", "alice@example.com"),
        expires_at=NOW + timedelta(minutes=15),
        fields=FIELDS if fields is None else fields,
        locale=extra.get("locale", ""),
    )


@pytest.mark.parametrize("type_", sorted(MESSAGE_TYPES))
def test_every_type_renders_text_and_html_with_its_fields(type_: str) -> None:
    email = renderer().email(note(type_))
    assert email.subject and "\n" not in email.subject
    assert "Acme" in email.subject
    assert email.html.lstrip().startswith("<!doctype html>")
    for field in MESSAGE_TYPES[type_]:
        value = FIELDS[field] if field != "otpType" else "sign in"
        assert value in email.text
    if "url" in MESSAGE_TYPES[type_]:
        assert FIELDS["url"].replace("&", "&amp;") in email.html  # autoescaped in HTML
        assert "15 minutes" in email.text


@pytest.mark.parametrize("type_", SMS_TYPES)
def test_sms_types_have_a_short_body_with_the_code(type_: str) -> None:
    sms = renderer().sms(note(type_, to="+15551234567"))
    assert sms.to == "+15551234567"
    assert FIELDS["otp"] in sms.body
    assert len(sms.body) <= 160


def test_codes_never_appear_in_subjects() -> None:
    for type_ in ("email-otp", "two-factor-otp", "phone-otp", "phone-reset-otp"):
        assert FIELDS["otp"] not in renderer().email(note(type_)).subject


def test_html_escapes_names_and_text_keeps_them() -> None:
    fields = FIELDS | {"inviterName": "<script>alert(1)</script>", "organizationName": "A&B"}
    email = renderer().email(note("organization-invitation", fields))
    assert "<script>" not in email.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in email.html
    assert "A&amp;B" in email.html
    assert "<script>alert(1)</script>" in email.text


def test_a_missing_required_field_fails_rather_than_render_a_hole() -> None:
    with pytest.raises(TemplateError) as failure:
        renderer().email(note("verify-email", {"token": "t"}))
    assert failure.value.reason == "TEMPLATE_FAILED"
    assert "url" in str(failure.value)


def test_unknown_types_and_malformed_types_are_refused() -> None:
    with pytest.raises(TemplateError) as missing:
        renderer().email(note("no-such-type"))
    assert missing.value.reason == "TEMPLATE_MISSING"
    for bad in ("../verify-email", "Verify-Email", "verify email", ""):
        with pytest.raises(TemplateError) as malformed:
            renderer().email(note(bad))
        assert malformed.value.reason == "UNKNOWN_TYPE"


def test_a_link_must_be_http() -> None:
    with pytest.raises(TemplateError) as failure:
        renderer().email(note("magic-link", FIELDS | {"url": "javascript:alert(1)"}))
    assert failure.value.reason == "INVALID_FIELD"


def test_locale_lookup_order() -> None:
    assert locale_candidates("de-AT") == ["de-AT", "de", ""]
    assert locale_candidates("pt_BR") == ["pt-BR", "pt", ""]
    assert locale_candidates("") == [""]
    assert locale_candidates("../../etc") == [""]
    assert locale_candidates("de/../x") == [""]
    assert template_names("verify-email", "de-AT", "txt") == [
        "verify-email.de-AT.txt",
        "verify-email.de.txt",
        "verify-email.txt",
    ]


def test_operator_files_win_per_name_and_translations_fall_back(tmp_path: Path) -> None:
    (tmp_path / "verify-email.txt").write_text("Operator: {{ url }}")
    (tmp_path / "verify-email.de.subject.txt").write_text("Bitte E-Mail bestätigen")
    (tmp_path / "verify-email.de.txt").write_text("Bitte bestätigen: {{ url }}")
    ours = renderer(tmp_path)

    default = ours.email(note("verify-email"))
    assert default.text == f"Operator: {FIELDS['url']}"
    assert default.subject == "Verify your email address for Acme"  # shipped: not overridden

    german = ours.email(note("verify-email", locale="de-AT"))
    assert german.subject == "Bitte E-Mail bestätigen"
    assert german.text == f"Bitte bestätigen: {FIELDS['url']}"
    assert "Please verify your email address" in german.html  # no German HTML: the default


def test_an_operator_template_cannot_reach_python_internals(tmp_path: Path) -> None:
    (tmp_path / "magic-link.txt").write_text("{{ url.__class__.__mro__[1].__subclasses__() }}")
    with pytest.raises(TemplateError):
        renderer(tmp_path).email(note("magic-link"))
