"""getTickets, getTicket, createTicket, replyTicket."""

from __future__ import annotations

import builtins
import datetime as dt
from typing import Unpack

from callsavvy_async._errors import InvalidRequestError
from callsavvy_async.models import CreatedTicket, Ticket, TicketMessage, TicketReply
from callsavvy_async.resources._base import (
    Decode,
    Period,
    RequestOptions,
    Resource,
    compact,
    format_period,
    format_timestamp,
    optional,
    required,
)
from callsavvy_async.resources._raw import RawView, raw

__all__ = ["Tickets", "TicketsRaw"]


class Tickets(Resource):
    __slots__ = ()

    async def list(
        self,
        *,
        department_id: str | None = None,
        ticket_status: str | None = None,
        sender_email: str | None = None,
        period: Period | None = None,
        **options: Unpack[RequestOptions],
    ) -> list[Ticket]:
        """Support tickets, optionally filtered (getTickets)."""
        body = compact(
            department_id=optional("department_id", department_id),
            ticket_status=optional("ticket_status", ticket_status),
            sender_email=optional("sender_email", sender_email),
            datetime=format_period(period),
        )
        return await self._request(
            "getTickets", body, Decode(list[Ticket]), write=False, options=options
        )

    async def conversation(
        self, ticket_id: str, **options: Unpack[RequestOptions]
    ) -> builtins.list[TicketMessage]:
        """Every message of one ticket, oldest first as the API returns them (getTicket)."""
        body = {"ticket_id": required("ticket_id", ticket_id)}
        decode = Decode(builtins.list[TicketMessage])
        return await self._request("getTicket", body, decode, write=False, options=options)

    async def create(
        self,
        *,
        department_id: str,
        sender_name: str,
        sender_email: str,
        subject: str,
        message: str,
        **options: Unpack[RequestOptions],
    ) -> CreatedTicket:
        """Open a ticket on a customer's behalf (createTicket); the subject and sender
        fill what the answer leaves out."""
        body = {
            "department_id": required("department_id", department_id),
            "sender_name": required("sender_name", sender_name),
            "sender_email": required("sender_email", sender_email),
            "ticket_subject": required("subject", subject),
            "ticket_message": required("message", message),
        }
        sent = {
            "subject": body["ticket_subject"],
            "sender_name": body["sender_name"],
            "sender_email": body["sender_email"],
        }
        decode = Decode(CreatedTicket, fill=sent)
        return await self._request("createTicket", body, decode, write=True, options=options)

    async def reply(
        self,
        ticket_id: str,
        *,
        message: str,
        response_date: dt.datetime | str | None = None,
        agent_id: str | None = None,
        **options: Unpack[RequestOptions],
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
        return await self._request(
            "replyTicket", body, Decode(TicketReply), write=True, options=options
        )


class TicketsRaw(RawView[Tickets]):
    list = raw(Tickets.list)
    conversation = raw(Tickets.conversation)
    create = raw(Tickets.create)
    reply = raw(Tickets.reply)


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
