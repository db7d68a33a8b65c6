"""Starting awaitables by hand, time limits and cancellation set up only once they wait:
the rest of an awaitable must run exactly as a plain `await` would, on asyncio and trio."""

from __future__ import annotations

from typing import Any

import anyio
import pytest

from callsavvy_async.webhooks._deadline import Cancellable, CutOff, TimeLimit
from callsavvy_async.webhooks._eager import Suspended, Waiting, asyncio_task, start

pytestmark = pytest.mark.anyio


async def immediate() -> str:
    return "now"


async def after(seconds: float, value: str) -> str:
    await anyio.sleep(seconds)
    return value


async def test_an_awaitable_that_does_not_wait_gives_its_result_on_asyncio(
    anyio_backend_name: str,
) -> None:
    result = start(immediate(), asyncio_task())
    if anyio_backend_name == "asyncio":
        assert result == "now"
    else:
        assert isinstance(result, Waiting)
        assert not result.started
        assert await result.rest == "now"


async def test_an_awaitable_that_waits_is_finished_by_awaiting_the_rest() -> None:
    waiting = start(after(0.01, "later"), asyncio_task())
    assert isinstance(waiting, Waiting)
    assert await waiting.rest == "later"


async def fail_at_once() -> None:
    raise LookupError("first step")


async def fail_after_waiting() -> None:
    await anyio.sleep(0.01)
    raise LookupError("after the wait")


async def test_errors_surface_before_and_after_the_suspension() -> None:
    with pytest.raises(LookupError, match="first step"):
        await TimeLimit(1, asyncio_task()).run(fail_at_once())
    with pytest.raises(LookupError, match="after the wait"):
        await TimeLimit(1, asyncio_task()).run(fail_after_waiting())
    with pytest.raises(LookupError, match="after the wait"):
        await Cancellable(asyncio_task()).run(fail_after_waiting())


async def test_a_time_limit_passes_results_and_cuts_off_what_waits_too_long() -> None:
    assert await TimeLimit(1, asyncio_task()).run(immediate()) == "now"
    assert await TimeLimit(1, asyncio_task()).run(after(0.01, "soon")) == "soon"
    finished: list[str] = []

    async def slow() -> None:
        await anyio.sleep(5)
        finished.append("slow")

    with anyio.fail_after(2), pytest.raises(CutOff):
        await TimeLimit(0.02, asyncio_task()).run(slow())
    assert finished == []


async def test_a_time_limit_counts_all_the_waits_together() -> None:
    limit = TimeLimit(0.1, asyncio_task())
    await limit.run(after(0.04, "first"))
    await limit.run(after(0.04, "second"))
    with anyio.fail_after(2), pytest.raises(CutOff):
        await limit.run(after(0.04, "third"))


async def test_the_limited_awaitable_may_use_its_own_scopes_and_task_groups() -> None:
    async def busy() -> str:
        with anyio.CancelScope():
            await anyio.sleep(0.01)
            with anyio.move_on_after(0.01):
                await anyio.sleep(5)
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(anyio.sleep, 0.01)
        return "done"

    assert await TimeLimit(2, asyncio_task()).run(busy()) == "done"

    async def stuck_in_a_task_group() -> None:
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(anyio.sleep, 5)
            with anyio.CancelScope():
                await anyio.sleep(5)

    with anyio.fail_after(2), pytest.raises(CutOff):
        await TimeLimit(0.03, asyncio_task()).run(stuck_in_a_task_group())
    assert await after(0.01, "the task still works") == "the task still works"


async def test_an_outer_cancellation_is_not_taken_for_the_limit() -> None:
    cleaned: list[str] = []

    async def cleans_up() -> None:
        try:
            await anyio.sleep(5)
        finally:
            cleaned.append("cleaned")

    with anyio.move_on_after(0.02) as outer:
        await TimeLimit(5, asyncio_task()).run(cleans_up())
    assert outer.cancelled_caught
    assert cleaned == ["cleaned"]


async def test_a_cancelled_run_refuses_to_start_and_closes_the_awaitable() -> None:
    run = Cancellable(asyncio_task())
    run.cancel()
    refused = immediate()
    with pytest.raises(CutOff):
        await run.run(refused)
    assert refused.cr_frame is None
    assert await after(0.01, "task intact") == "task intact"


async def test_cancel_from_another_task_reaches_a_run_in_that_task() -> None:
    runs: list[Cancellable] = []
    outcome: list[str] = []

    async def request() -> None:
        run = Cancellable(asyncio_task())
        runs.append(run)
        try:
            await run.run(after(5, "never"))
        except CutOff:
            outcome.append("cut off")
        outcome.append(await after(0.01, "went on"))

    with anyio.fail_after(2):
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(request)
            await anyio.sleep(0.02)
            runs[0].cancel()
    assert outcome == ["cut off", "went on"]


async def test_a_cancellation_from_elsewhere_passes_through_a_run() -> None:
    run = Cancellable(asyncio_task())
    with anyio.move_on_after(0.02) as outer:
        await run.run(after(5, "never"))
    assert outer.cancelled_caught


class Pause:
    """A bare awaitable that hands `tick` to the event loop once."""

    def __await__(self):  # type: ignore[no-untyped-def]
        yield "tick"


def test_throwing_into_and_closing_the_waiter_reach_the_rest() -> None:
    seen: list[str] = []

    async def inner() -> str:
        try:
            await Pause()
        except KeyError:
            return "recovered"
        finally:
            seen.append("finally")
        return "not thrown"

    async def waiter() -> Any:
        steps = inner()
        assert steps.send(None) == "tick"
        return await Suspended(steps, "tick")

    thrown = waiter()
    assert thrown.send(None) == "tick"
    with pytest.raises(StopIteration) as done:
        thrown.throw(KeyError("x"))
    assert done.value.value == "recovered"

    closed = waiter()
    assert closed.send(None) == "tick"
    closed.close()
    assert seen == ["finally", "finally"]


def test_outside_an_event_loop_there_is_no_task() -> None:
    assert asyncio_task() is None


async def test_a_timeout_error_of_the_awaitable_itself_is_not_a_cut_off() -> None:
    async def times_out_on_its_own() -> None:
        await anyio.sleep(0.01)
        raise TimeoutError("upstream")

    with pytest.raises(TimeoutError, match="upstream"):
        await TimeLimit(5, asyncio_task()).run(times_out_on_its_own())
