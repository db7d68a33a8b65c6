"""One thin module per API area: check arguments, build the body, pick the model."""

from callsavvy_async.resources._views import WithRawResponse
from callsavvy_async.resources.account import Account, Agents, Categories, Departments
from callsavvy_async.resources.contacts import ContactGroups, Contacts
from callsavvy_async.resources.conversations import Calls, Chats, Messengers
from callsavvy_async.resources.meetings import Meetings
from callsavvy_async.resources.messaging import Robocalls, Sms, Whatsapp
from callsavvy_async.resources.tickets import Tickets

__all__ = [
    "Account",
    "Agents",
    "Calls",
    "Categories",
    "Chats",
    "ContactGroups",
    "Contacts",
    "Departments",
    "Meetings",
    "Messengers",
    "Robocalls",
    "Sms",
    "Tickets",
    "Whatsapp",
    "WithRawResponse",
]
