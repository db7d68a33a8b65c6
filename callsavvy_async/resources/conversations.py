"""getCalls, getChats, getMessangers: the records of calls and conversations."""

from __future__ import annotations

from callsavvy_async.models import Call, Chat, MessengerChat
from callsavvy_async.resources._base import Period, Resource, compact, format_period, optional

__all__ = ["Calls", "Chats", "Messengers"]


class Calls(Resource):
    __slots__ = ()

    async def list(
        self,
        *,
        department_id: str | None = None,
        category: str | None = None,
        call_direction: str | None = None,
        period: Period | None = None,
    ) -> list[Call]:
        """Calls made or received; `call_direction` is "Incoming" or "Outgoing" (getCalls)."""
        body = compact(
            department_id=optional("department_id", department_id),
            category=optional("category", category),
            call_direction=optional("call_direction", call_direction),
            datetime=format_period(period),
        )
        return await self._client._call("getCalls", body, list[Call], write=False)


class Chats(Resource):
    __slots__ = ()

    async def list(
        self, *, department_id: str | None = None, period: Period | None = None
    ) -> list[Chat]:
        """Live-chat requests (getChats)."""
        body = compact(
            department_id=optional("department_id", department_id),
            datetime=format_period(period),
        )
        return await self._client._call("getChats", body, list[Chat], write=False)


class Messengers(Resource):
    __slots__ = ()

    async def list(
        self, *, department_id: str | None = None, period: Period | None = None
    ) -> list[MessengerChat]:
        """Conversations from Facebook, WhatsApp and other messengers (getMessangers)."""
        body = compact(
            department_id=optional("department_id", department_id),
            datetime=format_period(period),
        )
        return await self._client._call("getMessangers", body, list[MessengerChat], write=False)
