"""Why a delivery failed, as a stable reason code (DESIGN §3), and whether trying again can help.

A `TransientDeliveryError` (the SMTP server or the SMS provider is away or busy) leaves the
message in the queue for a later try; a `PermanentDeliveryError` (a refused recipient, a
missing template) can never succeed and sends the message to the dead letters at once. Messages
carry no recipient and no secret, so they can be logged.
"""


class DeliveryError(Exception):
    reason = "DELIVERY_FAILED"

    def __init__(self, detail: str = "", *, reason: str | None = None) -> None:
        super().__init__(detail or self.reason)
        if reason is not None:
            self.reason = reason


class TransientDeliveryError(DeliveryError):
    reason = "CHANNEL_UNAVAILABLE"


class PermanentDeliveryError(DeliveryError):
    reason = "DELIVERY_REFUSED"


class InvalidRecipientError(PermanentDeliveryError):
    reason = "INVALID_RECIPIENT"


class TemplateError(PermanentDeliveryError):
    reason = "TEMPLATE_FAILED"
