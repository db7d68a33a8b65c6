"""listMeetings, getMeeting, createMeeting."""

from __future__ import annotations

import builtins
from typing import Unpack

from callsavvy_async.models import Meeting
from callsavvy_async.resources._base import (
    Decode,
    Period,
    RequestOptions,
    Resource,
    compact,
    format_period,
    optional,
    required,
)
from callsavvy_async.resources._raw import RawView, raw

__all__ = ["Meetings", "MeetingsRaw"]


class Meetings(Resource):
    __slots__ = ()

    async def list(
        self, *, period: Period | None = None, **options: Unpack[RequestOptions]
    ) -> builtins.list[Meeting]:
        """Virtual meetings; the API filters by day or month only (listMeetings)."""
        body = compact(datetime=format_period(period, date_only=True))
        return await self._request(
            "listMeetings", body, Decode(builtins.list[Meeting]), write=False, options=options
        )

    async def get(self, meeting_id: str, **options: Unpack[RequestOptions]) -> Meeting:
        """One meeting with its start and join links (getMeeting)."""
        body = {"meeting_id": required("meeting_id", meeting_id)}
        return await self._request(
            "getMeeting", body, Decode(Meeting), write=False, options=options
        )

    async def create(
        self, title: str, host_agent_id: str | None = None, **options: Unpack[RequestOptions]
    ) -> Meeting:
        """A new meeting, hosted by `host_agent_id` if given (createMeeting); the title and
        host fill what the answer leaves out."""
        body = compact(
            title=required("title", title),
            host_agent_id=optional("host_agent_id", host_agent_id),
        )
        return await self._request(
            "createMeeting", body, Decode(Meeting, fill=body), write=True, options=options
        )


class MeetingsRaw(RawView[Meetings]):
    list = raw(Meetings.list)
    get = raw(Meetings.get)
    create = raw(Meetings.create)
