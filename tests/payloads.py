"""Vendor-shaped answers with real values in place of the docs' placeholders."""

from __future__ import annotations

from typing import Any

PUBLIC_KEY = "TEST-hdo76HDCGAjfig4jbnyUI4734BNDY"
PRIVATE_KEY = "TEST-934HDHD84JDVBPSW73BYjegh494WD9084NFUih34-9974r"
BASE_URL = "https://api.getcallsavvy.com/v1"


def envelope(resource: str, data: Any) -> dict[str, Any]:
    return {"resource": resource, "status": "success", "data": data}


def error_envelope(resource: str, message: str) -> dict[str, Any]:
    return {"resource": resource, "status": "error", "message": message}


SUMMARY = {
    "assigned_number": "+2348012345678",
    "account_status": "Active",
    "business_id": "ab9363nd8o3h",
    "outbound_local_call_balance": "120",
    "outbound_international_call_balance": "45",
    "inbound_call_balance": "300",
    "sms_balance": "980",
}
DEPARTMENTS = [
    {
        "department_id": "dpt01",
        "department_name": "Sales",
        "department_email": "sales@example.com",
        "department_agents": "4",
    }
]
CATEGORIES = [{"category_id": "cat01", "category_name": "Billing"}]
AGENTS = [{"agent_id": "agt01", "agent_name": "Ada Obi", "agent_email": "ada@example.com"}]
TICKETS = [
    {
        "ticket_id": "tkt01",
        "datetime": "2024-03-13 15:00:48",
        "ticket_status": "Awaiting Agent Reply",
        "last_reply": "2024-03-14 09:12:00",
        "subject": "Refund",
        "sender_name": "Jane Roe",
        "sender_email": "jane@example.com",
        "department_id": "dpt01",
    }
]
TICKET_CONVERSATION = [
    {
        "conversation_id": "cnv01",
        "datetime": "2024-03-13 15:00:48",
        "message": "<p>Where is my refund?</p>",
        "from_agent": "false",
        "agent_name": "",
        "files": "https://files.example.com/a.png,https://files.example.com/b.pdf",
    },
    {
        "conversation_id": "cnv02",
        "datetime": "2024-03-14 09:12:00",
        "message": "On its way.",
        "from_agent": "true",
        "agent_name": "Ada Obi",
        "files": "",
    },
]
CREATED_TICKET = {
    "ticket_id": "tkt02",
    "subject": "Broken link",
    "sender_name": "Jane Roe",
    "sender_email": "jane@example.com",
}
TICKET_REPLY = {"conversation_id": "cnv03", "new_status": "Awaiting Customer Reply"}
CALLS = [
    {
        "call_id": "cll01",
        "datetime": "2024-03-13 15:00:48",
        "direction": "Incoming",
        "category": "cat01",
        "duration": "184",
        "caller": "+447989987123",
        "recording_url": "https://rec.example.com/cll01.mp3",
        "department_id": "dpt01",
    }
]
CHATS = [
    {
        "chat_id": "cht01",
        "datetime": "2024-03-13 15:00:48",
        "chat_status": "Engaged",
        "visitor_name": "Sam",
        "visitor_email": "sam@example.com",
        "visitor_phone": "",
        "department_id": "dpt01",
    }
]
MESSENGERS = [
    {
        "messanger_id": "msg01",
        "datetime": "2024-03-13 15:00:48",
        "chat_status": "Waiting",
        "visitor_name": "Kemi",
        "channel": "whatsapp",
        "visitor_phone": "+2348099999999",
        "department_id": "dpt01",
    }
]
SMS_RESULT = {"message_id": "bj693csvc3o3epnw", "cost": "4", "status": "sent"}
ROBOCALL_RESULT = {"message_id": "bj693csvc3o3epnx", "cost": "12", "status": "queued"}
WHATSAPP_RESULT = {"status": "sent"}
MEETINGS = [
    {
        "meeting_id": "Tj6so93csvc3o3e834",
        "title": "30 minutes call with Henry Ford",
        "datetime": "2024-03-13 15:00:48",
        "status": "Not Started",
    }
]
MEETING = {
    "meeting_id": "Tj6so93csvc3o3e834",
    "title": "30 minutes call with Henry Ford",
    "datetime": "2024-03-13 15:00:48",
    "host_agent_id": "3dv630v66v9w",
    "start_link": "https://meet.getcallsavvy.com/meeting/Tj6so93csvc3o3e834?s=dv8683vydc739gsc",
    "join_link": "https://meet.getcallsavvy.com/meeting/Tj6so93csvc3o3e834",
    "status": "Started",
}
CONTACTS = [
    {
        "contact_id": "376d03ghjsb==",
        "name": "John Doe",
        "email": "john@doe.com",
        "phone": "+1888777666",
        "group_id": "jdy93yeb0d==",
    }
]
CONTACT_GROUPS = [{"name": "Demo List One", "group_id": "jdy93yeb0d=="}]
CREATED_CONTACT = {"contact_id": "jsxvobiue==", "name": "John Doe"}
DELETED_CONTACT = {"contact_id": "jsxvobiue=="}
