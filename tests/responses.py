"""Better-Auth's answers as tests compare them: an error body, (status, body), cookie names set."""

from typing import Any

import httpx


def error(code: str, message: str) -> dict[str, str]:
    return {"message": message, "code": code}


def answer(response: httpx.Response) -> tuple[int, Any]:
    return response.status_code, response.json() if response.content else None


def cookie_names(response: httpx.Response) -> list[str]:
    return [line.split("=", 1)[0] for line in response.headers.get_list("set-cookie")]
