"""sendSMS, sendRobocall, sendWhatsapp: sends that cost money and reach people."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Iterable
from contextlib import AbstractAsyncContextManager
from typing import Any, Literal, Unpack

from callsavvy_async._errors import InvalidRequestError
from callsavvy_async.bulk import BulkReport, BulkStream, ProgressCallback, run_bulk, stream_bulk
from callsavvy_async.journal import job_identity
from callsavvy_async.models import SendResult
from callsavvy_async.recipients import Source, recipient_list
from callsavvy_async.resources._base import (
    Decode,
    RequestOptions,
    Resource,
    compact,
    optional,
    required,
)
from callsavvy_async.resources._raw import RawView, raw

__all__ = [
    "CALL_TYPES",
    "WHATSAPP_MAX_RECIPIENTS",
    "CallType",
    "Robocalls",
    "RobocallsRaw",
    "Sms",
    "SmsRaw",
    "Whatsapp",
    "WhatsappRaw",
]

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
        same = str(minutes) == str(duration).strip()
    except (TypeError, ValueError, OverflowError):
        raise InvalidRequestError("duration must be a whole number of minutes") from None
    if isinstance(duration, bool) or minutes <= 0 or not same:
        raise InvalidRequestError("duration must be a positive whole number of minutes")
    return str(minutes)


DEFAULT_BATCH_SIZE = 100


def bulk_options(
    *,
    concurrency: int = 8,
    rate_per_second: float | None = None,
    journal: str | os.PathLike[str] | None = None,
    job_id: str | None = None,
    resend_unknown: bool = False,
    strict_numbers: bool = False,
    on_progress: ProgressCallback | None = None,
) -> dict[str, Any]:
    """The options every bulk send takes (see `callsavvy_async.bulk`)."""
    return {
        "concurrency": concurrency,
        "rate_per_second": rate_per_second,
        "journal": journal,
        "job_id": job_id,
        "resend_unknown": resend_unknown,
        "strict_numbers": strict_numbers,
        "on_progress": on_progress,
    }


class _BulkSender(Resource):
    """Bulk sends through the client's pool, retried only by the bulk engine."""

    __slots__ = ()

    def _bulk_arguments(
        self, channel: str, key: tuple[object, ...], batch_size: int, options: dict[str, Any]
    ) -> dict[str, Any]:
        job_id = options.pop("job_id")
        identity = f"{channel}:job:{job_id}" if job_id else job_identity(channel, *key)
        return {
            "identity": identity,
            "batch_size": batch_size,
            "max_connections": self._client.max_connections,
            **options,
        }

    def _sender(
        self, resource: str, fields: dict[str, Any]
    ) -> Callable[[list[str]], Awaitable[SendResult]]:
        """Send one batch of numbers the bulk engine already normalised, without client
        retries: the engine decides what may be retried."""
        client = self._client.with_options(max_retries=0)

        async def send_batch(numbers: list[str]) -> SendResult:
            body = {**fields, "recipient": ",".join(numbers)}
            return await client._call(resource, body, SendResult, write=True)

        return send_batch


class Sms(_BulkSender):
    __slots__ = ()

    async def send(
        self,
        recipients: Recipients,
        message: str,
        sender_id: str | None = None,
        **options: Unpack[RequestOptions],
    ) -> SendResult:
        """Send one SMS to one or more numbers (sendSMS)."""
        body = compact(
            sender_id=optional("sender_id", sender_id),
            recipient=joined_recipients(recipients),
            message=required("message", message),
        )
        return await self._request("sendSMS", body, Decode(SendResult), write=True, options=options)

    async def send_bulk(
        self,
        recipients: Source,
        message: str,
        sender_id: str | None = None,
        *,
        batch_size: int = DEFAULT_BATCH_SIZE,
        **options: Any,
    ) -> BulkReport:
        """Send one SMS to every recipient, `batch_size` numbers per request; each at most
        once. Options: concurrency, rate_per_second, journal, job_id, resend_unknown,
        strict_numbers, on_progress."""
        send_batch, arguments = self._prepare(message, sender_id, batch_size, options)
        return await run_bulk(send_batch, recipients, **arguments)

    def send_bulk_iter(
        self,
        recipients: Source,
        message: str,
        sender_id: str | None = None,
        *,
        batch_size: int = DEFAULT_BATCH_SIZE,
        **options: Any,
    ) -> AbstractAsyncContextManager[BulkStream]:
        """Like send_bulk, as `async with ... as results: async for batch in results`."""
        send_batch, arguments = self._prepare(message, sender_id, batch_size, options)
        return stream_bulk(send_batch, recipients, **arguments)

    def _prepare(
        self, message: str, sender_id: str | None, batch_size: int, options: dict[str, Any]
    ) -> tuple[Any, dict[str, Any]]:
        required("message", message)
        optional("sender_id", sender_id)
        send_batch = self._sender("sendSMS", compact(sender_id=sender_id, message=message))

        arguments = self._bulk_arguments(
            "sms", (message, sender_id), batch_size, bulk_options(**options)
        )
        return send_batch, arguments


