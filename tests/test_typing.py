"""mypy --strict types the per-request options, the raw views and the sync client: a
misspelt option or a wrong argument is a type error, and a raw method returns RawResponse
of the model."""

from __future__ import annotations

import textwrap
from pathlib import Path

from mypy import api

SNIPPET = textwrap.dedent(
    """
    from callsavvy_async import AsyncCallsavvy, Callsavvy

    async def main(cs: AsyncCallsavvy) -> None:
        reveal_type(await cs.with_raw_response.account.summary(timeout=2.0))
        reveal_type((await cs.with_raw_response.contacts.delete("c1")).parse())
        await cs.tickets.list(period="2026-01", extra_headers={"X-Trace": "t"})
        await cs.account.summary(timeot=2.0)
        await cs.with_raw_response.sms.send("+447700900123", "hi", extra_body=3)

    def sync(sc: Callsavvy) -> None:
        reveal_type(sc.account.summary())
        reveal_type(sc.with_raw_response.agents.list())
        sc.sms.send_bulk(["+447700900123"], "hi", concurency=3)
    """
)


def test_options_and_raw_views_are_typed(tmp_path: Path) -> None:
    path = tmp_path / "snippet.py"
    path.write_text(SNIPPET)
    out, err, status = api.run(
        ["--strict", "--no-incremental", "--follow-imports=silent", str(path)]
    )
    lines = [line.split(": ", 1)[1] for line in out.splitlines() if ": " in line]
    assert status == 1, err
    raw_summary = (
        "callsavvy_async._pipeline._raw.RawResponse[callsavvy_async.models.AccountSummary]"
    )
    assert f'note: Revealed type is "{raw_summary}"' in lines
    assert 'note: Revealed type is "str"' in lines
    assert 'note: Revealed type is "callsavvy_async.models.AccountSummary"' in lines
    raw_agents = "callsavvy_async._pipeline._raw.RawResponse[list[callsavvy_async.models.Agent]]"
    assert f'note: Revealed type is "{raw_agents}"' in lines
    errors = [line for line in lines if line.startswith("error:")]
    assert len(errors) == 3, out
    assert 'Unexpected keyword argument "timeot"' in errors[0]
    assert "extra_body" in errors[1]
    assert 'Unexpected keyword argument "concurency"' in errors[2]
