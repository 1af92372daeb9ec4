"""The 302 answers of Better-Auth's account-flow endpoints: an empty body, a `Location`, and
state in the query string (`?token=`, `?error=INVALID_TOKEN`; api.md §11.12).

Which callback URLs are acceptable at all is decided before (security/csrf.py); this module
only composes them, the two ways Better-Auth does.
"""

from collections.abc import Mapping
from urllib.parse import parse_qsl, quote, urlencode, urljoin, urlsplit, urlunsplit

from starlette.responses import Response

from authmesh_gateway.security.urls import scheme_of

# Every visible ASCII character: `quote` leaves these (and existing %XX escapes) alone.
_VISIBLE_ASCII = "".join(chr(code) for code in range(0x21, 0x7F))


def redirect(url: str) -> Response:
    """302 to `url`. Anything outside visible ASCII is percent-encoded as UTF-8, as a browser
    would before following it: raw, it could not be written in a header at all."""
    return Response(b"", 302, {"location": quote(url, safe=_VISIBLE_ASCII)})


def append_query_params(url: str, params: Mapping[str, str]) -> str | None:
    """`appendQueryParams` (@better-auth/core `utils/url.ts`): the parameters appended to the
    query of an absolute or root-relative URL, before its fragment, the existing query kept as
    it is. None where Better-Auth throws (a 500 there): protocol-relative or not a URL."""
    if url.startswith(("//", "/\\")):
        return None
    if not url.startswith("/") and scheme_of(url) is None:
        return None
    query = urlencode(params)
    base, hash_mark, fragment = url.partition("#")
    path, _, search = base.partition("?")
    if search:
        base = f"{path}?{search}{'' if search.endswith('&') else '&'}{query}"
    else:
        base = f"{path}?{query}"
    return base + hash_mark + fragment


def with_search_params(url: str, base: str, params: Mapping[str, str]) -> str:
    """`new URL(url, base)` with `searchParams.set(key, value)` for each parameter: an absolute
    URL whose query is re-serialized, each key given once (password.ts `redirectCallback`)."""
    parts = urlsplit(urljoin(base, url))
    pairs: list[tuple[str, str]] = []
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if key not in params:
            pairs.append((key, value))
        elif all(key != seen for seen, _ in pairs):  # `set`: the first one keeps its place
            pairs.append((key, params[key]))
    pairs.extend((key, value) for key, value in params.items() if all(key != k for k, _ in pairs))
    return urlunsplit(parts._replace(query=urlencode(pairs)))
