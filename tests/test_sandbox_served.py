"""The sandbox served by a real uvicorn on 127.0.0.1 and called over a socket."""

from __future__ import annotations

import pytest

from callsavvy_async import AsyncCallsavvy, OutcomeUnknownError
from callsavvy_async.sandbox import TEST_PRIVATE_KEY, TEST_PUBLIC_KEY, Sandbox, serving

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def test_served_on_loopback() -> None:
    sb = Sandbox()
    async with serving(sb) as base_url:
        assert base_url.startswith("http://127.0.0.1:")
        async with AsyncCallsavvy(
            public_key=TEST_PUBLIC_KEY, private_key=TEST_PRIVATE_KEY, base_url=base_url
        ) as cs:
            summary = await cs.account.summary()
            result = await cs.whatsapp.send("uid", ["+447989987123", "+447989987124"], "hi")
            sb.inject("sendSMS", lost_answer_rate=1.0)
            with pytest.raises(OutcomeUnknownError):
                await cs.sms.send("+447989987125", "hi")
    assert summary.account_status == "Active"
    assert result.status in {"sent", "queued"}
    assert [e.recipient for e in sb.ledger] == ["+447989987123", "+447989987124", "+447989987125"]
