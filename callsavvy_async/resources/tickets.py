"""getTickets, getTicket, createTicket, replyTicket."""

from __future__ import annotations

import builtins
import datetime as dt

from callsavvy_async._errors import InvalidRequestError
from callsavvy_async.models import CreatedTicket, Ticket, TicketMessage, TicketReply
from callsavvy_async.resources._base import (
    Period,
    Resource,
    compact,
    format_period,
    format_timestamp,
    optional,
    required,
)

__all__ = ["Tickets"]


class Tickets(Resource):
    __slots__ = ()

    async def list(
        self,
        *,
        department_id: str | None = None,
        ticket_status: str | None = None,
        sender_email: str | None = None,
        period: Period | None = None,
    ) -> list[Ticket]:
        """Support tickets, optionally filtered (getTickets)."""
        body = compact(
            department_id=optional("department_id", department_id),
            ticket_status=optional("ticket_status", ticket_status),
            sender_email=optional("sender_email", sender_email),
            datetime=format_period(period),
        )
        return await self._client._call("getTickets", body, list[Ticket], write=False)

    async def conversation(self, ticket_id: str) -> builtins.list[TicketMessage]:
        """Every message of one ticket, oldest first as the API returns them (getTicket)."""
        body = {"ticket_id": required("ticket_id", ticket_id)}
        return await self._client._call("getTicket", body, list[TicketMessage], write=False)

    async def create(
        self,
        *,
        department_id: str,
        sender_name: str,
        sender_email: str,
        subject: str,
        message: str,
    ) -> CreatedTicket:
        """Open a ticket on a customer's behalf (createTicket)."""
        body = {
            "department_id": required("department_id", department_id),
            "sender_name": required("sender_name", sender_name),
            "sender_email": required("sender_email", sender_email),
            "ticket_subject": required("subject", subject),
            "ticket_message": required("message", message),
        }
        return await self._client._call("createTicket", body, CreatedTicket, write=True)

    async def reply(
        self,
        ticket_id: str,
        *,
        message: str,
        response_date: dt.datetime | str | None = None,
        agent_id: str | None = None,
    ) -> TicketReply:
        """Add a reply from an agent (`agent_id`) or the customer (replyTicket).

        `response_date` defaults to now, as the API requires one.
        """
        body = compact(
            ticket_id=required("ticket_id", ticket_id),
            response_message=required("message", message),
            response_date=_response_date(response_date),
            replying_agent_id=optional("agent_id", agent_id),
        )
        return await self._client._call("replyTicket", body, TicketReply, write=True)


def _response_date(value: dt.datetime | str | None) -> str:
    if value is None:
        return format_timestamp(dt.datetime.now())
    if isinstance(value, dt.datetime):
        return format_timestamp(value)
    text = required("response_date", value)
    try:
        dt.datetime.strptime(text, "%Y-%m-%d %H:%M:%S")
    except ValueError:
        raise InvalidRequestError(
            f"response_date must be 'YYYY-MM-DD HH:MM:SS', got {text!r}"
        ) from None
    return text
