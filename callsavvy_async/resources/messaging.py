"""sendSMS, sendRobocall, sendWhatsapp: sends that cost money and reach people."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING, Any, Literal, Unpack

import attrs

from callsavvy_async._errors import InvalidRequestError
from callsavvy_async.bulk import (
    BulkOptions,
    BulkReport,
    BulkStream,
    SendBatch,
    job_identity,
    run_bulk,
    stream_bulk,
)
from callsavvy_async.bulk._options import check_pool, job_options
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

if TYPE_CHECKING:
    from callsavvy_async._client import AsyncCallsavvy

__all__ = [
    "CALL_TYPES",
    "WHATSAPP_MAX_RECIPIENTS",
    "BulkChannel",
    "CallType",
    "Robocalls",
    "RobocallsRaw",
    "Sms",
    "SmsRaw",
    "Whatsapp",
    "WhatsappRaw",
    "batch_sender",
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


@attrs.frozen
class BulkChannel:
    """One kind of bulk send: its name in job identities, the API resource, the body
    fields besides the recipients, and what else makes two jobs the same job."""

    name: str
    resource: str
    fields: Mapping[str, str]
    key: tuple[object, ...]

    def identity(self, job_id: str | None) -> str:
        return f"{self.name}:job:{job_id}" if job_id else job_identity(self.name, *self.key)


def batch_sender(client: AsyncCallsavvy, channel: BulkChannel) -> SendBatch:
    """Send one batch of numbers the bulk engine already normalised, without client
    retries (the engine decides what may be retried). The one place bulk sends reach
    into the client's request pipeline."""
    single = client.with_options(max_retries=0)
    resource, fields = channel.resource, dict(channel.fields)

    async def send_batch(numbers: list[str]) -> SendResult:
        body = {**fields, "recipient": ",".join(numbers)}
        return await single._call(resource, body, SendResult, write=True)

    return send_batch


class _BulkSender(Resource):
    """Bulk sends through the client's pool: one preparation for every channel."""

    __slots__ = ()

    def _job(
        self, channel: BulkChannel, recipients: Source, batch_size: int, options: BulkOptions
    ) -> dict[str, Any]:
        checked = job_options(options, batch_size=batch_size)
        check_pool(checked.concurrency, self._client.max_connections)
        return {
            "send_batch": batch_sender(self._client, channel),
            "source": recipients,
            "identity": channel.identity(checked.job_id),
            "batch_size": batch_size,
            "options": checked,
        }

    async def _run(
        self, channel: BulkChannel, recipients: Source, batch_size: int, options: BulkOptions
    ) -> BulkReport:
        return await run_bulk(**self._job(channel, recipients, batch_size, options))

    def _stream(
        self, channel: BulkChannel, recipients: Source, batch_size: int, options: BulkOptions
    ) -> AbstractAsyncContextManager[BulkStream]:
        return stream_bulk(**self._job(channel, recipients, batch_size, options))


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
        **options: Unpack[BulkOptions],
    ) -> BulkReport:
        """Send one SMS to every recipient, `batch_size` numbers per request; each at most
        once. Options: see `BulkOptions`."""
        return await self._run(self.channel(message, sender_id), recipients, batch_size, options)

    def send_bulk_iter(
        self,
        recipients: Source,
        message: str,
        sender_id: str | None = None,
        *,
        batch_size: int = DEFAULT_BATCH_SIZE,
        **options: Unpack[BulkOptions],
    ) -> AbstractAsyncContextManager[BulkStream]:
        """Like send_bulk, as `async with ... as results: async for batch in results`."""
        return self._stream(self.channel(message, sender_id), recipients, batch_size, options)

    @staticmethod
    def channel(message: str, sender_id: str | None = None) -> BulkChannel:
        """The bulk channel of an SMS job (checks its fields)."""
        required("message", message)
        optional("sender_id", sender_id)
        fields = compact(sender_id=sender_id, message=message)
        return BulkChannel("sms", "sendSMS", fields, (message, sender_id))


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
        **options: Unpack[BulkOptions],
    ) -> BulkReport:
        """Place one robocall to every recipient, `batch_size` numbers per request; each
        at most once. Options: see `BulkOptions`."""
        channel = self.channel(message, call_type, duration)
        return await self._run(channel, recipients, batch_size, options)

    def send_bulk_iter(
        self,
        recipients: Source,
        message: str,
        call_type: CallType,
        duration: int,
        *,
        batch_size: int = DEFAULT_BATCH_SIZE,
        **options: Unpack[BulkOptions],
    ) -> AbstractAsyncContextManager[BulkStream]:
        """Like send_bulk, as `async with ... as results: async for batch in results`."""
        channel = self.channel(message, call_type, duration)
        return self._stream(channel, recipients, batch_size, options)

    @staticmethod
    def channel(message: str, call_type: CallType, duration: int) -> BulkChannel:
        """The bulk channel of a robocall job (checks its fields)."""
        required("message", message)
        check_call_type(call_type)
        fields = {"call_type": call_type, "message": message, "duration": check_duration(duration)}
        return BulkChannel("robocall", "sendRobocall", fields, (message, call_type, duration))


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
        **options: Unpack[BulkOptions],
    ) -> BulkReport:
        """Send one WhatsApp message from channel `uid` to every recipient, 30 per request;
        each at most once. Options: see `BulkOptions`."""
        return await self._run(
            self.channel(uid, message, batch_size), recipients, batch_size, options
        )

    def send_bulk_iter(
        self,
        uid: str,
        recipients: Source,
        message: str,
        *,
        batch_size: int = WHATSAPP_MAX_RECIPIENTS,
        **options: Unpack[BulkOptions],
    ) -> AbstractAsyncContextManager[BulkStream]:
        """Like send_bulk, as `async with ... as results: async for batch in results`."""
        channel = self.channel(uid, message, batch_size)
        return self._stream(channel, recipients, batch_size, options)

    @staticmethod
    def channel(uid: str, message: str, batch_size: int = WHATSAPP_MAX_RECIPIENTS) -> BulkChannel:
        """The bulk channel of a WhatsApp job (checks its fields and batch size)."""
        required("uid", uid)
        required("message", message)
        if batch_size > WHATSAPP_MAX_RECIPIENTS:
            raise InvalidRequestError(
                f"batch_size: WhatsApp takes at most {WHATSAPP_MAX_RECIPIENTS} recipients per call"
            )
        fields = {"uid": uid, "message": message}
        return BulkChannel("whatsapp", "sendWhatsapp", fields, (uid, message))


class SmsRaw(RawView[Sms]):
    send = raw(Sms.send)


class RobocallsRaw(RawView[Robocalls]):
    send = raw(Robocalls.send)


class WhatsappRaw(RawView[Whatsapp]):
    send = raw(Whatsapp.send)
