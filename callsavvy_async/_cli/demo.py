"""`callsavvy demo`: the three uses of the SDK against an in-process sandbox, no account
and no network needed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import anyio
import typer
from rich.console import Console
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from callsavvy_async import AsyncCallsavvy
from callsavvy_async._cli import render
from callsavvy_async._cli.app import app
from callsavvy_async._cli.progress import send_progress
from callsavvy_async._cli.report import report_table
from callsavvy_async._cli.runner import errors
from callsavvy_async._samples import EVENT_NAMES
from callsavvy_async.sandbox import Sandbox
from callsavvy_async.webhooks import (
    CallerInfoReply,
    CallerInformation,
    CallSummary,
    ChatbotCallback,
    NewChat,
    NewTicketOpened,
    TicketEscalated,
    WebhookApp,
)

__all__ = ["demo"]

console = Console()
DEMO_RECIPIENTS = 5_000


def demo_recipients(count: int) -> Iterator[str]:
    """Generated numbers in mixed formats, with a few repeats and a few bad ones."""
    for n in range(count):
        yield f"+44 7700 {n:06d}" if n % 2 else f"0044-7700-{n:06d}"
        if n % 1000 == 0:
            yield f"+447700{n:06d}"
        if n % 2500 == 0:
            yield "07700 900123"


async def show_account(cs: AsyncCallsavvy) -> None:
    console.print(Rule("1. Your account"))
    console.print(render.pairs("cs.account.summary()", await cs.account.summary()))
    width = console.width
    console.print(render.table("cs.departments.list()", await cs.departments.list(), width=width))
    console.print(render.table("cs.agents.list()", (await cs.agents.list())[:3], width=width))


async def show_tickets(cs: AsyncCallsavvy) -> None:
    console.print(Rule("2. Tickets"))
    department = (await cs.departments.list())[1]
    agent = (await cs.agents.list())[0]
    ticket = await cs.tickets.create(
        department_id=department.department_id,
        sender_name="Jane Roe",
        sender_email="jane@example.com",
        subject="Where is my order?",
        message="I ordered last week and have heard nothing.",
    )
    reply = await cs.tickets.reply(
        ticket.ticket_id, message="It ships today, sorry for the wait.", agent_id=agent.agent_id
    )
    console.print(f"created ticket {ticket.ticket_id}; after the reply it is: {reply.new_status}")
    conversation = await cs.tickets.conversation(ticket.ticket_id)
    columns = ("datetime", "from_agent", "agent_name", "message")
    console.print(
        render.table("cs.tickets.conversation()", conversation, columns, width=console.width)
    )


async def show_bulk(cs: AsyncCallsavvy, sandbox: Sandbox) -> None:
    console.print(Rule(f"3. One WhatsApp message to {DEMO_RECIPIENTS:,} recipients"))
    with send_progress(errors, errors.is_terminal) as on_progress:
        on_progress.set_total(sum(1 for _ in demo_recipients(DEMO_RECIPIENTS)))
        report = await cs.whatsapp.send_bulk(
            "demo-channel",
            demo_recipients(DEMO_RECIPIENTS),
            "Our sale starts today!",
            concurrency=16,
            on_progress=on_progress,
        )
    console.print(report_table(report))
    unique = len({entry.recipient for entry in sandbox.ledger if entry.channel == "whatsapp"})
    console.print(
        f"{report.batches} requests of at most 30; the sandbox ledger holds {unique:,} distinct "
        "recipients, each messaged once"
    )


def demo_webhooks(dispatched: dict[str, str]) -> WebhookApp:
    webhooks = WebhookApp()

    @webhooks.on(CallerInformation)
    async def who(event: CallerInformation) -> CallerInfoReply:
        dispatched[event.event] = f"caller {event.caller_number}"
        return CallerInfoReply(caller_name="Jane Roe", customer_info="Gold customer")

    @webhooks.on(ChatbotCallback)
    async def bot(event: ChatbotCallback) -> str:
        dispatched[event.event] = f"asked {event.original_message!r}"
        return "<p>We are open 9am to 5pm.</p>"

    def note(event: Any) -> None:
        dispatched[event.event] = "\n".join(
            f"{k}={v}" for k, v in render.plain(event).items() if k != "event" and v
        )

    for event_type in (CallSummary, NewTicketOpened, TicketEscalated, NewChat):
        webhooks.on(event_type)(note)
    return webhooks


async def show_webhooks(sandbox: Sandbox) -> None:
    console.print(Rule("4. Webhooks: the sandbox fires each event at a WebhookApp"))
    dispatched: dict[str, str] = {}
    webhooks = demo_webhooks(dispatched)
    table = Table(title="events", title_justify="left")
    table.add_column("event", no_wrap=True)
    table.add_column("HTTP", no_wrap=True)
    table.add_column("handler saw", ratio=3, overflow="fold")
    table.add_column("answer", ratio=2)
    for name in EVENT_NAMES:
        response = await sandbox.emit(name, webhooks)
        answer = Text(_readable(response.text))
        table.add_row(name, str(response.status_code), Text(dispatched.get(name, "")), answer)
    console.print(table)


def _readable(body: str) -> str:
    """A JSON answer with spaces after its separators, so a narrow column wraps it
    between fields rather than inside one."""
    try:
        return json.dumps(json.loads(body), ensure_ascii=False, separators=(", ", ": "))
    except ValueError:
        return body


async def run_demo() -> None:
    sandbox = Sandbox(seed=1)
    async with sandbox.client(max_connections=16) as cs:
        await show_account(cs)
        await show_tickets(cs)
        await show_bulk(cs, sandbox)
    await show_webhooks(sandbox)
    console.print(Rule("done"))
    console.print(
        "Everything ran against callsavvy_async.sandbox: use Sandbox().client() in your own "
        "tests, or `callsavvy sandbox --port 8000` to serve it."
    )


@app.command()
def demo() -> None:
    """Try everything on an in-memory sandbox: no account, no network."""
    anyio.run(run_demo)
    raise typer.Exit(0)
