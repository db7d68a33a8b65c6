"""The `callsavvy` command, in-process (CliRunner) and as a real process against a sandbox
served on 127.0.0.1."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import anyio
import pytest

from callsavvy_async._cli.main import app
from callsavvy_async.sandbox import TEST_PRIVATE_KEY, Sandbox, serving
from callsavvy_async.webhooks import CallSummary, WebhookApp
from tests.cli_helpers import (
    KEYS,
    assert_one_line_error,
    callsavvy,
    free_port,
    report_rows,
    runner,
)


def test_help_lists_the_commands() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("demo", "sandbox", "send", "summary", "list", "trigger", "embed"):
        assert command in result.output


def test_demo_runs_everything_offline() -> None:
    result = callsavvy("demo")
    assert result.returncode == 0, result.stderr
    for words in ("Your account", "Tickets", "5,000 recipients", "Webhooks", "chatbotCallback"):
        assert words in result.stdout
    assert "each messaged once" in result.stdout


def test_missing_keys_exit_2_naming_the_variables() -> None:
    result = callsavvy("summary")
    assert result.returncode == 2
    assert "CALLSAVVY_PUBLIC_KEY" in result.stderr
    assert "CALLSAVVY_PRIVATE_KEY" in result.stderr


def test_embed_prints_the_snippet() -> None:
    result = runner.invoke(app, ["embed", "chat", "--color", "green", "--public-key", "pk_1"])
    assert result.exit_code == 0
    assert "https://plugin.getcallsavvy.com/chat/pk_1?p&c=Z3JlZW4%3D" in result.output


def test_unreadable_and_empty_recipient_files_are_named(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    for path in (empty, tmp_path / "missing.csv"):
        result = runner.invoke(
            app,
            ["send", "whatsapp", "--uid", "u", "-m", "hi", "-f", str(path)],
            env=KEYS,
        )
        assert result.exit_code == 2
        assert str(path) in result.output


def test_dry_run_reads_and_sends_nothing(tmp_path: Path) -> None:
    path = tmp_path / "list.txt"
    path.write_text("+447700900001\n+447700900002\n+447700900001\nbad\n")
    result = runner.invoke(app, ["send", "sms", "-m", "hi", "-f", str(path), "--dry-run"], env=KEYS)
    assert result.exit_code == 0
    assert "nothing sent" in result.output
    assert report_rows(result.output) == {
        "read": "4",
        "valid": "2",
        "invalid": "1",
        "duplicate": "1",
        "batches": "1",
    }


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.anyio
async def test_send_from_csv_with_journal_then_rerun_sends_nothing(tmp_path: Path) -> None:
    numbers = [f"+4477009{n:05d}" for n in range(1_234)]
    csv_file = tmp_path / "recipients.csv"
    csv_file.write_text("name,phone\n" + "".join(f"P{i},{n}\n" for i, n in enumerate(numbers)))
    journal = tmp_path / "job.sqlite"
    sb = Sandbox()
    async with serving(sb) as base_url:
        env = {**KEYS, "CALLSAVVY_BASE_URL": base_url}
        args = ("send", "whatsapp", "--uid", "u1", "-m", "Hello", "-f", str(csv_file))
        args += ("--journal", str(journal), "--concurrency", "8")
        first = await anyio.to_thread.run_sync(lambda: callsavvy(*args, env=env))
        again = await anyio.to_thread.run_sync(lambda: callsavvy(*args, env=env))
        summary = await anyio.to_thread.run_sync(lambda: callsavvy("summary", "--json", env=env))
        listed = await anyio.to_thread.run_sync(
            lambda: callsavvy("list", "contact-groups", "--json", env=env)
        )
    assert first.returncode == 0, first.stderr
    first_rows, again_rows = report_rows(first.stdout), report_rows(again.stdout)
    assert int(first_rows["sent"]) + int(first_rows["queued"]) == 1_234
    assert first_rows["read"] == "1234"
    assert again.returncode == 0
    assert (again_rows["skipped"], again_rows["sent"], again_rows["batches"]) == ("1234", "0", "0")
    assert Counter(e.recipient for e in sb.ledger) == Counter(numbers)
    assert json.loads(summary.stdout)["account_status"] == "Active"
    async with sb.client() as cs:
        groups = await cs.contact_groups.list()
    assert [g["group_id"] for g in json.loads(listed.stdout)] == [g.group_id for g in groups]
    assert TEST_PRIVATE_KEY not in first.stdout + first.stderr + summary.stdout


@pytest.mark.anyio
async def test_failed_or_unknown_sends_exit_1() -> None:
    sb = Sandbox()
    sb.inject("sendSMS", server_error_rate=1.0)
    async with serving(sb) as base_url:
        env = {**KEYS, "CALLSAVVY_BASE_URL": base_url}
        result = await anyio.to_thread.run_sync(
            lambda: callsavvy("send", "sms", "-m", "hi", "--to", "+447700900001", env=env)
        )
    assert result.returncode == 1
    assert report_rows(result.stdout)["unknown"] == "1"


@pytest.mark.anyio
async def test_trigger_posts_into_a_running_webhook_app() -> None:
    from tests.test_webhooks_servers import uvicorn_server

    webhooks = WebhookApp(token="tok")
    seen: list[CallSummary] = []
    webhooks.on(CallSummary)(seen.append)
    async with uvicorn_server(webhooks) as (url, _):
        result = await anyio.to_thread.run_sync(
            lambda: callsavvy(
                "trigger", "callSummary", "--url", f"{url}/?token=tok", "--set", "call_duration=7"
            )
        )
        denied = await anyio.to_thread.run_sync(
            lambda: callsavvy("trigger", "callSummary", "--url", f"{url}/")
        )
    assert result.returncode == 0, result.stderr
    assert "HTTP 200" in result.stdout
    assert [e.call_duration for e in seen] == [7]
    assert denied.returncode == 3
    assert "HTTP 401" in denied.stdout
    assert "refused" in denied.stderr


def test_sandbox_command_serves_on_loopback() -> None:
    port = free_port()
    command = [sys.executable, "-m", "callsavvy_async", "sandbox", "--port", str(port)]
    with subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) as process:
        try:
            env = {**KEYS, "CALLSAVVY_BASE_URL": f"http://127.0.0.1:{port}/v1"}
            result: Any = None
            for _ in range(100):
                result = callsavvy("list", "agents", "--json", env=env)
                if result.returncode == 0:
                    break
                anyio.run(anyio.sleep, 0.1)
            assert result.returncode == 0, result.stderr
            agents = json.loads(result.stdout)
            assert agents
            assert all(agent["agent_id"] and agent["agent_email"] for agent in agents)
        finally:
            process.terminate()
            process.wait(timeout=10)


@pytest.mark.parametrize(
    ("args", "env"),
    [
        (["summary", "--base-url", "notaurl"], KEYS),
        (["list", "agents", "--base-url", "ftp://example.com/v1"], KEYS),
        (
            ["send", "sms", "-m", "hi", "--to", "+447700900001"],
            {**KEYS, "CALLSAVVY_PRIVATE_KEY": "k\n"},
        ),
        (["send", "sms", "-m", "hi", "--to", "+447700900001", "--base-url", "notaurl"], KEYS),
    ],
)
def test_malformed_key_or_base_url_exits_2(args: list[str], env: dict[str, str]) -> None:
    assert_one_line_error(runner.invoke(app, args, env=env), 2)


@pytest.mark.parametrize(
    "content",
    [
        b"+447700900001\n+447700\xe9900002\n",
        b"\x00\x01\xff\xfe" * 4096,
        b"+447700900001\n" + b"9" * 200_000 + b"\n",
    ],
    ids=["bad-utf8", "binary", "over-field-limit"],
)
@pytest.mark.parametrize("dry_run", [[], ["--dry-run"]], ids=["send", "dry-run"])
def test_unreadable_recipients_file_exits_2_naming_the_line(
    tmp_path: Path, content: bytes, dry_run: list[str]
) -> None:
    path = tmp_path / "list.txt"
    path.write_bytes(content)
    args = [
        "send",
        "sms",
        "-m",
        "hi",
        "-f",
        str(path),
        *dry_run,
        "--base-url",
        "http://127.0.0.1:9",
    ]
    result = runner.invoke(app, args, env=KEYS)
    assert_one_line_error(result, 2)
    assert "line " in result.output
    assert "9" * 1000 not in result.output


@pytest.mark.anyio
async def test_bad_line_deep_in_a_file_prints_the_report_so_far_and_exits_1(
    tmp_path: Path,
) -> None:
    numbers = [f"+4477009{n:05d}" for n in range(20_000)]
    path = tmp_path / "list.txt"
    path.write_bytes("".join(f"{n}\n" for n in numbers).encode() + b"+44\xe9\n")
    sb = Sandbox()
    async with serving(sb) as base_url:
        env = {**KEYS, "CALLSAVVY_BASE_URL": base_url}
        result = await anyio.to_thread.run_sync(
            lambda: callsavvy("send", "sms", "-m", "hi", "-f", str(path), env=env)
        )
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert "line 20001 is not UTF-8" in result.stderr
    rows = report_rows(result.stdout)
    assert int(rows["sent"]) + int(rows["queued"]) == len(sb.ledger) > 0


@pytest.mark.parametrize(
    "args",
    [
        ["list", "tickets", "--period", "[/]"],
        ["send", "sms", "-m", "hi", "-f", "[/x]"],
        ["send", "sms", "-m", "hi", "-f", "[link=javascript:alert(1)]x[/link]"],
    ],
)
def test_user_text_in_errors_is_not_rich_markup(args: list[str]) -> None:
    result = runner.invoke(app, args, env=KEYS)
    assert_one_line_error(result, 2)
    assert args[-1] in result.output


def test_table_cells_are_not_rich_markup() -> None:
    import io

    from rich.console import Console

    from callsavvy_async._cli import render

    values = {"name": "[/]", "email": "[link=javascript:alert(1)]x[/link]", "tags": ["[b]"]}
    out = io.StringIO()
    Console(file=out, width=200, force_terminal=True).print(render.table("Contacts", [values]))
    out.write("\n")
    Console(file=out, width=200, force_terminal=True).print(render.pairs("Contact", values))
    text = out.getvalue()
    assert text.count("[/]") == 2
    assert text.count("[link=javascript:alert(1)]x[/link]") == 2
    assert "\x1b]8;" not in text


@pytest.mark.anyio
async def test_list_contacts_with_markup_in_a_name() -> None:
    sb = Sandbox()
    async with sb.client() as cs:
        await cs.contacts.create("[/]", phone="+447700900001")
    async with serving(sb) as base_url:
        env = {**KEYS, "CALLSAVVY_BASE_URL": base_url}
        result = await anyio.to_thread.run_sync(lambda: callsavvy("list", "contacts", env=env))
    assert result.returncode == 0, result.stderr
    assert "[/]" in result.stdout


def test_trigger_prints_a_content_type_with_markup(monkeypatch: pytest.MonkeyPatch) -> None:
    import httpx

    async def answer(url: str, event: str, fields: object) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": "text/plain; x=[/]"}, text="ok")

    monkeypatch.setattr("callsavvy_async._cli.serve.post_event", answer)
    result = runner.invoke(app, ["trigger", "callSummary", "--url", "http://127.0.0.1:9/"])
    assert result.exit_code == 0, result.output
    assert "HTTP 200 text/plain; x=[/]" in result.output


@pytest.mark.parametrize("url", ["http://[::1", "notaurl", "ftp://example.com/hook"])
def test_trigger_with_a_bad_url_exits_2(url: str) -> None:
    assert_one_line_error(runner.invoke(app, ["trigger", "callSummary", "--url", url]), 2)


@pytest.mark.parametrize(
    "content", [b"\n\n\r\n", b"name,phone\n", b"\xef\xbb\xbf", b"\xef\xbb\xbfphone\n\n"]
)
@pytest.mark.parametrize("dry_run", [[], ["--dry-run"]], ids=["send", "dry-run"])
def test_recipients_file_without_numbers_exits_2(
    tmp_path: Path, content: bytes, dry_run: list[str]
) -> None:
    path = tmp_path / "list.csv"
    path.write_bytes(content)
    result = runner.invoke(app, ["send", "sms", "-m", "hi", "-f", str(path), *dry_run], env=KEYS)
    assert_one_line_error(result, 2)
    assert str(path) in result.output


@pytest.mark.parametrize("to", ["", ",,,", " , "])
@pytest.mark.parametrize("dry_run", [[], ["--dry-run"]], ids=["send", "dry-run"])
def test_to_without_numbers_exits_2(to: str, dry_run: list[str]) -> None:
    result = runner.invoke(app, ["send", "sms", "-m", "hi", "--to", to, *dry_run], env=KEYS)
    assert_one_line_error(result, 2)
    assert "--to" in result.output


def test_sandbox_on_a_port_in_use_exits_2() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        result = callsavvy("sandbox", "--port", port)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1
    assert lines[0].startswith(f"error: cannot listen on 127.0.0.1:{port}: Address already in use")


def test_ctrl_c_during_a_dry_run_exits_130(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    async def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("callsavvy_async._cli.send.preview_bulk", interrupted)
    args = ["send", "sms", "-m", "hi", "--to", "+447700900001", "--dry-run"]
    result = runner.invoke(app, args, env=KEYS)
    assert result.exit_code == 130
    assert "interrupted" in result.output
