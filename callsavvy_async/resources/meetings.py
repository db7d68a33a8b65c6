"""listMeetings, getMeeting, createMeeting."""

from __future__ import annotations

from callsavvy_async.models import Meeting
from callsavvy_async.resources._base import (
    Period,
    Resource,
    compact,
    format_period,
    optional,
    required,
)

__all__ = ["Meetings"]


class Meetings(Resource):
    __slots__ = ()

    async def list(self, *, period: Period | None = None) -> list[Meeting]:
        """Virtual meetings; the API filters by day or month only (listMeetings)."""
        body = compact(datetime=format_period(period, date_only=True))
        return await self._client._call("listMeetings", body, list[Meeting], write=False)

    async def get(self, meeting_id: str) -> Meeting:
        """One meeting with its start and join links (getMeeting)."""
        body = {"meeting_id": required("meeting_id", meeting_id)}
        return await self._client._call("getMeeting", body, Meeting, write=False)

    async def create(self, title: str, host_agent_id: str | None = None) -> Meeting:
        """A new meeting, hosted by `host_agent_id` if given (createMeeting)."""
        body = compact(
            title=required("title", title),
            host_agent_id=optional("host_agent_id", host_agent_id),
        )
        return await self._client._call("createMeeting", body, Meeting, write=True)
