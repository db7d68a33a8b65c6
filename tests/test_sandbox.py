"""The sandbox's 21 resources end to end through the SDK: seeded records, state changes,
filters, sends with their ledger and balances, and the vendor's wire formats."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from callsavvy_async import APIError, AsyncCallsavvy
from callsavvy_async.sandbox import (
    RESOURCES,
    TEST_PRIVATE_KEY,
    TEST_PUBLIC_KEY,
    LedgerEntry,
    Sandbox,
)

pytestmark = pytest.mark.anyio

DOCUMENTED_RESOURCES = {
    "getSummary",
    "getDepartments",
    "getCategories",
    "getAgents",
    "getTickets",
    "getTicket",
    "createTicket",
    "replyTicket",
    "getCalls",
    "getChats",
    "getMessangers",
    "sendSMS",
    "sendRobocall",
    "sendWhatsapp",
    "listMeetings",
    "getMeeting",
    "createMeeting",
    "getContacts",
    "getContactGroups",
    "createContact",
    "deleteContact",
}
TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")


@pytest.fixture
def sb() -> Sandbox:
    return Sandbox(seed=7)


@pytest.fixture
async def cs(sb: Sandbox) -> AsyncIterator[AsyncCallsavvy]:
    async with sb.client() as client:
        yield client


def numbers(count: int, start: int = 0, prefix: str = "+4477009") -> list[str]:
    return [f"{prefix}{n:05d}" for n in range(start, start + count)]


async def raw_post(sb: Sandbox, resource: str, body: dict[str, Any]) -> httpx.Response:
    headers = {"Public-Key": TEST_PUBLIC_KEY, "Private-Key": TEST_PRIVATE_KEY}
    async with httpx.AsyncClient(transport=sb.transport()) as http:
        return await http.post(f"{sb.BASE_URL}/{resource}", json=body, headers=headers)


def test_serves_exactly_the_21_documented_resources() -> None:
    assert set(RESOURCES) == DOCUMENTED_RESOURCES
    assert len(RESOURCES) == 21


async def test_account_directory_and_groups(cs: AsyncCallsavvy) -> None:
    summary = await cs.account.summary()
    departments = await cs.departments.list()
    categories = await cs.categories.list()
    agents = await cs.agents.list()
    groups = await cs.contact_groups.list()
    assert summary.account_status == "Active"
    assert summary.assigned_number and summary.assigned_number.startswith("+")
    assert summary.sms_balance and summary.sms_balance > 100_000
    assert len(departments) == 3 and len(categories) >= 3 and len(groups) >= 2
    assert sum(d.department_agents or 0 for d in departments) == len(agents)
    assert all(a.agent_email and "@" in a.agent_email for a in agents)
    assert len({a.agent_id for a in agents}) == len(agents)


async def test_wire_formats_are_the_vendors(sb: Sandbox) -> None:
    """Envelope shape, every value a string, times as YYYY-MM-DD HH:MM:SS, flags true/false."""
    summary = (await raw_post(sb, "getSummary", {})).json()
    assert set(summary) == {"resource", "status", "data"}
    assert (summary["resource"], summary["status"]) == ("getSummary", "success")
    assert all(isinstance(value, str) for value in summary["data"].values())
    assert summary["data"]["sms_balance"].isdigit()
    for resource in ("getTickets", "getCalls", "getChats", "getMessangers", "listMeetings"):
        records = (await raw_post(sb, resource, {})).json()["data"]
        assert records
        for record in records:
            assert all(isinstance(value, str) for value in record.values())
            assert TIMESTAMP.fullmatch(record["datetime"])
    ticket_id = (await raw_post(sb, "getTickets", {})).json()["data"][0]["ticket_id"]
    thread = (await raw_post(sb, "getTicket", {"ticket_id": ticket_id})).json()["data"]
    assert {item["from_agent"] for item in thread} <= {"true", "false"}


async def test_seeded_tickets_cover_every_status_with_conversations(cs: AsyncCallsavvy) -> None:
    for status in ("New", "Closed", "Awaiting Agent Reply", "Awaiting Customer Reply"):
        tickets = await cs.tickets.list(ticket_status=status)
        assert tickets and {t.ticket_status for t in tickets} == {status}
    [waiting, *_] = await cs.tickets.list(ticket_status="Awaiting Customer Reply")
    thread = await cs.tickets.conversation(waiting.ticket_id)
    assert thread[0].from_agent is False and thread[-1].from_agent is True
    assert thread[-1].agent_name and thread[0].agent_name is None
    assert waiting.last_reply == thread[-1].datetime


async def test_ticket_lifecycle_and_filters(cs: AsyncCallsavvy) -> None:
    department = (await cs.departments.list())[1].department_id
    agent = (await cs.agents.list())[0]
    created = await cs.tickets.create(
        department_id=department,
        sender_name="Jane Roe",
        sender_email="jane.roe@example.com",
        subject="Refund",
        message="Where is my refund?",
    )
    assert (created.subject, created.sender_name) == ("Refund", "Jane Roe")
    [new] = await cs.tickets.list(sender_email="jane.roe@example.com")
    assert (new.ticket_id, new.ticket_status, new.department_id) == (
        created.ticket_id,
        "New",
        department,
    )
    by_agent = await cs.tickets.reply(
        created.ticket_id, message="On its way", agent_id=agent.agent_id
    )
    assert by_agent.new_status == "Awaiting Customer Reply"
    answered_at = dt.datetime(2030, 1, 2, 3, 4, 5)
    by_customer = await cs.tickets.reply(
        created.ticket_id, message="Thanks", response_date=answered_at
    )
    assert by_customer.new_status == "Awaiting Agent Reply"
    first, second, third = await cs.tickets.conversation(created.ticket_id)
    assert (first.message, first.from_agent) == ("Where is my refund?", False)
    assert (second.from_agent, second.agent_name) == (True, agent.agent_name)
    assert (third.from_agent, third.datetime) == (False, answered_at)
    assert by_agent.conversation_id == second.conversation_id
    [replied] = await cs.tickets.list(sender_email="JANE.ROE@example.com")
    assert (replied.ticket_status, replied.last_reply) == ("Awaiting Agent Reply", answered_at)
    in_department = await cs.tickets.list(department_id=department)
    assert created.ticket_id in {t.ticket_id for t in in_department}
    assert {t.department_id for t in in_department} == {department}
    today = await cs.tickets.list(period=dt.date.today())
    assert [t.ticket_id for t in today] == [created.ticket_id]
    assert await cs.tickets.list(period="1999-01") == []


async def test_ticket_errors(cs: AsyncCallsavvy) -> None:
    with pytest.raises(APIError, match="Ticket not found") as missing:
        await cs.tickets.conversation("nope")
    assert missing.value.status_code == 404
    with pytest.raises(APIError, match="department_id") as bad_department:
        await cs.tickets.create(
            department_id="nope",
            sender_name="A",
            sender_email="a@example.com",
            subject="S",
            message="M",
        )
    assert bad_department.value.status_code == 400
    ticket = (await cs.tickets.list())[0].ticket_id
    with pytest.raises(APIError, match="replying_agent_id"):
        await cs.tickets.reply(ticket, message="hi", agent_id="not-an-agent")


async def test_calls_chats_and_messengers_filter(cs: AsyncCallsavvy) -> None:
    calls = await cs.calls.list()
    incoming = await cs.calls.list(call_direction="Incoming")
    assert 0 < len(incoming) < len(calls)
    assert {c.direction for c in incoming} == {"Incoming"}
    times = [c.datetime for c in calls if c.datetime is not None]
    assert len(times) == len(calls) and times == sorted(times, reverse=True)
    assert any(c.recording_url for c in calls) and all(c.caller for c in calls)
    department = calls[0].department_id
    assert department is not None
    by_department = await cs.calls.list(department_id=department)
    assert by_department and {c.department_id for c in by_department} == {department}
    category = calls[0].category
    assert category is not None
    assert {c.category for c in await cs.calls.list(category=category)} == {category}
    moment = calls[-1].datetime
    assert moment is not None
    same_day = await cs.calls.list(period=moment.date())
    assert calls[-1].call_id in {c.call_id for c in same_day}
    assert all(c.datetime and c.datetime.date() == moment.date() for c in same_day)
    exact = await cs.calls.list(period=moment)
    assert calls[-1].call_id in {c.call_id for c in exact}
    chats = await cs.chats.list(department_id=department)
    assert chats and {c.department_id for c in chats} == {department}
    assert {c.chat_status for c in await cs.chats.list()} == {"Engaged", "Waiting"}
    messengers = await cs.messengers.list()
    assert {m.channel for m in messengers} >= {"whatsapp", "facebook"}
    chat_month = messengers[0].datetime
    assert chat_month is not None
    assert messengers[0] in await cs.messengers.list(period=chat_month.strftime("%Y-%m"))


async def test_meetings(cs: AsyncCallsavvy) -> None:
    seeded = await cs.meetings.list()
    assert seeded and {m.status for m in seeded} <= {"Not Started", "Started", "Ended"}
    host = (await cs.agents.list())[0].agent_id
    created = await cs.meetings.create("Demo call with Henry Ford", host_agent_id=host)
    fetched = await cs.meetings.get(created.meeting_id)
    assert (created.status, created.title) == ("Not Started", "Demo call with Henry Ford")
    assert fetched.host_agent_id == host
    assert fetched.join_link == f"https://meet.getcallsavvy.com/meeting/{created.meeting_id}"
    assert fetched.start_link and fetched.start_link.startswith(fetched.join_link + "?s=")
    assert fetched.datetime and fetched.datetime.date() == dt.date.today()
    assert [m.meeting_id for m in await cs.meetings.list(period=dt.date.today())] == [
        created.meeting_id
    ]
    this_month = await cs.meetings.list(period=dt.date.today().strftime("%Y-%m"))
    assert created.meeting_id in {m.meeting_id for m in this_month}
    unhosted = await cs.meetings.get((await cs.meetings.create("Walk-in")).meeting_id)
    assert unhosted.host_agent_id is None
    with pytest.raises(APIError, match="Meeting not found"):
        await cs.meetings.get("nope")


async def test_meetings_filter_by_day_or_month_only(sb: Sandbox) -> None:
    refused = await raw_post(sb, "listMeetings", {"datetime": "2024-03-13 15:00:48"})
    assert refused.status_code == 400
    assert refused.json()["message"] == "datetime must be YYYY-MM or YYYY-MM-DD"


async def test_contacts(cs: AsyncCallsavvy) -> None:
    seeded = await cs.contacts.list()
    group = (await cs.contact_groups.list())[2].group_id
    assert await cs.contacts.list(group_id=group) == []
    jane = await cs.contacts.create("Jane", phone="+44 7700 900123", group_id=group)
    john = await cs.contacts.create("John", email="john@example.com")
    assert jane.name == "Jane" and jane.contact_id.endswith("==")
    [listed] = await cs.contacts.list(group_id=group)
    assert (listed.name, listed.phone, listed.email) == ("Jane", "+447700900123", None)
    assert len(await cs.contacts.list()) == len(seeded) + 2
    assert await cs.contacts.delete(jane.contact_id) == jane.contact_id
    assert await cs.contacts.list(group_id=group) == []
    remaining = {c.contact_id for c in await cs.contacts.list()}
    assert john.contact_id in remaining and jane.contact_id not in remaining
    with pytest.raises(APIError, match="Contact not found") as gone:
        await cs.contacts.delete(jane.contact_id)
    assert gone.value.status_code == 404
    with pytest.raises(APIError, match="group_id"):
        await cs.contacts.create("Ann", email="ann@example.com", group_id="nope==")


async def test_sends_fill_the_ledger_and_cost_units(sb: Sandbox, cs: AsyncCallsavvy) -> None:
    before = await cs.account.summary()
    sms = await cs.sms.send(numbers(3), "x" * 200)
    local = await cs.robocalls.send(
        numbers(2, prefix="+2348031"), "Hello", call_type="Text-2-Speech", duration=3
    )
    abroad = await cs.robocalls.send(
        numbers(1), "https://cdn.example.com/promo.mp3", call_type="Pre-recorded-Audio", duration=2
    )
    wa = await cs.whatsapp.send("uid-1", numbers(30, 100), "Sale")
    after = await cs.account.summary()
    assert (sms.cost, local.cost, abroad.cost) == (Decimal(6), Decimal(6), Decimal(2))
    assert wa.cost is None and wa.message_id is None
    assert {sms.status, local.status, abroad.status, wa.status} <= {"sent", "queued"}
    assert after.sms_balance == (before.sms_balance or 0) - 6
    assert after.outbound_local_call_balance == (before.outbound_local_call_balance or 0) - 6
    assert after.outbound_international_call_balance == (
        (before.outbound_international_call_balance or 0) - 2
    )
    assert [e.channel for e in sb.ledger] == ["sms"] * 3 + ["robocall"] * 3 + ["whatsapp"] * 30
    assert [e.recipient for e in sb.ledger[6:]] == numbers(30, 100)
    assert {e.message_id for e in sb.ledger[:3]} == {sms.message_id}
    assert all(e.message == "Sale" for e in sb.ledger[6:])
    assert all(isinstance(e, LedgerEntry) and isinstance(e.time, dt.datetime) for e in sb.ledger)
    robocalls = await cs.calls.list(call_direction="Outgoing", period=dt.date.today())
    assert {c.caller for c in robocalls} == set(numbers(2, prefix="+2348031") + numbers(1))
    assert {c.duration for c in robocalls} == {180, 120}


@pytest.mark.parametrize(
    ("message", "pages"),
    [
        ("x" * 160, 1),
        ("x" * 161, 2),
        ("x" * 306, 2),
        ("x" * 307, 3),
        ("[" * 80, 1),
        ("[" * 81, 2),
        ("é" * 160, 1),
    ],
)
async def test_sms_cost_follows_gsm_pagination(
    cs: AsyncCallsavvy, message: str, pages: int
) -> None:
    result = await cs.sms.send(numbers(2), message)
    assert result.cost == Decimal(2 * pages)


async def test_unicode_sms_pages_are_shorter(cs: AsyncCallsavvy) -> None:
    assert (await cs.sms.send(numbers(1), "ü" + "Ж" * 70)).cost == Decimal(2)
    assert (await cs.sms.send(numbers(1), "Ж" * 70)).cost == Decimal(1)


async def test_send_statuses_are_mostly_sent_and_fixed_by_the_seed() -> None:
    runs = []
    for _ in range(2):
        sb = Sandbox(seed=11)
        async with sb.client() as cs:
            runs.append([(await cs.sms.send(numbers(1, n), "hi")).status for n in range(300)])
    assert runs[0] == runs[1]
    queued = runs[0].count("queued")
    assert set(runs[0]) == {"sent", "queued"}
    assert 5 <= queued <= 60


async def test_an_empty_balance_refuses_the_send(sb: Sandbox, cs: AsyncCallsavvy) -> None:
    sb.state.balances["sms_balance"] = 2
    with pytest.raises(APIError, match="Insufficient SMS balance") as refused:
        await cs.sms.send(numbers(3), "hi")
    assert refused.value.status_code == 402
    assert sb.ledger == []
    assert (await cs.account.summary()).sms_balance == 2


async def test_a_seed_fixes_ids_and_records() -> None:
    async def snapshot(seed: int) -> list[Any]:
        async with Sandbox(seed=seed).client() as cs:
            return [await cs.agents.list(), await cs.tickets.list(), await cs.contacts.list()]

    assert await snapshot(1) == await snapshot(1)
    assert await snapshot(1) != await snapshot(2)
