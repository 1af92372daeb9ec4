"""Better-Auth's rate-limit rules and bucket keys (api.md §6; better-auth 1.7.25
`api/rate-limiter/index.ts` and the rules of the twoFactor, emailOTP, magicLink and phoneNumber
plugins).

A bucket is `<ip>|<path>`: the path below the base path with trailing slashes removed, exactly as
sent otherwise (no case folding, no percent-decoding). Only exact paths reach a route, so a path
trick (`/sign-in/email/`, `/Sign-In/email`, `/sign-in/%65mail`) lands in its own bucket of a 404,
never in a fresh budget for the real endpoint; an unknown path still has the global rule.
"""

from dataclasses import dataclass

BASE_PATH = "/api/auth"
NO_TRUSTED_IP = "no-trusted-ip"  # the shared bucket of clients whose IP is unknown
_MAX_KEY_PATH = 256  # longer paths share a bucket (stricter, and Redis keys stay small)


@dataclass(frozen=True, slots=True)
class Rule:
    window_s: int
    max: int

    @property
    def window_ms(self) -> int:
        return self.window_s * 1000


GLOBAL = Rule(10, 100)
_FIRST_LOGIN = Rule(10, 3)
_MESSAGES = Rule(60, 3)
_TWO_FACTOR = Rule(10, 3)
_EMAIL_OTP = Rule(60, 3)
_MAGIC_LINK = Rule(60, 5)
_PHONE_NUMBER = Rule(60, 10)

# Plugin rules win over the built-in special rules; no two plugins' matchers overlap.
_PLUGIN_EXACT = dict.fromkeys(
    (
        "/email-otp/send-verification-otp",
        "/email-otp/check-verification-otp",
        "/email-otp/verify-email",
        "/sign-in/email-otp",
        "/email-otp/request-password-reset",
        "/email-otp/reset-password",
        "/forget-password/email-otp",
        "/email-otp/request-email-change",
        "/email-otp/change-email",
    ),
    _EMAIL_OTP,
)
_PLUGIN_PREFIXES = (
    ("/two-factor/", _TWO_FACTOR),
    ("/sign-in/magic-link", _MAGIC_LINK),
    ("/magic-link/verify", _MAGIC_LINK),
    ("/phone-number", _PHONE_NUMBER),
)
_SPECIAL_EXACT = dict.fromkeys(
    (
        "/request-password-reset",
        "/send-verification-email",
        "/email-otp/send-verification-otp",
        "/email-otp/request-password-reset",
    ),
    _MESSAGES,
)
_SPECIAL_PREFIXES = (
    (("/sign-in", "/sign-up", "/change-password", "/change-email"), _FIRST_LOGIN),
    (("/forget-password",), _MESSAGES),
)


def rule_for(path: str) -> Rule:
    """The rule of a bucket path (see `bucket_path`)."""
    rule = _PLUGIN_EXACT.get(path)
    if rule is not None:
        return rule
    for prefix, plugin_rule in _PLUGIN_PREFIXES:
        if path.startswith(prefix):
            return plugin_rule
    rule = _SPECIAL_EXACT.get(path)
    if rule is not None:
        return rule
    for prefixes, special_rule in _SPECIAL_PREFIXES:
        if path.startswith(prefixes):
            return special_rule
    return GLOBAL


def bucket_path(raw_path: str) -> str:
    """`normalizePathname`: the raw request path without the base path and trailing slashes
    ("/" for the base path itself); paths outside the base path are kept whole."""
    path = raw_path.rstrip("/") or "/"
    if path == BASE_PATH:
        return "/"
    if path.startswith(BASE_PATH + "/"):
        path = path[len(BASE_PATH) :].rstrip("/") or "/"
    return path[:_MAX_KEY_PATH]


class RuleBook:
    """`bucket_path` and `rule_for` memoised per raw path: the hot path asks about the same few
    paths all day. Bounded, since paths come from clients."""

    def __init__(self, max_entries: int = 4096) -> None:
        self._max_entries = max_entries
        self._known: dict[bytes, tuple[str, Rule]] = {}

    def lookup(self, raw_path: bytes) -> tuple[str, Rule]:
        known = self._known.get(raw_path)
        if known is None:
            path = bucket_path(raw_path.decode("latin-1"))
            known = (path, rule_for(path))
            if len(self._known) >= self._max_entries:
                self._known.clear()
            self._known[raw_path] = known
        return known
