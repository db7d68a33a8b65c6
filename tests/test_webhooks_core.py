"""The webhook core's rules from plain values, E.164 numbers on events, the background
task group's lifetime, and WebhookApp's documentation of its parameters."""

from __future__ import annotations

import inspect
import ipaddress
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import anyio
import pytest

from callsavvy_async import sandbox, testing
from callsavvy_async.testing import post_event
from callsavvy_async.webhooks import (
    CallerInformation,
    CallSummary,
    NewChat,
    Rejection,
    WebhookApp,
)
from callsavvy_async.webhooks._core import (
    Guard,
    client_address,
    declares_more_than,
    parse_event,
    token_matches,
)
from callsavvy_async.webhooks.events import EVENT_TYPES
from tests.test_webhooks import Delivery

pytestmark = pytest.mark.anyio
ROOT = Path(__file__).resolve().parent.parent


def test_guard_checks_token_then_address_from_plain_values() -> None:
    guard = Guard.from_settings(["new", "old"], ["203.0.113.0/24"], ["10.0.0.0/8"])
    assert guard.refusal(b"new", b"", "203.0.113.9", []) is None
    assert guard.refusal(None, b"a=1&token=old", "203.0.113.9", []) is None
    assert guard.refusal(b"wrong", b"", "203.0.113.9", []) == Rejection(401, "unauthorized")
    assert guard.refusal(b"new", b"", "198.51.100.1", []) == Rejection(403, "forbidden")
    assert guard.refusal(b"new", b"", "10.0.0.1", [b"203.0.113.9"]) is None
    assert guard.refusal(b"new", b"", None, []) == Rejection(403, "forbidden")
    assert Guard.from_settings(None, None, None).open


def test_an_empty_token_is_refused_at_construction() -> None:
    with pytest.raises(ValueError, match="non-empty"):
        WebhookApp(token=["ok", ""])


def test_token_matches_header_or_query() -> None:
    assert token_matches([b"s3cret"], b"s3cret", b"")
    assert token_matches([b"s3cret"], None, b"token=s3cret")
    assert not token_matches([b"s3cret"], b"", b"tokens=s3cret")
    assert not token_matches([b"s3cret"], None, b"")


@pytest.mark.parametrize(
    ("peer", "forwarded", "expected"),
    [
        ("203.0.113.7", [b"198.51.100.1"], "203.0.113.7"),  # not a proxy: header ignored
        ("10.0.0.2", [b"198.51.100.9, 203.0.113.7"], "203.0.113.7"),
        ("10.0.0.2", [b"203.0.113.7", b"10.0.0.9"], "203.0.113.7"),  # lines are one list
        ("10.0.0.2", [], "10.0.0.2"),
        ("::ffff:10.0.0.2", [b"::ffff:203.0.113.7"], "203.0.113.7"),
        ("10.0.0.2", [b"not-an-address"], None),
        ("not-an-address", [], None),
    ],
)
def test_client_address_trusts_only_proxies(
    peer: str, forwarded: list[bytes], expected: str | None
) -> None:
    proxies = [ipaddress.ip_network("10.0.0.0/8")]
    address = client_address(peer, forwarded, proxies)
    assert address == (ipaddress.ip_address(expected) if expected else None)


def test_declared_length_over_the_limit() -> None:
    assert declares_more_than(b"65537", 65536)
    assert not declares_more_than(b"65536", 65536)
    assert declares_more_than(b"9" * 400, 10**17)
    assert not declares_more_than(b"oops", 10)


@pytest.mark.parametrize(
    ("received", "e164"),
    [
        ("+44 7700 900123", "+447700900123"),
        ("0044 (0) 7700-900.123", "+447700900123"),
        ("+447700900123", "+447700900123"),
        ("anonymous", None),
        ("07700 900123", None),
    ],
)
async def test_numbers_are_kept_as_received_and_given_in_e164(
    received: str, e164: str | None
) -> None:
    app = WebhookApp()
    seen: list[Any] = []
    app.on(CallerInformation)(seen.append)
    app.on(CallSummary)(seen.append)
    app.on(NewChat)(seen.append)
    await post_event(app, "callerInformation", caller_number=received)
    await post_event(app, "callSummary", caller_number=received)
    await post_event(app, "newChat", visitor_phone=received)
    caller, summary, chat = seen
    assert (caller.caller_number, caller.caller_e164) == (received, e164)
    assert (summary.caller_number, summary.caller_e164) == (received, e164)
    assert (chat.visitor_phone, chat.visitor_e164) == (received, e164)


def test_a_chat_without_a_phone_has_no_e164() -> None:
    assert NewChat(visitor_phone=None).visitor_e164 is None


def test_one_list_of_event_names() -> None:
    assert tuple(EVENT_TYPES) == testing.EVENT_NAMES == sandbox.EVENT_NAMES


def test_the_sandbox_emits_events_without_importing_the_testing_helpers() -> None:
    script = (
        "import sys, anyio\n"
        "from callsavvy_async.sandbox import Sandbox\n"
        "from callsavvy_async.webhooks import WebhookApp\n"
        "response = anyio.run(Sandbox().emit, 'newChat', WebhookApp())\n"
        "assert response.status_code == 200, response\n"
        "assert 'callsavvy_async.testing' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True, cwd=ROOT, timeout=60)


async def test_a_background_handler_outlives_its_cancelled_request() -> None:
    """A server cancelling a request's task after the answer (a client gone) does not
    cancel its handler: it runs in the app's own task group."""
    app = WebhookApp()
    release, done = anyio.Event(), anyio.Event()

    @app.on(NewChat)
    async def slow(event: NewChat) -> None:
        await release.wait()
        done.set()

    delivery = Delivery(app, "newChat")
    with anyio.fail_after(5):
        async with app:
            async with anyio.create_task_group() as request:
                request.start_soon(delivery.run)
                await delivery.answered.wait()
                request.cancel_scope.cancel()
            release.set()
            await done.wait()
    assert delivery.status == 200


async def test_an_app_runs_once_at_a_time() -> None:
    app = WebhookApp()
    async with app:
        with pytest.raises(RuntimeError, match="already running"):
            await app.__aenter__()
        with pytest.raises(RuntimeError, match="already running"):
            async with app.running():
                pass
    async with app:  # and again once stopped
        pass


def parameters() -> list[str]:
    return [name for name in inspect.signature(WebhookApp).parameters if name != "self"]


@pytest.mark.parametrize("name", parameters())
def test_the_docstring_and_readme_cover_every_parameter(name: str) -> None:
    assert re.search(rf"^\s*{name}:", WebhookApp.__doc__ or "", flags=re.MULTILINE)
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## Webhooks") : readme.index("## Testing your code")]
    assert f"`{name}`" in section


def test_deeply_nested_json_is_named_as_such() -> None:
    deep = b'{"event": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    rejection = parse_event("application/json", deep)
    assert rejection == Rejection(400, "body is nested too deeply")
    assert parse_event("application/json", b'{"event": ') == Rejection(
        400, "body is not valid JSON"
    )
