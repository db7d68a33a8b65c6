"""getSummary, getDepartments, getCategories, getAgents."""

from __future__ import annotations

from typing import Unpack

from callsavvy_async.models import AccountSummary, Agent, Category, Department
from callsavvy_async.resources._base import Decode, RequestOptions, Resource
from callsavvy_async.resources._raw import RawView, raw

__all__ = [
    "Account",
    "AccountRaw",
    "Agents",
    "AgentsRaw",
    "Categories",
    "CategoriesRaw",
    "Departments",
    "DepartmentsRaw",
]


class Account(Resource):
    __slots__ = ()

    async def summary(self, **options: Unpack[RequestOptions]) -> AccountSummary:
        """The account's number, status and remaining balances (getSummary)."""
        return await self._request(
            "getSummary", {}, Decode(AccountSummary), write=False, options=options
        )


class Departments(Resource):
    __slots__ = ()

    async def list(self, **options: Unpack[RequestOptions]) -> list[Department]:
        """Every department of the business (getDepartments)."""
        return await self._request(
            "getDepartments", {}, Decode(list[Department]), write=False, options=options
        )


class Categories(Resource):
    __slots__ = ()

    async def list(self, **options: Unpack[RequestOptions]) -> list[Category]:
        """Every request category (getCategories)."""
        return await self._request(
            "getCategories", {}, Decode(list[Category]), write=False, options=options
        )


class Agents(Resource):
    __slots__ = ()

    async def list(self, **options: Unpack[RequestOptions]) -> list[Agent]:
        """Every agent (getAgents)."""
        return await self._request(
            "getAgents", {}, Decode(list[Agent]), write=False, options=options
        )


class AccountRaw(RawView[Account]):
    summary = raw(Account.summary)


class DepartmentsRaw(RawView[Departments]):
    list = raw(Departments.list)


class CategoriesRaw(RawView[Categories]):
    list = raw(Categories.list)


class AgentsRaw(RawView[Agents]):
    list = raw(Agents.list)
