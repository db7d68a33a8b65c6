"""Raw-response views: the same methods, returning `RawResponse[Model]` instead of the model.

Each resource module lists its methods once in a view class (`summary = raw(Account.summary)`);
the `raw` descriptor keeps each method's signature for type checkers.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Concatenate, Generic, ParamSpec, Self, TypeVar, cast, overload

from callsavvy_async._pipeline import RawResponse

__all__ = ["RawView", "raw"]

_R = TypeVar("_R")
_P = ParamSpec("_P")
_T = TypeVar("_T")


class RawView(Generic[_R]):
    """A resource bound to a client in raw mode, seen through its `raw` methods."""

    __slots__ = ("_resource",)

    def __init__(self, resource: _R) -> None:
        self._resource = resource


class _RawMethod(Generic[_R, _P, _T]):
    __slots__ = ("_method",)

    def __init__(self, method: Callable[Concatenate[_R, _P], Awaitable[_T]]) -> None:
        self._method = method

    @overload
    def __get__(self, view: None, owner: type[Any]) -> Self: ...
    @overload
    def __get__(
        self, view: RawView[_R], owner: type[Any]
    ) -> Callable[_P, Awaitable[RawResponse[_T]]]: ...
    def __get__(self, view: RawView[_R] | None, owner: type[Any]) -> Any:
        if view is None:
            return self
        method, resource = self._method, view._resource

        async def call(*args: _P.args, **kwargs: _P.kwargs) -> RawResponse[_T]:
            return cast(RawResponse[_T], await method(resource, *args, **kwargs))

        call.__doc__ = method.__doc__
        call.__name__ = method.__name__
        return call


def raw(method: Callable[Concatenate[_R, _P], Awaitable[_T]]) -> _RawMethod[_R, _P, _T]:
    """`method` as a raw view's method: same arguments, a RawResponse of its result."""
    return _RawMethod(method)
