"""A local SMTP catcher for development, started by `make up` when AUTHMESH_SMTP_HOST is not set:

    python -m authmesh_notify.catcher --smtp-port 1025 --http-port 8025

It accepts any mail on the SMTP port (aiosmtpd), keeps the last few hundred in memory, and shows
them at http://localhost:<http-port>/ — a list and a message view; `/api/messages` gives the same
as JSON. Everything from a mail is HTML-escaped on the page, and an HTML body is shown in a
sandboxed frame without scripts. It listens on loopback only, never asks for a password and
keeps nothing on disk: it is not a mail server.
"""

import argparse
import asyncio
import contextlib
import email
import email.policy
import json
import signal
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from html import escape

from aiosmtpd.smtp import SMTP, Envelope, Session

HOST = "127.0.0.1"
KEPT = 500
_MAX_REQUEST_LINE = 8192
_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
_STYLE = (
    "body{font-family:system-ui,sans-serif;margin:24px;color:#1d1d1f}"
    "table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:6px 10px;"
    "border-bottom:1px solid #ddd}pre{white-space:pre-wrap;background:#f5f5f7;padding:12px}"
    "iframe{width:100%;height:480px;border:1px solid #ddd}"
)


@dataclass(frozen=True)
class CaughtMail:
    number: int
    received_at: datetime
    mail_from: str
    rcpt_tos: tuple[str, ...]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message.get("Subject", ""))

    def body(self, subtype: str) -> str:
        part = self.message.get_body(preferencelist=(subtype,))
        if part is None or part.get_content_subtype() != subtype:
            return ""
        content = part.get_content()
        return content if isinstance(content, str) else ""

    def as_json(self) -> dict[str, object]:
        return {
            "number": self.number,
            "receivedAt": self.received_at.isoformat(),
            "from": self.mail_from,
            "to": list(self.rcpt_tos),
            "subject": self.subject,
            "text": self.body("plain"),
            "html": self.body("html"),
        }


class MailStore:
    """The last KEPT mails, numbered from 1 in order of arrival."""

    def __init__(self) -> None:
        self._mails: deque[CaughtMail] = deque(maxlen=KEPT)
        self._count = 0

    def add(self, mail_from: str, rcpt_tos: list[str], raw: bytes) -> CaughtMail:
        self._count += 1
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)  # what the default policy builds
        mail = CaughtMail(self._count, datetime.now(UTC), mail_from, tuple(rcpt_tos), parsed)
        self._mails.append(mail)
        return mail

    def newest_first(self) -> list[CaughtMail]:
        return list(reversed(self._mails))

    def get(self, number: int) -> CaughtMail | None:
        return next((mail for mail in self._mails if mail.number == number), None)


class CatcherHandler:
    """aiosmtpd's handler: every DATA is kept and answered 250."""

    def __init__(self, store: MailStore) -> None:
        self.store = store

    async def handle_DATA(self, _: SMTP, __: Session, envelope: Envelope) -> str:  # noqa: N802
        raw = envelope.original_content or b""
        self.store.add(envelope.mail_from or "", list(envelope.rcpt_tos), raw)
        return "250 OK"


def _page(title: str, body: str) -> str:
    return (
        f'<!doctype html><html><head><meta charset="utf-8"><title>{escape(title)}</title>'
        f"<style>{_STYLE}</style></head><body>{body}</body></html>"
    )


def render_index(mails: list[CaughtMail]) -> str:
    rows = "".join(
        f'<tr><td><a href="/messages/{mail.number}">{mail.number}</a></td>'
        f"<td>{escape(mail.received_at.strftime('%H:%M:%S'))}</td>"
        f"<td>{escape(', '.join(mail.rcpt_tos))}</td><td>{escape(mail.subject)}</td></tr>"
        for mail in mails
    )
    table = (
        "<table><tr><th>#</th><th>received (UTC)</th><th>to</th><th>subject</th></tr>"
        f"{rows}</table>"
        if mails
        else "<p>No mail yet.</p>"
    )
    return _page("Authmesh mail", f"<h1>Mail caught by Authmesh</h1>{table}")


def render_mail(mail: CaughtMail) -> str:
    headers = "".join(
        f"<tr><th>{escape(name)}</th><td>{escape(str(value))}</td></tr>"
        for name, value in mail.message.items()
    )
    html_body = mail.body("html")
    # srcdoc is an attribute: escape() quotes it; sandbox="" runs no script, submits no form.
    frame = f'<iframe sandbox="" srcdoc="{escape(html_body)}"></iframe>' if html_body else ""
    body = (
        f'<p><a href="/">all mail</a></p><h1>{escape(mail.subject)}</h1>'
        f"<table>{headers}</table><h2>Text</h2><pre>{escape(mail.body('plain'))}</pre>"
        f"<h2>HTML</h2>{frame}"
    )
    return _page(mail.subject or "(no subject)", body)


def respond(store: MailStore, method: str, path: str) -> tuple[int, str, str]:
    """(status, content type, body) for one request."""
    if method != "GET":
        return 405, "text/plain", "method not allowed"
    if path == "/":
        return 200, "text/html", render_index(store.newest_first())
    if path == "/api/messages":
        payload = json.dumps([mail.as_json() for mail in store.newest_first()])
        return 200, "application/json", payload
    number = path.removeprefix("/messages/")
    mail = store.get(int(number)) if number.isdigit() and number != path else None
    if mail is None:
        return 404, "text/plain", "not found"
    return 200, "text/html", render_mail(mail)


async def _serve_http(
    store: MailStore, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    try:
        request_line = await reader.readuntil(b"\r\n")
        while (await reader.readuntil(b"\r\n")) != b"\r\n":
            pass  # headers: none matter here
        method, target, *_ = [*request_line.decode("latin-1").split(" "), "", ""]
        status, content_type, body = respond(store, method, target.split("?", 1)[0])
        data = body.encode()
        head = (
            f"HTTP/1.1 {status} {'OK' if status == 200 else 'Error'}\r\n"
            f"Content-Type: {content_type}; charset=utf-8\r\nContent-Length: {len(data)}\r\n"
            f"Content-Security-Policy: {_CSP}\r\nX-Content-Type-Options: nosniff\r\n"
            "Cache-Control: no-store\r\nConnection: close\r\n\r\n"
        )
        writer.write(head.encode() + data)
        await writer.drain()
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
        pass
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()


@contextlib.asynccontextmanager
async def serving(
    store: MailStore, smtp_port: int, http_port: int, host: str = HOST
) -> AsyncIterator[None]:
    """The SMTP and HTTP servers, listening until the block ends."""
    handler = CatcherHandler(store)
    loop = asyncio.get_running_loop()
    smtp = await loop.create_server(
        lambda: SMTP(handler, hostname="authmesh-catcher", enable_SMTPUTF8=True), host, smtp_port
    )
    try:
        http = await asyncio.start_server(
            lambda r, w: _serve_http(store, r, w), host, http_port, limit=_MAX_REQUEST_LINE
        )
        try:
            yield
        finally:
            http.close()
    finally:
        smtp.close()


async def run(smtp_port: int, http_port: int) -> None:
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopping.set)
    async with serving(MailStore(), smtp_port, http_port):
        print(f"mail catcher: SMTP on {HOST}:{smtp_port}, mail at http://localhost:{http_port}/")
        await stopping.wait()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m authmesh_notify.catcher")
    parser.add_argument("--smtp-port", type=int, default=1025)
    parser.add_argument("--http-port", type=int, default=8025)
    args = parser.parse_args()
    asyncio.run(run(args.smtp_port, args.http_port))


if __name__ == "__main__":
    main()
