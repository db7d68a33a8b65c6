"""Bad arguments raise InvalidRequestError before any request is made."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import pytest
import respx

from callsavvy_async import AsyncCallsavvy, InvalidRequestError

pytestmark = pytest.mark.anyio

SECRET = "sk-validation-secret"
Call = Callable[[AsyncCallsavvy], Awaitable[Any]]


@pytest.fixture
def api() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=False) as router:
        yield router


@pytest.fixture
async def cs() -> AsyncIterator[AsyncCallsavvy]:
    async with AsyncCallsavvy(public_key="pk", private_key=SECRET) as client:
        yield client


BAD_CALLS: dict[str, tuple[Call, str]] = {
    "31 whatsapp recipients": (
        lambda cs: cs.whatsapp.send("uid", [f"+44798998{i:04d}" for i in range(31)], "hi"),
        "at most 30",
    ),
    "malformed number": (lambda cs: cs.sms.send("+44 79 abc", "hi"), "recipient"),
    "number without country code": (lambda cs: cs.sms.send("07989987123", "hi"), "recipient"),
    "too short number": (lambda cs: cs.sms.send("+4412", "hi"), "recipient"),
    "no recipients": (lambda cs: cs.sms.send([], "hi"), "recipients"),
    "empty message": (lambda cs: cs.sms.send("+447989987123", ""), "message"),
    "blank whatsapp message": (
        lambda cs: cs.whatsapp.send("uid", "+447989987123", "   "),
        "message",
    ),
    "missing uid": (lambda cs: cs.whatsapp.send("", "+447989987123", "hi"), "uid"),
    "contact without email and phone": (lambda cs: cs.contacts.create("John"), "email or a phone"),
    "contact with bad email": (lambda cs: cs.contacts.create("John", email="nope"), "email"),
    "unknown call_type": (
        lambda cs: cs.robocalls.send("+447989987123", "hi", call_type="Video", duration=1),  # type: ignore[arg-type]
        "call_type",
    ),
    "zero duration": (
        lambda cs: cs.robocalls.send("+447989987123", "hi", call_type="Text-2-Speech", duration=0),
        "duration",
    ),
    "fractional duration": (
        lambda cs: cs.robocalls.send(
            "+447989987123",
            "hi",
            call_type="Text-2-Speech",
            duration="1.5",  # type: ignore[arg-type]
        ),
        "duration",
    ),
    "bad period": (lambda cs: cs.calls.list(period="last week"), "period"),
    "impossible date": (lambda cs: cs.tickets.list(period="2024-02-30"), "real date"),
    "bad response_date": (
        lambda cs: cs.tickets.reply("t1", message="x", response_date="tomorrow"),
        "response_date",
    ),
    "empty ticket id": (lambda cs: cs.tickets.conversation(""), "ticket_id"),
    "missing ticket subject": (
        lambda cs: cs.tickets.create(
            department_id="d", sender_name="n", sender_email="e@x.y", subject="", message="m"
        ),
        "subject",
    ),
    "empty meeting title": (lambda cs: cs.meetings.create(""), "title"),
    "response_date with a timezone": (
        lambda cs: cs.tickets.reply(
            "t1", message="x", response_date=dt.datetime(2024, 3, 1, 12, tzinfo=dt.UTC)
        ),
        "naive datetime",
    ),
    "period with a timezone": (
        lambda cs: cs.tickets.list(period=dt.datetime(2024, 3, 1, tzinfo=dt.UTC)),
        "naive datetime",
    ),
    "lone surrogate in a message": (lambda cs: cs.sms.send("+447989987123", "\ud800"), "message"),
    "lone surrogate in a title": (lambda cs: cs.meetings.create("Standup \udcff"), "title"),
    "recipients of the wrong type": (lambda cs: cs.sms.send(None, "hi"), "recipients"),  # type: ignore[arg-type]
    "infinite duration": (
        lambda cs: cs.robocalls.send(
            "+447989987123",
            "hi",
            call_type="Text-2-Speech",
            duration=float("inf"),  # type: ignore[arg-type]
        ),
        "duration",
    ),
    "duration of 5,000 digits": (
        lambda cs: cs.robocalls.send(
            "+447989987123", "hi", call_type="Text-2-Speech", duration=10**5000
        ),
        "duration",
    ),
    "meeting id of 5,000 digits": (lambda cs: cs.meetings.get(10**5000), "meeting_id"),  # type: ignore[arg-type]
    "bulk recipients of the wrong type": (lambda cs: cs.sms.send_bulk(None, "hi"), "recipients"),  # type: ignore[arg-type]
    "lone surrogate in a bulk message": (
        lambda cs: cs.sms.send_bulk(["+447989987123"], "hi \ud800"),
        "message",
    ),
}


@pytest.mark.parametrize("name", sorted(BAD_CALLS))
async def test_rejected_before_any_request(
    api: respx.MockRouter, cs: AsyncCallsavvy, name: str
) -> None:
    call, word = BAD_CALLS[name]
    with pytest.raises(InvalidRequestError, match=word) as info:
        await call(cs)
    assert isinstance(info.value, ValueError)
    assert SECRET not in str(info.value)
    assert api.calls.call_count == 0


def test_period_formats() -> None:
    from callsavvy_async.resources._base import format_period

    assert format_period(dt.date(2024, 3, 1)) == "2024-03-01"
    assert format_period(dt.datetime(2024, 3, 1, 9, 5, 7)) == "2024-03-01 09:05:07"
    assert format_period(dt.datetime(2024, 3, 1, 9, 5), date_only=True) == "2024-03-01"
    assert format_period("2024-03") == "2024-03"
    assert format_period(" 2024-03-01 ") == "2024-03-01"
    assert format_period(None) is None
