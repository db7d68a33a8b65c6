"""The sync client's resources: each async method listed once, run through the portal."""

from __future__ import annotations

from callsavvy_async._sync._portal import SyncView, blocking, blocking_raw
from callsavvy_async.resources import (
    Account,
    Agents,
    Calls,
    Categories,
    Chats,
    ContactGroups,
    Contacts,
    Departments,
    Meetings,
    Messengers,
    Robocalls,
    Sms,
    Tickets,
    Whatsapp,
)

__all__ = [
    "SyncAccount",
    "SyncAgents",
    "SyncCalls",
    "SyncCategories",
    "SyncChats",
    "SyncContactGroups",
    "SyncContacts",
    "SyncDepartments",
    "SyncMeetings",
    "SyncMessengers",
    "SyncRobocalls",
    "SyncSms",
    "SyncTickets",
    "SyncWhatsapp",
]


class SyncAccount(SyncView[Account]):
    summary = blocking(Account.summary)


class SyncDepartments(SyncView[Departments]):
    list = blocking(Departments.list)


class SyncCategories(SyncView[Categories]):
    list = blocking(Categories.list)


class SyncAgents(SyncView[Agents]):
    list = blocking(Agents.list)


class SyncTickets(SyncView[Tickets]):
    list = blocking(Tickets.list)
    conversation = blocking(Tickets.conversation)
    create = blocking(Tickets.create)
    reply = blocking(Tickets.reply)


class SyncCalls(SyncView[Calls]):
    list = blocking(Calls.list)


class SyncChats(SyncView[Chats]):
    list = blocking(Chats.list)


class SyncMessengers(SyncView[Messengers]):
    list = blocking(Messengers.list)


class SyncSms(SyncView[Sms]):
    send = blocking(Sms.send)
    send_bulk = blocking(Sms.send_bulk)


class SyncRobocalls(SyncView[Robocalls]):
    send = blocking(Robocalls.send)
    send_bulk = blocking(Robocalls.send_bulk)


class SyncWhatsapp(SyncView[Whatsapp]):
    send = blocking(Whatsapp.send)
    send_bulk = blocking(Whatsapp.send_bulk)


class SyncMeetings(SyncView[Meetings]):
    list = blocking(Meetings.list)
    get = blocking(Meetings.get)
    create = blocking(Meetings.create)


class SyncContacts(SyncView[Contacts]):
    list = blocking(Contacts.list)
    create = blocking(Contacts.create)
    delete = blocking(Contacts.delete)


class SyncContactGroups(SyncView[ContactGroups]):
    list = blocking(ContactGroups.list)


class SyncAccountRaw(SyncView[Account]):
    summary = blocking_raw(Account.summary)


class SyncDepartmentsRaw(SyncView[Departments]):
    list = blocking_raw(Departments.list)


class SyncCategoriesRaw(SyncView[Categories]):
    list = blocking_raw(Categories.list)


class SyncAgentsRaw(SyncView[Agents]):
    list = blocking_raw(Agents.list)


class SyncTicketsRaw(SyncView[Tickets]):
    list = blocking_raw(Tickets.list)
    conversation = blocking_raw(Tickets.conversation)
    create = blocking_raw(Tickets.create)
    reply = blocking_raw(Tickets.reply)


class SyncCallsRaw(SyncView[Calls]):
    list = blocking_raw(Calls.list)


class SyncChatsRaw(SyncView[Chats]):
    list = blocking_raw(Chats.list)


class SyncMessengersRaw(SyncView[Messengers]):
    list = blocking_raw(Messengers.list)


class SyncSmsRaw(SyncView[Sms]):
    send = blocking_raw(Sms.send)


class SyncRobocallsRaw(SyncView[Robocalls]):
    send = blocking_raw(Robocalls.send)


class SyncWhatsappRaw(SyncView[Whatsapp]):
    send = blocking_raw(Whatsapp.send)


class SyncMeetingsRaw(SyncView[Meetings]):
    list = blocking_raw(Meetings.list)
    get = blocking_raw(Meetings.get)
    create = blocking_raw(Meetings.create)


class SyncContactsRaw(SyncView[Contacts]):
    list = blocking_raw(Contacts.list)
    create = blocking_raw(Contacts.create)
    delete = blocking_raw(Contacts.delete)


class SyncContactGroupsRaw(SyncView[ContactGroups]):
    list = blocking_raw(ContactGroups.list)
