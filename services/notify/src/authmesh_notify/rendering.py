"""Templates to messages, with Jinja2 in its sandbox.

Per message type the package ships `<type>.subject.txt`, `<type>.txt` and `<type>.html` for
email, and `<type>.sms.txt` for SMS (templates/). A file of the same name in
`AUTHMESH_TEMPLATES_DIR` wins over the shipped one. With a locale, `<type>.<locale>.<kind>` is
looked up first, then the locale's language (`de` for `de-AT`), then `<type>.<kind>`; so a
translation is one more file per kind. HTML is autoescaped; text is not (it is never shown as
HTML). A template that reads a field the message does not carry fails, and the message goes to
the dead letters rather than out with a hole where its link should be.
"""

import math
import re
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from authmesh_notify.domain.addresses import clean_header_text
from authmesh_notify.domain.errors import TemplateError
from authmesh_notify.domain.model import Email, Notification, Sms

SHIPPED = Path(__file__).parent / "templates"
_TYPE = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
_LOCALE = re.compile(r"[A-Za-z]{2,8}(?:[-_][A-Za-z0-9]{1,8}){0,3}")
# Links go to the configured base URL (identity builds them); anything else is refused.
_LINK_FIELDS = ("url",)
_LINK_SCHEMES = ("https://", "http://")


def locale_candidates(locale: str) -> list[str]:
    """`de-AT` → ["de-AT", "de", ""]; an empty or malformed locale → [""]."""
    if not _LOCALE.fullmatch(locale):
        return [""]
    parts = locale.replace("_", "-").split("-")
    return ["-".join(parts[:count]) for count in range(len(parts), 0, -1)] + [""]


def template_names(type_: str, locale: str, kind: str) -> list[str]:
    """The file names to try for one part of one message type, most specific first."""
    return [
        f"{type_}.{candidate}.{kind}" if candidate else f"{type_}.{kind}"
        for candidate in locale_candidates(locale)
    ]


class TemplateRenderer:
    def __init__(
        self,
        *,
        app_name: str,
        clock: Callable[[], datetime],
        overrides: Path | None = None,
    ) -> None:
        loaders: list[jinja2.BaseLoader] = []
        if overrides is not None:
            loaders.append(jinja2.FileSystemLoader(overrides))
        loaders.append(jinja2.FileSystemLoader(SHIPPED))
        self._env = SandboxedEnvironment(
            loader=jinja2.ChoiceLoader(loaders),
            autoescape=jinja2.select_autoescape(
                enabled_extensions=("html",), default_for_string=False, default=False
            ),
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self._app_name = app_name
        self._clock = clock

    def email(self, notification: Notification) -> Email:
        context = self._context(notification)
        return Email(
            to=notification.to,
            subject=clean_header_text(self._render(notification, "subject.txt", context)),
            text=self._render(notification, "txt", context),
            html=self._render(notification, "html", context),
        )

    def sms(self, notification: Notification) -> Sms:
        body = self._render(notification, "sms.txt", self._context(notification))
        return Sms(to=notification.to, body=body.strip())

    def _context(self, notification: Notification) -> Mapping[str, Any]:
        if not _TYPE.fullmatch(notification.type):
            raise TemplateError("unknown message type", reason="UNKNOWN_TYPE")
        for name in _LINK_FIELDS:
            value = notification.fields.get(name)
            if value is not None and not value.startswith(_LINK_SCHEMES):
                raise TemplateError(f"field {name} is not an http(s) URL", reason="INVALID_FIELD")
        seconds = (notification.expires_at - self._clock()).total_seconds()
        return {
            **notification.fields,
            "fields": dict(notification.fields),
            "to": notification.to,
            "type": notification.type,
            "locale": notification.locale,
            "app_name": self._app_name,
            "expires_in_minutes": max(1, math.ceil(seconds / 60)),
        }

    def _render(self, notification: Notification, kind: str, context: Mapping[str, Any]) -> str:
        names = template_names(notification.type, notification.locale, kind)
        try:
            return self._env.select_template(names).render(context)
        except jinja2.TemplateNotFound:
            raise TemplateError(f"no template {names[-1]}", reason="TEMPLATE_MISSING") from None
        except jinja2.TemplateError as exc:
            # The exception names the template and the undefined variable, never a value.
            raise TemplateError(f"template {names[-1]} failed: {exc}") from None
