"""getSummary, getDepartments, getCategories, getAgents."""

from __future__ import annotations

from callsavvy_async.models import AccountSummary, Agent, Category, Department
from callsavvy_async.resources._base import Resource

__all__ = ["Account", "Agents", "Categories", "Departments"]


class Account(Resource):
    __slots__ = ()

    async def summary(self) -> AccountSummary:
        """The account's number, status and remaining balances (getSummary)."""
        return await self._client._call("getSummary", {}, AccountSummary, write=False)


class Departments(Resource):
    __slots__ = ()

    async def list(self) -> list[Department]:
        """Every department of the business (getDepartments)."""
        return await self._client._call("getDepartments", {}, list[Department], write=False)


class Categories(Resource):
    __slots__ = ()

    async def list(self) -> list[Category]:
        """Every request category (getCategories)."""
        return await self._client._call("getCategories", {}, list[Category], write=False)


class Agents(Resource):
    __slots__ = ()

    async def list(self) -> list[Agent]:
        """Every agent (getAgents)."""
        return await self._client._call("getAgents", {}, list[Agent], write=False)
