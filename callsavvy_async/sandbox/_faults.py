"""Injected faults: latency, 5xx, 429 with Retry-After, and answers lost after processing."""

from __future__ import annotations

import random
from typing import Literal

import attrs

__all__ = ["FaultPlan", "Faults", "LostAnswer"]

LostAnswer = Literal["disconnect", "timeout"]
Latency = float | tuple[float, float] | None


@attrs.frozen
class FaultPlan:
    """What can go wrong with requests to one resource (or to all)."""

    latency: Latency = None
    server_error_rate: float = 0.0
    rate_limit_rate: float = 0.0
    retry_after: float = 1.0
    lost_answer_rate: float = 0.0
    lost_answer: LostAnswer = "disconnect"


@attrs.define
class Decision:
    delay: float = 0.0
    server_error: bool = False
    rate_limited: bool = False
    lose_answer: bool = False


class Faults:
    """Fault plans per resource, decided by one seeded random generator."""

    def __init__(self, seed: int | None) -> None:
        self._random = random.Random(seed)
        self._plans: dict[str | None, FaultPlan] = {}

    def set(self, resource: str | None, plan: FaultPlan) -> None:
        for name, rate in (
            ("server_error_rate", plan.server_error_rate),
            ("rate_limit_rate", plan.rate_limit_rate),
            ("lost_answer_rate", plan.lost_answer_rate),
        ):
            if not 0.0 <= rate <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1")
        if plan.lost_answer not in ("disconnect", "timeout"):
            raise ValueError("lost_answer must be 'disconnect' or 'timeout'")
        self._plans[resource] = plan

    def clear(self) -> None:
        self._plans.clear()

    def plan_for(self, resource: str) -> FaultPlan | None:
        return self._plans.get(resource) or self._plans.get(None)

    def decide(self, plan: FaultPlan) -> Decision:
        """Draw this request's fate; at most one of the error kinds happens."""
        roll = self._random.random
        decision = Decision(delay=self._delay(plan.latency))
        if roll() < plan.rate_limit_rate:
            decision.rate_limited = True
        elif roll() < plan.server_error_rate:
            decision.server_error = True
        elif roll() < plan.lost_answer_rate:
            decision.lose_answer = True
        return decision

    def _delay(self, latency: Latency) -> float:
        if latency is None:
            return 0.0
        if isinstance(latency, tuple):
            low, high = latency
            return self._random.uniform(low, high)
        return float(latency)
