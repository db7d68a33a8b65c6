"""Every script in examples/ runs as a user would run it: a subprocess with its keys and base
URL in the environment, against a sandbox served on 127.0.0.1, within a bounded time."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import anyio.from_thread
import httpx
import pytest

from callsavvy_async import Callsavvy
from callsavvy_async.sandbox import TEST_PRIVATE_KEY, TEST_PUBLIC_KEY, Sandbox, serving
from callsavvy_async.testing import sample_body
from tests.redis_server import free_port

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
TIMEOUT = 60
TOKEN = "example-token"
# the dev install's pytest plugins the example does not use (3 s of start-up between them)
QUIET_PLUGINS = ("-p", "no:cacheprovider", "-p", "no:hypothesispytest", "-p", "no:faker")


class Served:
    """A sandbox served on a loopback port, and the environment that points code at it."""

    def __init__(self, sandbox: Sandbox, url: str) -> None:
        self.sandbox = sandbox
        self.url = url
        environment = {k: v for k, v in os.environ.items() if not k.startswith("CALLSAVVY_")}
        self.env = {
            **environment,
            "CALLSAVVY_PUBLIC_KEY": TEST_PUBLIC_KEY,
            "CALLSAVVY_PRIVATE_KEY": TEST_PRIVATE_KEY,
            "CALLSAVVY_BASE_URL": url,
        }

    def client(self) -> Callsavvy:
        return Callsavvy(
            public_key=TEST_PUBLIC_KEY, private_key=TEST_PRIVATE_KEY, base_url=self.url
        )

    def run(self, *args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, *map(str, args)],
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            env=self.env,
            cwd=cwd,
            check=False,
        )


@pytest.fixture
def served() -> Iterator[Served]:
    sandbox = Sandbox(seed=0)
    with (
        anyio.from_thread.start_blocking_portal() as portal,
        portal.wrap_async_context_manager(serving(sandbox)) as url,
    ):
        yield Served(sandbox, url)


def summary(output: str) -> dict[str, int]:
    """The counts of the example's closing line: "sent 3, queued 1, ..."."""
    line = next(line for line in output.splitlines() if line.startswith("sent "))
    return {name: int(count) for name, count in (part.split() for part in line.split(", "))}


def test_bulk_whatsapp_from_a_csv_sends_once_and_resumes(served: Served, tmp_path: Path) -> None:
    numbers = [f"+4477009{n:05d}" for n in range(70)]
    rows = ["phone", *numbers, numbers[0], "not a number"]
    customers = tmp_path / "customers.csv"
    customers.write_text("\n".join(rows) + "\n", encoding="utf-8")
    journal = tmp_path / "sale.sqlite"
    command = (EXAMPLES / "bulk_whatsapp_csv.py", customers, "--uid", "chan-1", "-m", "Sale!")

    first = served.run(*command, "--journal", journal)
    assert first.returncode == 0, first.stderr
    counts = summary(first.stdout)
    assert counts["sent"] + counts["queued"] == 70
    assert (counts["invalid"], counts["duplicate"], counts["failed"]) == (1, 1, 0)
    assert "not a number" in first.stdout  # the problem is listed with its reason
    assert sorted(entry.recipient for entry in served.sandbox.ledger) == numbers
    assert {entry.message for entry in served.sandbox.ledger} == {"Sale!"}

    again = served.run(*command, "--journal", journal)
    assert again.returncode == 0, again.stderr
    assert summary(again.stdout)["skipped"] == 70
    assert len(served.sandbox.ledger) == 70


def test_django_style_view_texts_codes_from_threads(served: Served) -> None:
    phones = ["+447700900001", "+447700900002", "07700 900003", "+447700900004"]
    result = served.run(EXAMPLES / "django_style_view.py", *phones)
    assert result.returncode == 0, result.stderr
    answers = {line["phone"]: line for line in map(json.loads, result.stdout.splitlines())}
    assert answers["+447700900001"]["status"] == 200
    assert answers["+447700900001"]["answer"]["status"] in ("sent", "queued")
    assert answers["07700 900003"]["status"] == 400
    assert "07700 900003" in answers["07700 900003"]["answer"]["error"]
    texted = sorted(entry.recipient for entry in served.sandbox.ledger)
    assert texted == ["+447700900001", "+447700900002", "+447700900004"]
    assert all(entry.message.startswith("Your code is ") for entry in served.sandbox.ledger)


def test_campaign_tests_pass_under_pytest(tmp_path: Path) -> None:
    """The example test file, copied into a project of its own, passes under pytest."""
    shutil.copy(EXAMPLES / "test_campaign.py", tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "test_campaign.py", *QUIET_PLUGINS],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "6 passed" in result.stdout


class FastAPIApp:
    """examples/fastapi_webhooks.py under uvicorn, in a process group of its own."""

    def __init__(self, served: Served) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [sys.executable, str(EXAMPLES / "fastapi_webhooks.py"), "--port", str(self.port)],
            env={**served.env, "CALLSAVVY_WEBHOOK_TOKEN": TOKEN},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )

    def wait_ready(self) -> None:
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"the app exited: {self.process.communicate()[1]}")
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        pytest.fail("the app did not start")

    def post(self, event: str, token: str = TOKEN, **fields: object) -> httpx.Response:
        content_type, body = sample_body(event, **fields)
        return httpx.post(
            f"{self.url}/hooks/?token={token}",
            content=body,
            headers={"content-type": content_type},
            timeout=10,
        )

    def stop(self) -> tuple[int, str]:
        """SIGTERM the group, as a process manager would; the exit code and stderr."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            _, stderr = self.process.communicate(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            _, stderr = self.process.communicate()
        return self.process.returncode, stderr


def test_fastapi_app_answers_webhooks_through_its_lifespan(served: Served) -> None:
    with served.client() as cs:
        cs.contacts.create("Jane Roe", email="jane@example.com", phone="+447700900456")
        department = cs.departments.list()[0].department_id
        ticket = cs.tickets.create(
            department_id=department,
            sender_name="Sam",
            sender_email="sam@example.com",
            subject="Order",
            message="Where is my order?",
        )
        app = FastAPIApp(served)
        try:
            app.wait_ready()
            known = app.post("callerInformation", caller_number="+44 7700 900456")
            stranger = app.post("callerInformation", caller_number="+447700900999")
            bot = app.post("chatbotCallback", original_message="When are you open?")
            opened = app.post("newTicketOpened", ticket_id=ticket.ticket_id)
            refused = app.post("callSummary", token="wrong")
        finally:
            code, stderr = app.stop()
        conversation = cs.tickets.conversation(ticket.ticket_id)

    assert known.json()["caller_name"] == "Jane Roe"
    assert known.json()["caller_email"] == "jane@example.com"
    assert stranger.json() == {
        "status": "success",
        "caller_name": "",
        "caller_email": "",
        "customer_info": "",
    }
    assert bot.headers["content-type"].startswith("text/html")
    assert "9am to 5pm" in bot.text
    assert opened.status_code == 200
    assert refused.status_code == 401
    assert any("we will answer within a day" in (m.message or "") for m in conversation)
    assert code in (0, -signal.SIGTERM), stderr  # uvicorn re-raises the signal it handled
    assert "Application shutdown complete" in stderr
    assert "Traceback" not in stderr
