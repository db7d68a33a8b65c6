"""getContacts, getContactGroups, createContact, deleteContact."""

from __future__ import annotations

import attrs

from callsavvy_async._errors import InvalidRequestError
from callsavvy_async.models import Contact, ContactGroup
from callsavvy_async.recipients import normalise_number
from callsavvy_async.resources._base import Resource, compact, optional, required

__all__ = ["ContactGroups", "Contacts"]


@attrs.frozen
class _Deleted:
    contact_id: str


class Contacts(Resource):
    __slots__ = ()

    async def list(self, group_id: str | None = None) -> list[Contact]:
        """Contacts, optionally only those of one group (getContacts)."""
        body = compact(group_id=optional("group_id", group_id))
        return await self._client._call("getContacts", body, list[Contact], write=False)

    async def create(
        self,
        name: str,
        email: str | None = None,
        phone: str | None = None,
        group_id: str | None = None,
    ) -> Contact:
        """A new contact; it needs an email address, a phone number or both (createContact)."""
        if not email and not phone:
            raise InvalidRequestError("createContact needs an email or a phone (or both)")
        if email and "@" not in required("email", email):
            raise InvalidRequestError("email must be an email address")
        body = compact(
            name=required("name", name),
            email=email or None,
            phone=normalise_number(phone) if phone else None,
            group_id=optional("group_id", group_id),
        )
        return await self._client._call("createContact", body, Contact, write=True)

    async def delete(self, contact_id: str) -> str:
        """Delete a contact and return its id (deleteContact)."""
        body = {"contact_id": required("contact_id", contact_id)}
        deleted = await self._client._call("deleteContact", body, _Deleted, write=True)
        return deleted.contact_id


class ContactGroups(Resource):
    __slots__ = ()

    async def list(self) -> list[ContactGroup]:
        """Every contact group (getContactGroups)."""
        return await self._client._call("getContactGroups", {}, list[ContactGroup], write=False)
