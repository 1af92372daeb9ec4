"""The few plain HTTP calls the benchmarks make themselves (wrk makes the rest)."""

import json
import secrets
import urllib.error
import urllib.request

from bench.servers import ORIGIN

AUTH = "/api/auth"


def post_json(base_url: str, path: str, body: dict[str, str]) -> list[str]:
    """POSTs JSON from a client IP of its own; answers the cookies set, as a Cookie header."""
    request = urllib.request.Request(  # noqa: S310 - loopback
        base_url + path,
        data=json.dumps(body).encode(),
        method="POST",
        headers={
            "content-type": "application/json",
            "origin": ORIGIN,
            "x-forwarded-for": f"10.255.{secrets.randbelow(256)}.{secrets.randbelow(256)}",
        },
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback
        return [v.split(";")[0] for k, v in response.getheaders() if k.lower() == "set-cookie"]


def status_of(base_url: str, path: str, cookie: str) -> int:
    request = urllib.request.Request(base_url + path, headers={"cookie": cookie})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback
            if response.read(1) not in (b"{", b"["):
                raise SystemExit(f"{base_url}{path}: no session in the answer")
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code
