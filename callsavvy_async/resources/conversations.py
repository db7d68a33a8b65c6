"""getCalls, getChats, getMessangers: the records of calls and conversations."""

from __future__ import annotations

from typing import Unpack

from callsavvy_async.models import Call, Chat, MessengerChat
from callsavvy_async.resources._base import (
    Decode,
    Period,
    RequestOptions,
    Resource,
    compact,
    format_period,
    optional,
)
from callsavvy_async.resources._raw import RawView, raw

__all__ = ["Calls", "CallsRaw", "Chats", "ChatsRaw", "Messengers", "MessengersRaw"]


class Calls(Resource):
    __slots__ = ()

    async def list(
        self,
        *,
        department_id: str | None = None,
        category: str | None = None,
        call_direction: str | None = None,
        period: Period | None = None,
        **options: Unpack[RequestOptions],
    ) -> list[Call]:
        """Calls made or received; `call_direction` is "Incoming" or "Outgoing" (getCalls)."""
        body = compact(
            department_id=optional("department_id", department_id),
            category=optional("category", category),
            call_direction=optional("call_direction", call_direction),
            datetime=format_period(period),
        )
        return await self._request(
            "getCalls", body, Decode(list[Call]), write=False, options=options
        )


class Chats(Resource):
    __slots__ = ()

    async def list(
        self,
        *,
        department_id: str | None = None,
        period: Period | None = None,
        **options: Unpack[RequestOptions],
    ) -> list[Chat]:
        """Live-chat requests (getChats)."""
        body = compact(
            department_id=optional("department_id", department_id),
            datetime=format_period(period),
        )
        return await self._request(
            "getChats", body, Decode(list[Chat]), write=False, options=options
        )


class Messengers(Resource):
    __slots__ = ()

    async def list(
        self,
        *,
        department_id: str | None = None,
        period: Period | None = None,
        **options: Unpack[RequestOptions],
    ) -> list[MessengerChat]:
        """Conversations from Facebook, WhatsApp and other messengers (getMessangers)."""
        body = compact(
            department_id=optional("department_id", department_id),
            datetime=format_period(period),
        )
        return await self._request(
            "getMessangers", body, Decode(list[MessengerChat]), write=False, options=options
        )


class CallsRaw(RawView[Calls]):
    list = raw(Calls.list)


class ChatsRaw(RawView[Chats]):
    list = raw(Chats.list)


class MessengersRaw(RawView[Messengers]):
    list = raw(Messengers.list)
