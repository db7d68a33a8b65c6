"""The README as a user reads it: every Python snippet runs as pasted (against a sandbox
served on 127.0.0.1, with its keys in the environment), and the command-line section
names the commands and options `callsavvy --help` has."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

from callsavvy_async.testing import post_event
from tests.cli_helpers import clean_env, invoke, served_sandbox

README = Path(__file__).parent.parent / "README.md"
TEXT = README.read_text(encoding="utf-8")
SNIPPETS = re.findall(r"```python\n(.*?)```", TEXT, flags=re.DOTALL)
CLI_SECTION = TEXT[TEXT.index("## The `callsavvy` command") : TEXT.index("## Widget snippets")]


def snippet(marker: str) -> str:
    (found,) = [code for code in SNIPPETS if marker in code]
    return found


def run_python(path: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args, str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=path.parent,
        env=clean_env(env),
        check=False,
    )


@pytest.mark.parametrize("index", range(len(SNIPPETS)))
def test_every_python_snippet_runs_as_pasted(index: int, tmp_path: Path) -> None:
    code = SNIPPETS[index]
    (tmp_path / "customers.csv").write_text(
        "name,phone\n" + "".join(f"C{n},+44 7700 9{n:05d}\n" for n in range(75))
    )
    with served_sandbox() as (box, env):
        if "def test_" in code:
            path = tmp_path / "test_snippet.py"
            path.write_text(code)
            result = run_python(path, env, "-m", "pytest", "-q", "-p", "no:cacheprovider")
        else:
            path = tmp_path / "snippet.py"
            path.write_text(code)
            result = run_python(path, env)
    assert result.returncode == 0, result.stdout + result.stderr
    if "customers.csv" in code:
        assert len({e.recipient for e in box.ledger if e.channel == "whatsapp"}) == 75
    if "def test_" in code:
        assert re.search(r"\b[2-9] passed", result.stdout), result.stdout
        assert "failed" not in result.stdout


def test_the_client_snippet_sends_through_the_sandbox(tmp_path: Path) -> None:
    path = tmp_path / "client.py"
    path.write_text(snippet("summary.sms_balance"))
    with served_sandbox() as (box, env):
        result = run_python(path, env)
    assert result.returncode == 0, result.stderr
    assert [(e.channel, e.recipient) for e in box.ledger] == [("whatsapp", "+447989987123")]
    assert box.requests["getSummary"] == box.requests["getTickets"] == 1


def exec_snippet(marker: str) -> dict[str, Any]:
    namespace: dict[str, Any] = {"__name__": "readme_snippet"}
    exec(compile(snippet(marker), "README.md", "exec"), namespace)
    return namespace


def test_the_webhook_snippet_answers_each_event() -> None:
    module = exec_snippet("CUSTOMERS = ")
    app = module["webhooks"]

    async def deliver() -> list[httpx.Response]:
        return [
            await post_event(app, "callerInformation", path="/?token=s3cret"),
            await post_event(app, "chatbotCallback", path="/?token=s3cret"),
            await post_event(app, "callSummary", path="/?token=s3cret", call_duration="42"),
            await post_event(app, "callSummary"),
        ]

    who, bot, summary, refused = anyio.run(deliver)
    assert who.json()["caller_name"] == "Jane Roe"
    assert bot.text == "<p>We are open 9am to 5pm.</p>"
    assert summary.status_code == 200
    assert module["RECORDINGS"][-1][1] == 42
    assert refused.status_code == 401


def test_the_mount_snippet_answers_at_the_url_it_recommends() -> None:
    api = exec_snippet("api.mount(")["api"]

    async def deliver() -> tuple[httpx.Response, httpx.Response]:
        return (
            await post_event(api, "callSummary", path="/hooks/?token=s3cret"),
            await post_event(api, "callSummary", path="/hooks?token=s3cret"),
        )

    with_slash, without = anyio.run(deliver)
    assert with_slash.status_code == 200
    assert without.status_code == 307
    assert "/hooks/?token=" in snippet("api.mount(")


def commands_in_help() -> set[str]:
    names = set()
    for group in ([], ["send"]):
        help_text = invoke(*group, "--help").stdout
        listed = help_text.split("Commands:")[1]
        for line in listed.splitlines():
            if line.startswith("  ") and not line.startswith("   "):
                names.add(" ".join([*group, line.split()[0]]))
    return names - {"send"}


def test_the_readme_shows_every_command_and_only_those() -> None:
    shown = set(re.findall(r"^callsavvy (send \w+|\w+)", CLI_SECTION, flags=re.MULTILINE))
    assert shown == commands_in_help()


def test_every_option_in_help_is_in_the_readme_and_back() -> None:
    documented = set(re.findall(r"--[a-z][a-z-]+", CLI_SECTION)) - {"--appendonly", "--appendfsync"}
    in_help: set[str] = {"--help", "--version"}
    for command in commands_in_help():
        in_help |= set(
            re.findall(
                r"^\s+(?:-\w, )?(--[a-z][a-z-]+)",
                invoke(*command.split(), "--help").stdout,
                flags=re.MULTILINE,
            )
        )
    assert documented <= in_help, documented - in_help
    assert (
        in_help
        - {
            "--help",
            "--host",
            "--seed",
            "--latency",
            "--sender-id",
            "--batch-size",
            "--uid",
            "--message",
            "--recipients-file",
            "--to",
            "--call-type",
            "--duration",
            "--port",
            "--url",
            "--set",
        }
        <= documented
    ), in_help - documented


def public_exceptions() -> set[type[BaseException]]:
    import importlib
    import pkgutil

    import callsavvy_async

    found: set[type[BaseException]] = set()
    for info in pkgutil.walk_packages(callsavvy_async.__path__, "callsavvy_async."):
        if any(part.startswith("_") for part in info.name.split(".")) or "cli" in info.name:
            continue
        module = importlib.import_module(info.name)
        for name in getattr(module, "__all__", ()):
            value = getattr(module, name)
            if isinstance(value, type) and issubclass(value, Exception):
                found.add(value)
    return found


def test_every_public_exception_is_importable_from_the_package_and_in_the_readme_tree() -> None:
    import callsavvy_async

    tree = TEXT[TEXT.index("CallsavvyError\n├") :].split("```")[0]
    exported = {
        value
        for name in callsavvy_async.__all__
        if isinstance(value := getattr(callsavvy_async, name), type)
        and issubclass(value, Exception)
    }
    assert public_exceptions() <= exported
    assert {cls.__name__ for cls in exported} == set(re.findall(r"(\w+Error)\b", tree)) - {
        "ValueError"
    }
