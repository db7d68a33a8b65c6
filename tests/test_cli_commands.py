"""The read, embed, trigger and sandbox commands as a user meets them: --version, help
text, exit codes, options that would do nothing, tables and empty lists."""

from __future__ import annotations

import io
import re
import sys
from typing import Any

import anyio
import pytest
from rich.console import Console

from callsavvy_async import __version__
from callsavvy_async._cli import render
from callsavvy_async.embed import THEME_COLOURS
from callsavvy_async.sandbox import Sandbox
from callsavvy_async.webhooks import CallSummary, WebhookApp
from tests.cli_helpers import KEYS, assert_one_line_error, callsavvy, invoke, served_sandbox

COMMANDS = [
    [],
    ["summary"],
    ["list"],
    ["embed"],
    ["demo"],
    ["sandbox"],
    ["trigger"],
    ["send"],
    ["send", "whatsapp"],
    ["send", "sms"],
    ["send", "robocall"],
]


def test_version() -> None:
    result = invoke("--version")
    assert result.exit_code == 0
    assert result.stdout.strip() == f"callsavvy {__version__}"


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "callsavvy")
def test_help_has_no_bool_placeholders_and_options_name_their_values(command: list[str]) -> None:
    result = invoke(*command, "--help")
    assert result.exit_code == 0, result.output
    assert "<bool>" not in result.stdout
    options = [line for line in result.stdout.splitlines() if line.lstrip().startswith("-")]
    assert not [line for line in options if re.search(r"<[a-z ]+>", line)], result.stdout


def test_list_help_reads_its_choices() -> None:
    help_text = " ".join(invoke("list", "--help").stdout.split())
    assert "What to list: departments, categories, agents, tickets, calls, chats, " in help_text
    assert "departments|categories" not in help_text


def test_an_unknown_list_target_names_the_ones_that_exist() -> None:
    result = invoke("list", "ticket", env=KEYS)
    assert_one_line_error(result, 2)
    assert "cannot list 'ticket'; choose one of: departments, categories" in result.stderr
    assert "contact-groups" in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["summary"],
        ["list", "agents"],
        ["list", "tickets", "--period", "2024-03"],
        ["send", "sms", "-m", "hi", "--to", "+447700900001"],
    ],
)
def test_refused_keys_exit_3_on_every_api_command(args: list[str]) -> None:
    with served_sandbox() as (box, env):
        result = invoke(*args, env={**env, "CALLSAVVY_PRIVATE_KEY": "not-the-key"})
    assert_one_line_error(result, 3)
    assert "Invalid API credentials" in result.stderr
    assert box.ledger == []


def test_an_api_error_exits_1() -> None:
    sb = Sandbox()
    sb.inject("getAgents", server_error_rate=1.0)
    with served_sandbox(sb) as (_, env):
        result = invoke("list", "agents", "--base-url", env["CALLSAVVY_BASE_URL"], env=KEYS)
    assert_one_line_error(result, 1)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["list", "contacts", "--period", "2024-03"], "--period applies only to tickets"),
        (["embed", "chat", "--department", "d1"], "--department applies only to the call"),
        (["embed", "chat", "--color", "notacolor"], "choose one of: " + ", ".join(THEME_COLOURS)),
        (["embed", "banner"], "unknown widget 'banner'"),
        (
            ["trigger", "callSummary", "--url", "http://127.0.0.1:9/", "--set", "nokeyvalue"],
            "key=value",
        ),
        (["trigger", "callSummary", "--url", "http://127.0.0.1:9/", "--set", "=7"], "key=value"),
    ],
)
def test_options_that_would_do_nothing_exit_2(args: list[str], message: str) -> None:
    result = invoke(*args, env={**KEYS, "CALLSAVVY_BASE_URL": "http://127.0.0.1:9/v1"})
    assert_one_line_error(result, 2)
    assert message in result.stderr


def test_embed_call_takes_a_department_and_any_listed_colour() -> None:
    result = invoke("embed", "call", "--department", "d1", "--color", "blue", "--public-key", "pk")
    assert result.exit_code == 0, result.output
    assert "call/pk?p&d=d1&c=Ymx1ZQ%3D%3D" in result.stdout


def test_an_empty_list_says_so() -> None:
    with served_sandbox() as (_, env):
        tickets = invoke("list", "tickets", "--period", "1999-01", env=env)
        meetings = invoke("list", "meetings", "--period", "1999-01", env=env)
    assert tickets.exit_code == 0, tickets.output
    assert tickets.stdout.strip() == "No tickets."
    assert meetings.stdout.strip() == "No meetings."


