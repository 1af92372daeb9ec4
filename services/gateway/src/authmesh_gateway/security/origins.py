"""Trusted origins and Better-Auth's `matchesOriginPattern` (api.md §5; better-auth 1.7.25
`auth/trusted-origins.ts`, `utils/wildcard.ts`).

The list is the base URL's origin plus `AUTHMESH_TRUSTED_ORIGINS`. A pattern is compared with:
- a root-relative URL: only for callback URLs, and only when `is_safe_relative_url`;
- an http(s) URL: its origin, exactly (scheme, host and port) or by wildcard (`*`, `?`) when the
  pattern has one; a wildcard pattern without `://` is matched against the host alone;
- a custom scheme (`myapp://cb`): scheme and authority, then the pattern's path as a prefix
  after percent-decoding and dot-segment resolution.
A digits-only wildcard host (`192.168.*.*`) admits only an IPv4 address.

Deliberately stricter than Better-Auth, so that no trusted-origin list can admit a script:
`javascript:`, `data:` and `vbscript:` URLs are never trusted, host-only wildcards match http(s)
URLs only (Better-Auth also matches `javascript://x.example.com/%0Aalert(1)` against
`*.example.com`), and callback URLs with control characters or backslashes are refused even when
absolute.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum

from authmesh_gateway.security.urls import (
    CONTROL_CHARACTERS,
    DANGEROUS_SCHEMES,
    http_host,
    http_origin,
    is_safe_relative_url,
    scheme_of,
)
from authmesh_gateway.wire.js import try_decode_uri_component

_IP_WILDCARD_HOST = re.compile(r"(?=.*\d)[\d*?.]+")
_IPV4 = re.compile(
    r"(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])\.){3}"
    r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])"
)
_MAX_MEMO = 1024


def wildcard_regex(pattern: str) -> re.Pattern[str]:
    """`wildcardMatch(pattern)` without a separator: `*` any run, `?` one character, `\\x` a
    literal x; the whole string must match."""
    out: list[str] = []
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            if index + 1 < len(pattern):
                out.append(re.escape(pattern[index + 1]))
            index += 2
            continue
        out.append("." if char == "?" else ".*?" if char == "*" else re.escape(char))
        index += 1
    return re.compile("".join(out))


def _ipv4_host_allowed(pattern_authority: str, authority: str) -> bool:
    """`isAllowedIPv4Host`: a digits-and-wildcards host pattern admits only an IPv4 host."""
    if not _IP_WILDCARD_HOST.fullmatch(pattern_authority.split(":")[0]):
        return True
    return _IPV4.fullmatch(authority.split(":")[0]) is not None


def _normalize_path(path: str) -> str:
    """Percent-decoded (when it decodes) with `.` and `..` resolved; "" for an empty path."""
    segments: list[str] = []
    for segment in try_decode_uri_component(path).split("/"):
        if segment == "..":
            if segments:
                segments.pop()
        elif segment not in (".", ""):
            segments.append(segment)
    return "/" + "/".join(segments) if segments else ""


@dataclass(frozen=True, slots=True)
class CustomOrigin:
    """A custom-scheme URL split by string operations, as Better-Auth does (no URL parser)."""

    scheme: str
    authority: str
    path: str

    @classmethod
    def parse(cls, value: str, *, wildcard: bool = False) -> "CustomOrigin | None":
        if CONTROL_CHARACTERS.search(value):
            return None
        colon = value.find(":")
        if colon <= 0:
            return None
        rest = value[colon + 1 :]
        authority = ""
        if rest.startswith("//"):
            rest = rest[2:]
            end = re.search(r"[/#]" if wildcard else r"[/?#]", rest)
            authority, rest = (
                (rest, "") if end is None else (rest[: end.start()], rest[end.start() :])
            )
        end = re.search(r"#" if wildcard else r"[?#]", rest)
        path = _normalize_path(rest if end is None else rest[: end.start()])
        return cls(value[:colon].lower(), authority.lower(), path)


class _Kind(Enum):
    EXACT = "exact"  # no wildcard: equal to the URL's origin
    HOST = "host"  # wildcard without "://": matched against the host
    ORIGIN = "origin"  # wildcard with "://": matched against the origin


@dataclass(frozen=True, slots=True)
class OriginPattern:
    """One trusted-origin entry, compiled once."""

    text: str
    kind: _Kind
    regex: re.Pattern[str] | None
    custom: CustomOrigin | None
    custom_authority: re.Pattern[str] | None
    custom_path: re.Pattern[str] | None

    @classmethod
    def compile(cls, text: str) -> "OriginPattern":
        wildcard = "*" in text or "?" in text
        kind = _Kind.EXACT if not wildcard else _Kind.ORIGIN if "://" in text else _Kind.HOST
        custom = CustomOrigin.parse(text, wildcard=wildcard)
        return cls(
            text=text,
            kind=kind,
            regex=wildcard_regex(text) if wildcard else None,
            custom=custom,
            custom_authority=wildcard_regex(custom.authority)
            if wildcard and custom and custom.authority
            else None,
            custom_path=wildcard_regex(custom.path)
            if wildcard and custom and custom.path
            else None,
        )

    def matches(self, url: str, *, allow_relative_paths: bool = False) -> bool:
        """`matchesOriginPattern(url, pattern, {allowRelativePaths})`."""
        if url.startswith("/"):
            return allow_relative_paths and is_safe_relative_url(url)
        scheme = scheme_of(url)
        if scheme in DANGEROUS_SCHEMES:
            return False
        if self.kind is _Kind.HOST:
            host = http_host(url)
            return (
                host is not None
                and self.regex is not None
                and self.regex.fullmatch(host) is not None
                and _ipv4_host_allowed(self.text, host)
            )
        if scheme in ("http", "https") or scheme is None:
            origin = http_origin(url)
            if origin is None:
                return False
            if self.regex is None:
                return origin == self.text
            return self.regex.fullmatch(origin) is not None and _ipv4_host_allowed(
                self.text.partition("://")[2], origin.partition("://")[2]
            )
        return self._matches_custom(url)

    def _matches_custom(self, url: str) -> bool:
        parsed = CustomOrigin.parse(url)
        pattern = self.custom
        if parsed is None or pattern is None or parsed.scheme != pattern.scheme:
            return False
        if self.regex is not None:  # a wildcard pattern
            if "@" in parsed.authority:
                return False
            if self.custom_authority is not None and not (
                self.custom_authority.fullmatch(parsed.authority)
                and _ipv4_host_allowed(pattern.authority, parsed.authority)
            ):
                return False
            return self.custom_path is None or bool(self.custom_path.fullmatch(parsed.path or "/"))
        if pattern.authority and parsed.authority != pattern.authority:
            return False
        if not pattern.path:
            return True
        return parsed.path == pattern.path or parsed.path.startswith(f"{pattern.path}/")


class TrustedOrigins:
    """The trusted-origin list (`ctx.trustedOrigins`) and `isTrustedOrigin`."""

    def __init__(self, patterns: Iterable[str], *, base_scheme: str = "https") -> None:
        self.base_scheme = base_scheme  # the scheme of the gateway's own public URL
        self.patterns = tuple(OriginPattern.compile(text) for text in patterns if text)
        # Origin header values seen recently → trusted? Browsers send a handful of distinct
        # values, so CORS and origin checks skip parsing; bounded against junk values.
        self._memo: dict[str, bool] = {}

    @classmethod
    def for_gateway(cls, base_url: str, extra: Iterable[str]) -> "TrustedOrigins":
        """The base URL's origin, then the configured entries (api.md §5)."""
        base_origin = http_origin(base_url)
        if base_origin is None:
            raise ValueError(f"the base URL is not an http(s) URL: {base_url!r}")
        return cls([base_origin, *extra], base_scheme=base_origin.partition(":")[0])

    def is_trusted(self, url: str, *, allow_relative_paths: bool = False) -> bool:
        if allow_relative_paths and (CONTROL_CHARACTERS.search(url) or "\\" in url):
            # Stricter than Better-Auth for absolute URLs too: browsers strip tabs and newlines
            # and read `\` as `/`, but other clients (curl, non-WHATWG parsers) do not, so
            # `http://trusted\@evil.example` would lead them elsewhere.
            return False
        return any(
            pattern.matches(url, allow_relative_paths=allow_relative_paths)
            for pattern in self.patterns
        )

    def is_trusted_origin_header(self, origin: str) -> bool:
        """`is_trusted(origin)` for an Origin header value, memoised."""
        known = self._memo.get(origin)
        if known is None:
            known = self.is_trusted(origin)
            if len(self._memo) >= _MAX_MEMO:
                self._memo.clear()
            self._memo[origin] = known
        return known
