"""CPU per call of the SDK against raw httpx doing the same work, and against the openai SDK.

All three run over the same `httpx.MockTransport`, so only the client-side pipeline is
measured: building the request, handing it to the transport, checking the envelope and
decoding the answer. Ours is the SDK's own httpx.AsyncClient on that transport; the
baseline is `httpx.AsyncClient.post()` plus `.json()`. Variants are interleaved round by
round; medians are reported.
Targets: at most 1.2x raw httpx, at most a third of the openai SDK's cost.

    python benchmarks/client_overhead.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Awaitable, Callable

import anyio
import httpx

from benchmarks._report import Row, median, print_table, row
from callsavvy_async import AsyncCallsavvy

BASE_URL = "https://api.getcallsavvy.com/v1"
SUMMARY = json.dumps(
    {
        "resource": "getSummary",
        "status": "success",
        "data": {
            "assigned_number": "+2348012345678",
            "account_status": "Active",
            "business_id": "ab9363nd8o3h",
            "outbound_local_call_balance": "120",
            "outbound_international_call_balance": "45",
            "inbound_call_balance": "300",
            "sms_balance": "980",
        },
    }
).encode()
SENT = json.dumps(
    {
        "resource": "sendSMS",
        "status": "success",
        "data": {"message_id": "bj693csvc3o3epnw", "cost": "4", "status": "sent"},
    }
).encode()
HEADERS = {"Public-Key": "pk", "Private-Key": "sk", "Content-Type": "application/json"}
RECIPIENT = "+447989987123"

Call = Callable[[], Awaitable[object]]


def _answer(request: httpx.Request) -> httpx.Response:
    body = SENT if request.url.path.endswith("sendSMS") else SUMMARY
    return httpx.Response(200, content=body, headers={"content-type": "application/json"})


def _transport() -> httpx.MockTransport:
    return httpx.MockTransport(_answer)


def _raw_calls(http: httpx.AsyncClient) -> dict[str, Call]:
    async def summary() -> object:
        response = await http.post(f"{BASE_URL}/getSummary", json={}, headers=HEADERS)
        return response.json()["data"]

    async def send() -> object:
        body = {"recipient": RECIPIENT, "message": "Hello"}
        response = await http.post(f"{BASE_URL}/sendSMS", json=body, headers=HEADERS)
        return response.json()["data"]

    return {"summary": summary, "send": send}


def _our_calls(cs: AsyncCallsavvy) -> dict[str, Call]:
    return {
        "summary": cs.account.summary,
        "send": lambda: cs.sms.send(RECIPIENT, "Hello"),
    }


def _openai_calls() -> dict[str, Call] | None:
    try:
        import openai
    except ImportError:
        return None
    client = openai.AsyncOpenAI(
        api_key="sk", base_url=BASE_URL, http_client=httpx.AsyncClient(transport=_transport())
    )

    async def summary() -> object:
        return await client.post("/getSummary", body={}, cast_to=object)

    async def send() -> object:
        body = {"recipient": RECIPIENT, "message": "Hello"}
        return await client.post("/sendSMS", body=body, cast_to=object)

    return {"summary": summary, "send": send}


async def _cpu_per_call(call: Call, calls: int) -> float:
    started = time.process_time()
    for _ in range(calls):
        await call()
    return (time.process_time() - started) / calls * 1e6


async def _measure(calls: int, rounds: int) -> dict[str, dict[str, list[float]]]:
    cs = AsyncCallsavvy(public_key="pk", private_key="sk-secret", transport=_transport())
    variants: dict[str, dict[str, Call]] = {
        "ours": _our_calls(cs),
        "raw httpx": _raw_calls(httpx.AsyncClient(transport=_transport())),
    }
    openai_calls = _openai_calls()
    if openai_calls is not None:
        variants["openai"] = openai_calls
    samples: dict[str, dict[str, list[float]]] = {
        name: {"summary": [], "send": []} for name in variants
    }
    for pair in variants.values():
        for call in pair.values():
            await _cpu_per_call(call, max(calls // 10, 10))
    for _ in range(rounds):
        for operation in ("summary", "send"):
            for name, pair in variants.items():
                samples[name][operation].append(await _cpu_per_call(pair[operation], calls))
    return samples


def run(quick: bool = False) -> list[Row]:
    """Measure and return the table's rows."""
    calls, rounds = (300, 3) if quick else (2000, 7)
    samples = anyio.run(_measure, calls, rounds)
    rows: list[Row] = []
    for operation, label in (("summary", "account.summary()"), ("send", "sms.send()")):
        ours = median(samples["ours"][operation])
        raw = median(samples["raw httpx"][operation])
        rows.append(row(f"CPU/call {label} vs raw httpx", ours, raw, "<= 1.2", unit=" us"))
        if "openai" in samples:
            reference = median(samples["openai"][operation])
            rows.append(
                row(f"CPU/call {label} vs openai SDK", ours, reference, "<= 0.333", unit=" us")
            )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few calls: proves it runs")
    args = parser.parse_args()
    print_table(run(args.quick), "client overhead (CPU per call, median of rounds)")


if __name__ == "__main__":
    main()
