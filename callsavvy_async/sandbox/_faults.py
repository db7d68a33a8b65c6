"""Injected faults: latency, 5xx, 429 with Retry-After, and answers lost after the
request was processed. Drawn from their own seeded generator, so injecting faults never
changes the ids or statuses the account hands out."""

from __future__ import annotations

import random
from typing import Literal

import attrs

__all__ = ["Decision", "FaultPlan", "Faults", "Latency", "LostAnswer"]

LostAnswer = Literal["disconnect", "timeout"]
Latency = float | tuple[float, float] | None
SERVER_ERROR_STATUSES = (500, 502, 503)


def _rate(instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{attribute.name} must be between 0 and 1, got {value!r}")


def _latency(instance: object, attribute: attrs.Attribute[Latency], value: Latency) -> None:
    low, high = value if isinstance(value, tuple) else (value or 0.0, value or 0.0)
    if not 0.0 <= low <= high:
        raise ValueError(f"latency must be seconds >= 0 or a (low, high) range, got {value!r}")


def _lost_answer(instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    if value not in ("disconnect", "timeout"):
        raise ValueError(f"lost_answer must be 'disconnect' or 'timeout', got {value!r}")


@attrs.frozen
class FaultPlan:
    """What goes wrong with requests to one resource (or to all of them)."""

    latency: Latency = attrs.field(default=None, validator=_latency)
    server_error_rate: float = attrs.field(default=0.0, validator=_rate)
    rate_limit_rate: float = attrs.field(default=0.0, validator=_rate)
    retry_after: float = attrs.field(default=1.0)
    lost_answer_rate: float = attrs.field(default=0.0, validator=_rate)
    lost_answer: LostAnswer = attrs.field(default="disconnect", validator=_lost_answer)


@attrs.frozen
class Decision:
    """One request's fate: a delay, then at most one of the failures."""

    delay: float = 0.0
    status: int | None = None
    retry_after: float | None = None
    lost_answer: LostAnswer | None = None


NO_FAULT = Decision()


class Faults:
    """Fault plans per resource (None: every resource without a plan of its own)."""

    def __init__(self, seed: int | None) -> None:
        self._random = random.Random(None if seed is None else f"faults-{seed}")
        self._plans: dict[str | None, FaultPlan] = {}

    def set(self, resource: str | None, plan: FaultPlan) -> None:
        self._plans[resource] = plan

    def clear(self) -> None:
        self._plans.clear()

    def decide(self, resource: str) -> Decision:
        """Draw the fate of one request to `resource`."""
        if not self._plans:
            return NO_FAULT
        plan = self._plans.get(resource) or self._plans.get(None)
        if plan is None:
            return NO_FAULT
        roll = self._random.random
        delay = self._delay(plan.latency)
        if roll() < plan.rate_limit_rate:
            return Decision(delay, 429, retry_after=plan.retry_after)
        if roll() < plan.server_error_rate:
            return Decision(delay, self._random.choice(SERVER_ERROR_STATUSES))
        if roll() < plan.lost_answer_rate:
            return Decision(delay, lost_answer=plan.lost_answer)
        return Decision(delay)

    def _delay(self, latency: Latency) -> float:
        if isinstance(latency, tuple):
            return self._random.uniform(*latency)
        return float(latency or 0.0)
