"""The business a new sandbox starts with: a small Lagos company two months into using
Callsavvy, with departments, agents, tickets, calls, chats, meetings and contacts.

Everything is drawn from the state's seeded generator and dated back from now, so a seed
always gives the same records and "today" holds only what the user creates.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

from callsavvy_async.sandbox._fields import stamp
from callsavvy_async.sandbox._state import State

__all__ = ["seeded_state"]

BUSINESS_NAME = "Acme Home Services Ltd"
COUNTRY_CODE = "+234"
DOMAIN = "acmehome.example"
FILES_URL = "https://files.getcallsavvy.com/attachments"
RECORDINGS_URL = "https://recordings.getcallsavvy.com"

DEPARTMENTS = ("Sales", "Customer Support", "Billing")
CATEGORIES = ("General Enquiry", "Complaint", "Order Status", "Technical Issue")
AGENTS = (
    ("Amara Okafor", 0),
    ("Daniel Mensah", 0),
    ("Chiamaka Eze", 1),
    ("Sofia Rossi", 1),
    ("Tunde Adeyemi", 1),
    ("Priya Nair", 2),
)
CUSTOMERS = (
    ("Ngozi Uche", "ngozi.uche@example.com", "+2348031234567"),
    ("James Whitfield", "j.whitfield@example.co.uk", "+447700900123"),
    ("Fatima Bello", "fatima.bello@example.com", "+2348059876543"),
    ("Kwame Asante", "kwame@example.com.gh", "+233244123456"),
    ("Maria Gonzalez", "maria.gonzalez@example.es", "+34612345678"),
    ("Emeka Nwosu", "emeka.nwosu@example.com", "+2348097654321"),
)
TICKET_THREADS = (
    ("Refund for cancelled order", "I cancelled order 4471 last week. When will I be refunded?"),
    ("Technician did not show up", "Nobody came for my 10am appointment today."),
    ("Invoice shows the wrong address", "Please correct the billing address on my invoice."),
    ("Request for a quote", "How much do you charge to service two air conditioners?"),
    ("Cannot log in to the customer portal", "The password reset email never arrives."),
)
REPLIES = {
    "agent": "Thank you for reaching out. I have looked into this and will update you shortly.",
    "customer": "Thanks, any news? I am still waiting.",
    "customer-thanks": "All sorted now, thank you!",
}
TICKET_SHAPES = (
    ("New", ("customer",)),
    ("Awaiting Customer Reply", ("customer", "agent")),
    ("Awaiting Agent Reply", ("customer", "agent", "customer")),
    ("Closed", ("customer", "agent", "customer-thanks")),
)
MEETINGS = (
    ("Quarterly review with Ngozi Uche", "Ended"),
    ("30 minutes call with James Whitfield", "Ended"),
    ("Onboarding: Kwame Asante", "Not Started"),
)
MESSENGER_CHANNELS = ("whatsapp", "facebook", "instagram", "telegram")
CONTACT_GROUPS = ("Customers", "Newsletter", "VIP")
HISTORY_DAYS = 60


def seeded_state(seed: int | None, clock: Callable[[], dt.datetime] = dt.datetime.now) -> State:
    """A State holding the sample business, its directory and two months of history."""
    state = State(seed, clock)
    _business(state)
    _directory(state)
    _tickets(state)
    _calls(state)
    _chats(state)
    _meetings(state)
    _contacts(state)
    return state


def _business(state: State) -> None:
    state.business_name = BUSINESS_NAME
    state.country_code = COUNTRY_CODE
    state.business = {
        "assigned_number": "+2342017001550",
        "account_status": "Active",
        "business_id": state.new_id(12),
    }
    state.balances = {
        "outbound_local_call_balance": 200_000,
        "outbound_international_call_balance": 100_000,
        "inbound_call_balance": 50_000,
        "sms_balance": 2_000_000,
    }


def _directory(state: State) -> None:
    department_ids = [state.new_id(12) for _ in DEPARTMENTS]
    for department_id, name in zip(department_ids, DEPARTMENTS, strict=True):
        staff = sum(1 for _, index in AGENTS if DEPARTMENTS[index] == name)
        state.departments[department_id] = {
            "department_id": department_id,
            "department_name": name,
            "department_email": name.lower().replace(" ", "-") + f"@{DOMAIN}",
            "department_agents": str(staff),
        }
    for name in CATEGORIES:
        category_id = state.new_id(10)
        state.categories[category_id] = {"category_id": category_id, "category_name": name}
    for name, _ in AGENTS:
        agent_id = state.new_id(12)
        email = name.lower().replace(" ", ".") + f"@{DOMAIN}"
        state.agents[agent_id] = {"agent_id": agent_id, "agent_name": name, "agent_email": email}


def _past(state: State, *, min_days: int = 1) -> dt.datetime:
    """A working-hours moment between `min_days` and HISTORY_DAYS days ago."""
    day = state.now() - dt.timedelta(days=state.random.randint(min_days, HISTORY_DAYS))
    return day.replace(
        hour=state.random.randint(8, 18),
        minute=state.random.randint(0, 59),
        second=state.random.randint(0, 59),
    )


def _pick(state: State, items: Sequence[str]) -> str:
    return state.random.choice(items)


def _tickets(state: State) -> None:
    agents = list(state.agents.values())
    departments = list(state.departments)
    for index in range(10):
        status, shape = TICKET_SHAPES[index % len(TICKET_SHAPES)]
        name, email, _ = CUSTOMERS[index % len(CUSTOMERS)]
        subject, message = TICKET_THREADS[index % len(TICKET_THREADS)]
        moment = _past(state, min_days=3)
        ticket = state.add_ticket(
            department_id=_pick(state, departments),
            sender_name=name,
            sender_email=email,
            subject=subject,
            message=message,
            moment=moment,
        )
        if index % 3 == 0:
            first = state.conversations[ticket["ticket_id"]][0]
            first["files"] = f"{FILES_URL}/{ticket['ticket_id']}/screenshot.png"
        for step, author in enumerate(shape[1:], start=1):
            when = moment + dt.timedelta(hours=5 * step, minutes=state.random.randint(0, 50))
            agent = state.random.choice(agents) if author == "agent" else None
            state.add_reply(ticket, REPLIES[author], when, agent)
        ticket["ticket_status"] = status


def _calls(state: State) -> None:
    departments = list(state.departments)
    categories = list(state.categories)
    records = []
    for _ in range(30):
        call_id = state.new_id(12)
        answered = state.random.random() < 0.85
        records.append(
            {
                "call_id": call_id,
                "datetime": stamp(_past(state)),
                "direction": "Incoming" if state.random.random() < 0.7 else "Outgoing",
                "category": _pick(state, categories),
                "duration": str(state.random.randint(25, 900) if answered else 0),
                "caller": _pick(state, [phone for _, _, phone in CUSTOMERS]),
                "recording_url": f"{RECORDINGS_URL}/{call_id}.mp3" if answered else "",
                "department_id": _pick(state, departments),
            }
        )
    state.calls.extend(sorted(records, key=lambda record: record["datetime"]))


def _chats(state: State) -> None:
    departments = list(state.departments)
    for index in range(15):
        name, email, phone = CUSTOMERS[index % len(CUSTOMERS)]
        moment = stamp(_past(state))
        state.chats.append(
            {
                "chat_id": state.new_id(12),
                "datetime": moment,
                "chat_status": "Engaged" if state.random.random() < 0.6 else "Waiting",
                "visitor_name": name,
                "visitor_email": email,
                "visitor_phone": phone if index % 2 else "",
                "department_id": _pick(state, departments),
            }
        )
        channel = MESSENGER_CHANNELS[index % len(MESSENGER_CHANNELS)]
        state.messengers.append(
            {
                "messanger_id": state.new_id(12),
                "datetime": moment,
                "chat_status": "Engaged" if state.random.random() < 0.6 else "Waiting",
                "visitor_name": name,
                "channel": channel,
                "visitor_phone": phone if channel in ("whatsapp", "telegram") else "",
                "department_id": _pick(state, departments),
            }
        )
    state.chats.sort(key=lambda record: record["datetime"])
    state.messengers.sort(key=lambda record: record["datetime"])


def _meetings(state: State) -> None:
    for title, status in MEETINGS:
        state.add_meeting(title, _pick(state, list(state.agents)), _past(state), status)


def _contacts(state: State) -> None:
    group_ids = []
    for name in CONTACT_GROUPS:
        group_id = state.new_id(10) + "=="
        state.contact_groups[group_id] = {"name": name, "group_id": group_id}
        group_ids.append(group_id)
    for index, (name, email, phone) in enumerate(CUSTOMERS):
        state.add_contact(name, email, phone, group_ids[index % 2] if index < 5 else "")