class Robocalls(_BulkSender):
    __slots__ = ()

    async def send(
        self,
        recipients: Recipients,
        message: str,
        call_type: CallType,
        duration: int,
        **options: Unpack[RequestOptions],
    ) -> SendResult:
        """Call numbers and play an MP3 URL or read text aloud for `duration` minutes
        (sendRobocall)."""
        body = {
            "call_type": check_call_type(call_type),
            "recipient": joined_recipients(recipients),
            "message": required("message", message),
            "duration": check_duration(duration),
        }
        return await self._request(
            "sendRobocall", body, Decode(SendResult), write=True, options=options
        )

    async def send_bulk(
        self,
        recipients: Source,
        message: str,
        call_type: CallType,
        duration: int,
        *,
        batch_size: int = DEFAULT_BATCH_SIZE,
        **options: Any,
    ) -> BulkReport:
        """Place one robocall to every recipient, `batch_size` numbers per request; each
        at most once. Options as for Sms.send_bulk."""
        send_batch, arguments = self._prepare(message, call_type, duration, batch_size, options)
        return await run_bulk(send_batch, recipients, **arguments)

    def send_bulk_iter(
        self,
        recipients: Source,
        message: str,
        call_type: CallType,
        duration: int,
        *,
        batch_size: int = DEFAULT_BATCH_SIZE,
        **options: Any,
    ) -> AbstractAsyncContextManager[BulkStream]:
        """Like send_bulk, as `async with ... as results: async for batch in results`."""
        send_batch, arguments = self._prepare(message, call_type, duration, batch_size, options)
        return stream_bulk(send_batch, recipients, **arguments)

    def _prepare(
        self,
        message: str,
        call_type: CallType,
        duration: int,
        batch_size: int,
        options: dict[str, Any],
    ) -> tuple[Any, dict[str, Any]]:
        required("message", message)
        check_call_type(call_type)
        check_duration(duration)
        fields = {"call_type": call_type, "message": message, "duration": check_duration(duration)}
        send_batch = self._sender("sendRobocall", fields)

        key = (message, call_type, duration)
        arguments = self._bulk_arguments("robocall", key, batch_size, bulk_options(**options))
        return send_batch, arguments


class Whatsapp(_BulkSender):
    __slots__ = ()

    async def send(
        self, uid: str, recipients: Recipients, message: str, **options: Unpack[RequestOptions]
    ) -> SendResult:
        """Send one WhatsApp message to at most 30 numbers from channel `uid` (sendWhatsapp)."""
        body = {
            "uid": required("uid", uid),
            "recipient": joined_recipients(recipients, limit=WHATSAPP_MAX_RECIPIENTS),
            "message": required("message", message),
        }
        return await self._request(
            "sendWhatsapp", body, Decode(SendResult), write=True, options=options
        )

    async def send_bulk(
        self,
        uid: str,
        recipients: Source,
        message: str,
        *,
        batch_size: int = WHATSAPP_MAX_RECIPIENTS,
        **options: Any,
    ) -> BulkReport:
        """Send one WhatsApp message from channel `uid` to every recipient, 30 per request;
        each at most once. Options as for Sms.send_bulk."""
        send_batch, arguments = self._prepare(uid, message, batch_size, options)
        return await run_bulk(send_batch, recipients, **arguments)

    def send_bulk_iter(
        self,
        uid: str,
        recipients: Source,
        message: str,
        *,
        batch_size: int = WHATSAPP_MAX_RECIPIENTS,
        **options: Any,
    ) -> AbstractAsyncContextManager[BulkStream]:
        """Like send_bulk, as `async with ... as results: async for batch in results`."""
        send_batch, arguments = self._prepare(uid, message, batch_size, options)
        return stream_bulk(send_batch, recipients, **arguments)

    def _prepare(
        self, uid: str, message: str, batch_size: int, options: dict[str, Any]
    ) -> tuple[Any, dict[str, Any]]:
        required("uid", uid)
        required("message", message)
        if batch_size > WHATSAPP_MAX_RECIPIENTS:
            raise InvalidRequestError(
                f"batch_size: WhatsApp takes at most {WHATSAPP_MAX_RECIPIENTS} recipients per call"
            )
        send_batch = self._sender("sendWhatsapp", {"uid": uid, "message": message})

        arguments = self._bulk_arguments(
            "whatsapp", (uid, message), batch_size, bulk_options(**options)
        )
        return send_batch, arguments


class SmsRaw(RawView[Sms]):
    send = raw(Sms.send)


class RobocallsRaw(RawView[Robocalls]):
    send = raw(Robocalls.send)


class WhatsappRaw(RawView[Whatsapp]):
    send = raw(Whatsapp.send)
