"""The parts of the WHATWG URL Standard (https://url.spec.whatwg.org/) that decide where a browser
goes: the origin of an http(s) URL, the scheme of any URL, and whether a root-relative path stays
on its origin.

Python's `urllib.parse` disagrees with browsers exactly where open redirects live: it reads
`http://trusted\\@evil.example` as host `evil.example` where a browser (backslash = slash in
special schemes) goes to `trusted`, and it keeps tabs and newlines a browser strips. Each function
here follows the Standard's basic URL parser for the cases it accepts and answers None (not
trusted) for those it does not model — non-ASCII (IDNA) or percent-encoded hosts, non-canonical
IPv4 forms — so a difference can only ever refuse a URL, never admit one.
"""

import re
from ipaddress import IPv6Address

# Stripped from both ends before parsing (WHATWG: C0 control or space).
_C0_OR_SPACE = "".join(chr(code) for code in range(0x21))
# Removed anywhere before parsing (WHATWG: ASCII tab or newline).
_TAB_OR_NEWLINE = str.maketrans("", "", "\t\n\r")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")
_AUTHORITY_END = re.compile(r"[/\\?#]")
_DEFAULT_PORTS = {"http": 80, "https": 443}
# WHATWG forbidden domain code points left after the authority is split (plus non-ASCII and `%`,
# which this parser does not model and refuses).
_FORBIDDEN_HOST = re.compile(r"[\x00-\x20%<>\[\]^|\x7f]")
_IPV4_PART = re.compile(r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])")
_HEX_NUMBER = re.compile(r"0[xX][0-9A-Fa-f]*")
# Better-Auth's CONTROL_CHARACTER_PATTERN: C0, DEL and C1.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_ENCODED_SEPARATOR = re.compile(r"%2[fF]|%5[cC]")
_ENCODED_DOT = re.compile(r"%2[eE]")
# Schemes that run or embed code when navigated to: never a redirect target, whatever is trusted.
DANGEROUS_SCHEMES = frozenset({"javascript", "data", "vbscript"})


def _prepare(url: str) -> str:
    return url.strip(_C0_OR_SPACE).translate(_TAB_OR_NEWLINE)


def scheme_of(url: str) -> str | None:
    """The lower-cased scheme a browser would read (`new URL(url).protocol` without the colon),
    or None for a URL without one (relative, or not a URL)."""
    match = _SCHEME.match(_prepare(url))
    return match.group()[:-1].lower() if match else None


def _ends_in_a_number(host: str) -> bool:
    labels = host.split(".")
    if labels[-1] == "" and len(labels) > 1:
        labels.pop()
    last = labels[-1]
    return last.isdigit() or _HEX_NUMBER.fullmatch(last) is not None


def _host(text: str) -> str | None:
    """The serialized host of a special URL, or None when a browser would refuse it or it is a
    form this parser does not model."""
    if not text:
        return None
    if text.startswith("["):
        if not text.endswith("]") or "%" in text:
            return None  # zone ids are not URLs
        try:
            return f"[{IPv6Address(text[1:-1]).compressed}]"
        except ValueError:
            return None
    if not text.isascii() or _FORBIDDEN_HOST.search(text):
        return None
    host = text.lower()
    if _ends_in_a_number(host):
        # A browser reads the host as IPv4 (`0x7f.1`, `2130706433`, `127.1` all mean 127.0.0.1):
        # only the canonical dotted-quad is accepted, so both readings agree.
        parts = host.split(".")
        if len(parts) != 4 or not all(_IPV4_PART.fullmatch(part) for part in parts):
            return None
    return host


def http_origin(url: str) -> str | None:
    """`new URL(url).origin` for an http or https URL (`scheme://host[:port]`, default port
    dropped, host lower-cased), or None for any other URL or one a browser would not parse."""
    text = _prepare(url)
    match = _SCHEME.match(text)
    if match is None:
        return None
    scheme = match.group()[:-1].lower()
    default_port = _DEFAULT_PORTS.get(scheme)
    if default_port is None:
        return None
    # Special schemes ignore any run of slashes and backslashes before the authority.
    rest = text[match.end() :].lstrip("/\\")
    end = _AUTHORITY_END.search(rest)
    authority = rest if end is None else rest[: end.start()]
    host_port = authority.rpartition("@")[2]  # the host follows the last `@`
    if host_port.startswith("["):
        closing = host_port.find("]")
        host_text, port_text = host_port[: closing + 1], host_port[closing + 1 :]
        if closing < 0 or (port_text and not port_text.startswith(":")):
            return None
        port_text = port_text[1:]
    else:
        host_text, _, port_text = host_port.partition(":")
    host = _host(host_text)
    if host is None:
        return None
    if not port_text:
        return f"{scheme}://{host}"
    if not port_text.isascii() or not port_text.isdigit() or int(port_text) > 65535:
        return None
    port = int(port_text)
    return f"{scheme}://{host}" if port == default_port else f"{scheme}://{host}:{port}"


def http_host(url: str) -> str | None:
    """`new URL(url).host` (host and non-default port) of an http(s) URL, or None."""
    origin = http_origin(url)
    return None if origin is None else origin.partition("://")[2]


def is_safe_relative_url(value: str) -> bool:
    """Better-Auth's `isSafeRelativeURL`: a root-relative path that cannot leave the origin.

    Refused: not starting with one `/` (`//evil`, protocol-relative), a backslash (browsers read
    it as `/`), any control character, `%2F` / `%5C` in the path (routers that decode them see
    `//`). Stricter than Better-Auth: dot segments that collapse into a leading `//`
    (`/.//evil.example`, `/%2e%2e//evil.example`), which a URL serializer would write back as a
    protocol-relative URL.
    """
    if (
        not value.startswith("/")
        or value.startswith("//")
        or "\\" in value
        or CONTROL_CHARACTERS.search(value)
    ):
        return False
    end = re.search(r"[?#]", value)
    path = value if end is None else value[: end.start()]
    if _ENCODED_SEPARATOR.search(path):
        return False
    return not _resolve_dot_segments(path).startswith("//")


def _resolve_dot_segments(path: str) -> str:
    """A root-relative path after WHATWG's path state: `.`/`..` (also `%2e`) removed, empty
    segments kept."""
    parts = path[1:].split("/")
    segments: list[str] = []
    for index, part in enumerate(parts):
        dots = _ENCODED_DOT.sub(".", part)
        last = index == len(parts) - 1
        if dots == "..":
            if segments:
                segments.pop()
            if last:
                segments.append("")
        elif dots == ".":
            if last:
                segments.append("")
        else:
            segments.append(part)
    return "/" + "/".join(segments)
