"""Each of the 21 resources: the request the SDK sends and the model it decodes."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from typing import Any

import anyio.to_thread
import httpx
import pytest
import respx

from callsavvy_async import AsyncCallsavvy, Callsavvy
from tests import payloads as p
from tests._sync_facade import Awaiting

pytestmark = pytest.mark.anyio


@pytest.fixture
def api() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=p.BASE_URL, assert_all_called=False) as router:
        yield router


@pytest.fixture(params=["AsyncCallsavvy", "Callsavvy"])
async def cs(request: pytest.FixtureRequest) -> AsyncIterator[Any]:
    """Each test runs on the async client and on the sync one."""
    keys = {"public_key": p.PUBLIC_KEY, "private_key": p.PRIVATE_KEY}
    if request.param == "AsyncCallsavvy":
        async with AsyncCallsavvy(**keys) as client:
            yield client
        return
    sync = Callsavvy(**keys)
    try:
        yield Awaiting(sync)
    finally:
        await anyio.to_thread.run_sync(sync.close)


def answer(api: respx.MockRouter, resource: str, data: Any) -> respx.Route:
    return api.post(f"/{resource}").respond(json=p.envelope(resource, data))


def sent_body(route: respx.Route) -> dict[str, Any]:
    request = route.calls.last.request
    assert request.method == "POST"
    assert request.headers["content-type"] == "application/json"
    body: dict[str, Any] = json.loads(request.content)
    return body


async def test_summary(api: respx.MockRouter, cs: AsyncCallsavvy) -> None:
    route = answer(api, "getSummary", p.SUMMARY)
    summary = await cs.account.summary()
    assert sent_body(route) == {}
    assert summary.assigned_number == "+2348012345678"
    assert summary.sms_balance == 980
    assert summary.outbound_international_call_balance == 45
    assert summary.account_status == "Active"


async def test_departments_categories_agents(api: respx.MockRouter, cs: AsyncCallsavvy) -> None:
    answer(api, "getDepartments", p.DEPARTMENTS)
    answer(api, "getCategories", p.CATEGORIES)
    answer(api, "getAgents", p.AGENTS)
    [department] = await cs.departments.list()
    [category] = await cs.categories.list()
    [agent] = await cs.agents.list()
    assert (department.department_id, department.department_agents) == ("dpt01", 4)
    assert category.category_name == "Billing"
    assert agent.agent_email == "ada@example.com"


async def test_tickets_list_sends_filters_and_decodes(
    api: respx.MockRouter, cs: AsyncCallsavvy
) -> None:
    route = answer(api, "getTickets", p.TICKETS)
    [ticket] = await cs.tickets.list(
        department_id="dpt01",
        ticket_status="New",
        sender_email="jane@example.com",
        period="2024-03",
    )
    assert sent_body(route) == {
        "department_id": "dpt01",
        "ticket_status": "New",
        "sender_email": "jane@example.com",
        "datetime": "2024-03",
    }
    assert ticket.datetime == dt.datetime(2024, 3, 13, 15, 0, 48)
    assert ticket.last_reply == dt.datetime(2024, 3, 14, 9, 12)
    assert ticket.ticket_status == "Awaiting Agent Reply"


async def test_tickets_list_without_filters_sends_empty_body(
    api: respx.MockRouter, cs: AsyncCallsavvy
) -> None:
    route = answer(api, "getTickets", [])
    assert await cs.tickets.list() == []
    assert sent_body(route) == {}


async def test_ticket_conversation(api: respx.MockRouter, cs: AsyncCallsavvy) -> None:
    route = answer(api, "getTicket", p.TICKET_CONVERSATION)
    customer, agent = await cs.tickets.conversation("tkt01")
    assert sent_body(route) == {"ticket_id": "tkt01"}
    assert customer.from_agent is False
    assert customer.agent_name is None
    assert customer.files == ("https://files.example.com/a.png", "https://files.example.com/b.pdf")
    assert agent.from_agent is True
    assert agent.files == ()


async def test_ticket_create_uses_wire_names(api: respx.MockRouter, cs: AsyncCallsavvy) -> None:
    route = answer(api, "createTicket", p.CREATED_TICKET)
    created = await cs.tickets.create(
        department_id="dpt01",
        sender_name="Jane Roe",
        sender_email="jane@example.com",
        subject="Broken link",
        message="The link in your email is broken.",
    )
    assert sent_body(route) == {
        "department_id": "dpt01",
        "sender_name": "Jane Roe",
        "sender_email": "jane@example.com",
        "ticket_subject": "Broken link",
        "ticket_message": "The link in your email is broken.",
    }
    assert created.ticket_id == "tkt02"


async def test_ticket_reply_fills_response_date(api: respx.MockRouter, cs: AsyncCallsavvy) -> None:
    route = answer(api, "replyTicket", p.TICKET_REPLY)
    before = dt.datetime.now().replace(microsecond=0)
    reply = await cs.tickets.reply("tkt01", message="Thanks!")
    after = dt.datetime.now()
    body = sent_body(route)
    assert set(body) == {"ticket_id", "response_message", "response_date"}
    assert body["response_message"] == "Thanks!"
    assert before <= dt.datetime.strptime(body["response_date"], "%Y-%m-%d %H:%M:%S") <= after
    assert reply.new_status == "Awaiting Customer Reply"


async def test_ticket_reply_from_agent_with_date(api: respx.MockRouter, cs: AsyncCallsavvy) -> None:
    route = answer(api, "replyTicket", p.TICKET_REPLY)
    await cs.tickets.reply(
        "tkt01", message="On it", response_date=dt.datetime(2024, 5, 1, 8, 30), agent_id="agt01"
    )
    assert sent_body(route) == {
        "ticket_id": "tkt01",
        "response_message": "On it",
        "response_date": "2024-05-01 08:30:00",
        "replying_agent_id": "agt01",
    }


async def test_calls(api: respx.MockRouter, cs: AsyncCallsavvy) -> None:
    route = answer(api, "getCalls", p.CALLS)
    [call] = await cs.calls.list(
        department_id="dpt01",
        category="cat01",
        call_direction="Incoming",
        period=dt.datetime(2024, 3, 13, 15, 0, 48),
    )
    assert sent_body(route) == {
        "department_id": "dpt01",
        "category": "cat01",
        "call_direction": "Incoming",
        "datetime": "2024-03-13 15:00:48",
    }
    assert call.duration == 184
    assert call.recording_url == "https://rec.example.com/cll01.mp3"


async def test_chats_and_messengers(api: respx.MockRouter, cs: AsyncCallsavvy) -> None:
    chats = answer(api, "getChats", p.CHATS)
    messengers = answer(api, "getMessangers", p.MESSENGERS)
    [chat] = await cs.chats.list(department_id="dpt01", period=dt.date(2024, 3, 13))
    [messenger] = await cs.messengers.list(period="2024-03-13")
    assert sent_body(chats) == {"department_id": "dpt01", "datetime": "2024-03-13"}
    assert sent_body(messengers) == {"datetime": "2024-03-13"}
    assert chat.visitor_phone is None
    assert messenger.messanger_id == "msg01"
    assert messenger.channel == "whatsapp"


async def test_sms_send(api: respx.MockRouter, cs: AsyncCallsavvy) -> None:
    route = answer(api, "sendSMS", p.SMS_RESULT)
    result = await cs.sms.send(["+44 7989 987123", "0044-7989-987124"], "Hello", sender_id="ACME")
    assert sent_body(route) == {
        "sender_id": "ACME",
        "recipient": "+447989987123,+447989987124",
        "message": "Hello",
    }
    assert result.cost == Decimal("4")
    assert result.status == "sent"
    assert result.message_id == "bj693csvc3o3epnw"


async def test_sms_send_accepts_comma_string_and_omits_sender(
    api: respx.MockRouter, cs: AsyncCallsavvy
) -> None:
    route = answer(api, "sendSMS", p.SMS_RESULT)
    await cs.sms.send("+2240099887,+447989987", "Hi")
    assert sent_body(route) == {"recipient": "+2240099887,+447989987", "message": "Hi"}


async def test_robocall_send(api: respx.MockRouter, cs: AsyncCallsavvy) -> None:
    route = answer(api, "sendRobocall", p.ROBOCALL_RESULT)
    result = await cs.robocalls.send(
        "+447989987123", "Your order is ready", call_type="Text-2-Speech", duration=2
    )
    assert sent_body(route) == {
        "call_type": "Text-2-Speech",
        "recipient": "+447989987123",
        "message": "Your order is ready",
        "duration": "2",
    }
    assert (result.status, result.cost) == ("queued", Decimal("12"))


async def test_whatsapp_send(api: respx.MockRouter, cs: AsyncCallsavvy) -> None:
    route = answer(api, "sendWhatsapp", p.WHATSAPP_RESULT)
    numbers = [f"+4479899871{i:02d}" for i in range(30)]
    result = await cs.whatsapp.send("wa-uid-1", numbers, "Sale today")
    assert sent_body(route) == {
        "uid": "wa-uid-1",
        "recipient": ",".join(numbers),
        "message": "Sale today",
    }
    assert result.status == "sent"
    assert result.cost is None


async def test_meetings(api: respx.MockRouter, cs: AsyncCallsavvy) -> None:
    listed = answer(api, "listMeetings", p.MEETINGS)
    fetched = answer(api, "getMeeting", p.MEETING)
    created = answer(api, "createMeeting", {**p.MEETING, "status": "Not Started"})
    [summary] = await cs.meetings.list(period=dt.datetime(2024, 3, 13, 15, 0))
    meeting = await cs.meetings.get("Tj6so93csvc3o3e834")
    new = await cs.meetings.create("30 minutes call with Henry Ford", host_agent_id="3dv630v66v9w")
    assert sent_body(listed) == {"datetime": "2024-03-13"}
    assert sent_body(fetched) == {"meeting_id": "Tj6so93csvc3o3e834"}
    assert sent_body(created) == {
        "title": "30 minutes call with Henry Ford",
        "host_agent_id": "3dv630v66v9w",
    }
    assert summary.datetime == dt.datetime(2024, 3, 13, 15, 0, 48)
    assert meeting.join_link == "https://meet.getcallsavvy.com/meeting/Tj6so93csvc3o3e834"
    assert new.status == "Not Started"


async def test_meetings_list_sends_only_date_part_of_string(
    api: respx.MockRouter, cs: AsyncCallsavvy
) -> None:
    route = answer(api, "listMeetings", [])
    await cs.meetings.list(period="2024-03-13 10:00:00")
    assert sent_body(route) == {"datetime": "2024-03-13"}


async def test_contacts(api: respx.MockRouter, cs: AsyncCallsavvy) -> None:
    listed = answer(api, "getContacts", p.CONTACTS)
    groups = answer(api, "getContactGroups", p.CONTACT_GROUPS)
    created = answer(api, "createContact", p.CREATED_CONTACT)
    deleted = answer(api, "deleteContact", p.DELETED_CONTACT)
    [contact] = await cs.contacts.list(group_id="jdy93yeb0d==")
    [group] = await cs.contact_groups.list()
    new = await cs.contacts.create("John Doe", phone="+1 888 777 6660")
    gone = await cs.contacts.delete("jsxvobiue==")
    assert sent_body(listed) == {"group_id": "jdy93yeb0d=="}
    assert sent_body(groups) == {}
    assert sent_body(created) == {"name": "John Doe", "phone": "+18887776660"}
    assert sent_body(deleted) == {"contact_id": "jsxvobiue=="}
    assert contact.phone == "+1888777666"
    assert group.name == "Demo List One"
    assert new.contact_id == "jsxvobiue=="
    assert new.email is None
    assert gone == "jsxvobiue=="


async def test_every_call_is_a_json_post_with_keys_and_user_agent(
    api: respx.MockRouter, cs: AsyncCallsavvy
) -> None:
    route = answer(api, "getSummary", p.SUMMARY)
    await cs.account.summary()
    request = route.calls.last.request
    assert str(request.url) == f"{p.BASE_URL}/getSummary"
    assert request.headers["public-key"] == p.PUBLIC_KEY
    assert request.headers["private-key"] == p.PRIVATE_KEY
    assert request.headers["user-agent"].startswith("callsavvy-async/")
    assert isinstance(json.loads(request.content), dict)


async def test_placeholder_status_and_unknown_fields_decode(
    api: respx.MockRouter, cs: AsyncCallsavvy
) -> None:
    answer(api, "sendSMS", {**p.SMS_RESULT, "cost": 4.5, "segments": 2, "status": "queued"})
    result = await cs.sms.send("+447989987123", "Hello")
    assert result.cost == Decimal("4.5")
    assert result.extra == {"segments": 2}


async def test_numbers_may_arrive_as_numbers(api: respx.MockRouter, cs: AsyncCallsavvy) -> None:
    answer(api, "getSummary", {**p.SUMMARY, "sms_balance": 12, "business_id": 12345})
    summary = await cs.account.summary()
    assert summary.sms_balance == 12
    assert summary.business_id == "12345"


async def test_http_transport_mock_sees_json_body() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=p.envelope("getAgents", p.AGENTS))

    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    async with AsyncCallsavvy(public_key="pk", private_key="sk-secret", http_client=http) as cs:
        [agent] = await cs.agents.list()
    assert agent.agent_id == "agt01"
    assert seen[0].headers["private-key"] == "sk-secret"
    assert not http.is_closed
    await http.aclose()