def rendered(renderable: Any, width: int) -> str:
    out = io.StringIO()
    Console(file=out, width=width).print(renderable)
    return out.getvalue()


@pytest.mark.parametrize("width", [60, 80, 100])
@pytest.mark.parametrize("what", ["tickets", "calls", "chats", "meetings", "agents"])
def test_tables_never_cut_an_id_or_a_date(what: str, width: int) -> None:
    async def rows() -> list[Any]:
        async with Sandbox().client() as cs:
            return list(await getattr(cs, what).list())

    records = anyio.run(rows)
    text = rendered(render.listing(what, records, width), width)
    assert max(len(line) for line in text.splitlines()) <= width
    first = render.plain(records[0])
    id_field = next(name for name in first if name.endswith("_id"))
    for record in records:
        assert render.plain(record)[id_field] in text
    if "datetime" in first and "datetime" not in text.split("Not shown")[-1]:
        assert all(render.plain(r)["datetime"] in text for r in records)
    if "Not shown" in text:
        assert "--json shows every field" in " ".join(text.split())


def test_sandbox_help_says_what_the_faults_and_the_webhooks_do() -> None:
    help_text = " ".join(invoke("sandbox", "--help").stdout.split())
    assert "answered 500, 502 or 503 before processing" in help_text
    assert "newTicketOpened after each createTicket" in help_text
    assert "callSummary for each robocall recipient after sendRobocall" in help_text
    assert "/_sandbox/ledger" in help_text


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def mounted(kind: str, webhooks: WebhookApp) -> Any:
    if kind == "fastapi":
        from fastapi import FastAPI

        api = FastAPI()
        api.mount("/hooks", webhooks)
        return api
    from starlette.applications import Starlette
    from starlette.routing import Mount

    return Starlette(routes=[Mount("/hooks", webhooks)])


@pytest.mark.anyio
@pytest.mark.parametrize("kind", ["starlette", "fastapi"])
async def test_trigger_reports_a_redirect_and_where_to_point_instead(kind: str) -> None:
    from tests.test_webhooks_servers import uvicorn_server

    webhooks = WebhookApp(token="s3cret")
    seen: list[CallSummary] = []
    webhooks.on(CallSummary)(seen.append)
    async with uvicorn_server(mounted(kind, webhooks)) as (url, _):
        redirected = await anyio.to_thread.run_sync(
            lambda: callsavvy("trigger", "callSummary", "--url", f"{url}/hooks?token=s3cret")
        )
        direct = await anyio.to_thread.run_sync(
            lambda: callsavvy("trigger", "callSummary", "--url", f"{url}/hooks/?token=s3cret")
        )
    assert redirected.returncode == 1
    assert "HTTP 307" in redirected.stdout
    assert f"point the webhook URL at {url}/hooks/ (with the same query) instead" in (
        redirected.stderr.replace("\n", "")
    )
    assert "s3cret" not in redirected.stderr
    assert direct.returncode == 0, direct.stderr
    assert len(seen) == 1


@pytest.mark.anyio
async def test_the_sandbox_logs_a_redirected_webhook(caplog: pytest.LogCaptureFixture) -> None:
    from tests.test_webhooks_servers import uvicorn_server

    webhooks = WebhookApp(token="s3cret")
    async with uvicorn_server(mounted("starlette", webhooks)) as (url, _):
        sb = Sandbox(webhook_target=f"{url}/hooks?token=s3cret")
        async with sb.client() as cs:
            department = (await cs.departments.list())[0].department_id
            await cs.tickets.create(
                department_id=department,
                sender_name="Jane",
                sender_email="jane@example.com",
                subject="Hello",
                message="Hi",
            )
    warnings = [r.getMessage() for r in caplog.records if r.name == "callsavvy_async.sandbox"]
    assert len(warnings) == 1
    assert "webhook newTicketOpened not delivered" in warnings[0]
    assert f"point the webhook URL at {url}/hooks/ (with the same query)" in warnings[0]
    assert "s3cret" not in warnings[0]


def test_python_dash_m_runs_the_command() -> None:
    result = callsavvy("--version")
    assert result.returncode == 0
    assert sys.executable
    assert result.stdout.strip() == f"callsavvy {__version__}"


def test_the_demo_reads_well_at_100_columns() -> None:
    result = callsavvy("demo", env={"COLUMNS": "100"})
    assert result.returncode == 0, result.stderr
    assert max(len(line) for line in result.stdout.splitlines()) <= 100
    assert '"caller_name": "Jane Roe",' in result.stdout
    assert "<p>We are open 9am to 5pm.</p>" in result.stdout
    assert "…" not in result.stdout.split("4. Webhooks")[1]
