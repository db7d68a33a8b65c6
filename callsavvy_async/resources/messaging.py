"""sendSMS, sendRobocall, sendWhatsapp: sends that cost money and reach people."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from callsavvy_async._errors import InvalidRequestError
from callsavvy_async.models import SendResult
from callsavvy_async.recipients import recipient_list
from callsavvy_async.resources._base import Resource, compact, optional, required

__all__ = ["CALL_TYPES", "WHATSAPP_MAX_RECIPIENTS", "CallType", "Robocalls", "Sms", "Whatsapp"]

WHATSAPP_MAX_RECIPIENTS = 30
CallType = Literal["Pre-recorded-Audio", "Text-2-Speech"]
CALL_TYPES: tuple[str, ...] = ("Pre-recorded-Audio", "Text-2-Speech")

Recipients = str | Iterable[str]


def joined_recipients(recipients: Recipients, *, limit: int | None = None) -> str:
    """Normalised, de-duplicated numbers joined as the API's `recipient` field."""
    numbers = recipient_list(recipients)
    if limit is not None and len(numbers) > limit:
        raise InvalidRequestError(
            f"recipients: at most {limit} per call, got {len(numbers)} (use send_bulk)"
        )
    return ",".join(numbers)


def check_call_type(call_type: str) -> str:
    if call_type not in CALL_TYPES:
        raise InvalidRequestError(f"call_type must be one of {', '.join(CALL_TYPES)}")
    return call_type


def check_duration(duration: int | str) -> str:
    """Minutes as the API's numeric string; a positive whole number."""
    try:
        minutes = int(duration)
    except (TypeError, ValueError):
        raise InvalidRequestError("duration must be a whole number of minutes") from None
    if isinstance(duration, bool) or minutes <= 0 or str(minutes) != str(duration).strip():
        raise InvalidRequestError("duration must be a positive whole number of minutes")
    return str(minutes)


class Sms(Resource):
    __slots__ = ()

    async def send(
        self, recipients: Recipients, message: str, sender_id: str | None = None
    ) -> SendResult:
        """Send one SMS to one or more numbers (sendSMS)."""
        body = compact(
            sender_id=optional("sender_id", sender_id),
            recipient=joined_recipients(recipients),
            message=required("message", message),
        )
        return await self._client._call("sendSMS", body, SendResult, write=True)


class Robocalls(Resource):
    __slots__ = ()

    async def send(
        self,
        recipients: Recipients,
        message: str,
        call_type: CallType,
        duration: int,
    ) -> SendResult:
        """Call numbers and play an MP3 URL or read text aloud for `duration` minutes
        (sendRobocall)."""
        body = {
            "call_type": check_call_type(call_type),
            "recipient": joined_recipients(recipients),
            "message": required("message", message),
            "duration": check_duration(duration),
        }
        return await self._client._call("sendRobocall", body, SendResult, write=True)


class Whatsapp(Resource):
    __slots__ = ()

    async def send(self, uid: str, recipients: Recipients, message: str) -> SendResult:
        """Send one WhatsApp message to at most 30 numbers from channel `uid` (sendWhatsapp)."""
        body = {
            "uid": required("uid", uid),
            "recipient": joined_recipients(recipients, limit=WHATSAPP_MAX_RECIPIENTS),
            "message": required("message", message),
        }
        return await self._client._call("sendWhatsapp", body, SendResult, write=True)
