"""SMS through Twilio's Programmable Messaging REST API: `POST /2010-04-01/Accounts/{AccountSid}/
Messages.json`, a form with `To`, `From` and `Body`, HTTP basic authentication with the account
SID and auth token (https://www.twilio.com/docs/messaging/api/message-resource#create-a-message-resource).

A 2xx answer is a message accepted; 429, 5xx, 401/403 (credentials to fix) and network errors
may pass, so the message waits; any other 4xx (an invalid number, say) never will.
"""

from urllib.parse import quote

import httpx
import structlog

from authmesh_notify.domain.addresses import phone_hint
from authmesh_notify.domain.errors import PermanentDeliveryError, TransientDeliveryError
from authmesh_notify.domain.model import Sms

log = structlog.get_logger(__name__)

_CONNECT_TIMEOUT_S = 5.0
_TOO_MANY_REQUESTS = 429
_AUTH_FAILURES = (401, 403)


class TwilioSms:
    def __init__(
        self,
        *,
        base_url: str,
        account_sid: str,
        auth_token: str,
        sender: str,
        timeout_s: float,
    ) -> None:
        self._client = httpx.AsyncClient(
            base_url=base_url,
            auth=httpx.BasicAuth(account_sid, auth_token),
            timeout=httpx.Timeout(timeout_s, connect=min(timeout_s, _CONNECT_TIMEOUT_S)),
            follow_redirects=False,
        )
        self._path = f"/2010-04-01/Accounts/{quote(account_sid, safe='')}/Messages.json"
        self._sender = sender

    async def send(self, sms: Sms, *, message_type: str) -> None:
        form = {"To": sms.to, "From": self._sender, "Body": sms.body}
        try:
            response = await self._client.post(self._path, data=form)
        except httpx.HTTPError as exc:
            raise TransientDeliveryError(
                f"SMS provider unavailable: {type(exc).__name__}", reason="PROVIDER_UNAVAILABLE"
            ) from None
        status = response.status_code
        if response.is_success:
            log.info("sms sent", recipient=phone_hint(sms.to), type=message_type)
            return
        if status == _TOO_MANY_REQUESTS or status >= 500:
            raise TransientDeliveryError(f"SMS provider answered {status}", reason="PROVIDER_BUSY")
        if status in _AUTH_FAILURES:
            raise TransientDeliveryError(
                f"SMS provider refused the credentials ({status})", reason="PROVIDER_LOGIN_FAILED"
            )
        raise PermanentDeliveryError(
            f"SMS provider refused the message ({status}, code {_error_code(response)})",
            reason="PROVIDER_REFUSED",
        )

    async def aclose(self) -> None:
        await self._client.aclose()


def _error_code(response: httpx.Response) -> str:
    """Twilio's numeric error code (its body's message may repeat the number: not logged)."""
    try:
        body = response.json()
    except ValueError:
        return "?"
    return str(body.get("code", "?")) if isinstance(body, dict) else "?"
