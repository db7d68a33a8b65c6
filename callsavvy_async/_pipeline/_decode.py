"""Decoders: the envelope's data into the value a method returns, through the converter."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Generic, TypeVar

import attrs

from callsavvy_async._convert import converter

__all__ = ["Decode"]

_T = TypeVar("_T")
_U = TypeVar("_U")


class Decode(Generic[_T]):
    """Structure data as `result_type`; with `fill`, a model's fields the answer left empty
    take the values the caller sent (a create returns what was created)."""

    __slots__ = ("_run", "name")

    def __init__(self, result_type: type[_T], *, fill: Mapping[str, Any] | None = None) -> None:
        self.name: str = getattr(result_type, "__name__", None) or str(result_type)

        def run(data: Any) -> _T:
            value = converter.structure(data, result_type)
            return _filled(value, fill) if fill else value

        self._run: Callable[[Any], _T] = run

    def __call__(self, data: Any) -> _T:
        return self._run(data)

    def then(self, pick: Callable[[_T], _U]) -> Decode[_U]:
        """A decoder returning `pick` of this one's result (deleteContact: the id alone)."""
        run = self._run
        picked: Decode[_U] = object.__new__(Decode)
        picked.name = self.name
        picked._run = lambda data: pick(run(data))
        return picked


def _filled(model: _T, sent: Mapping[str, Any]) -> _T:
    empty = {name: value for name, value in sent.items() if getattr(model, name, 0) is None}
    return attrs.evolve(model, **empty) if empty else model  # type: ignore[misc]
