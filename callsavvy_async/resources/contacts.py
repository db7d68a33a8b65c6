"""getContacts, getContactGroups, createContact, deleteContact."""

from __future__ import annotations

import builtins
from typing import Unpack

import attrs

from callsavvy_async._errors import InvalidRequestError
from callsavvy_async.models import Contact, ContactGroup
from callsavvy_async.recipients import normalise_number
from callsavvy_async.resources._base import (
    Decode,
    RequestOptions,
    Resource,
    compact,
    optional,
    required,
)
from callsavvy_async.resources._raw import RawView, raw

__all__ = ["ContactGroups", "ContactGroupsRaw", "Contacts", "ContactsRaw"]


@attrs.frozen
class _Deleted:
    contact_id: str


class Contacts(Resource):
    __slots__ = ()

    async def list(
        self, group_id: str | None = None, **options: Unpack[RequestOptions]
    ) -> builtins.list[Contact]:
        """Contacts, optionally only those of one group (getContacts)."""
        body = compact(group_id=optional("group_id", group_id))
        return await self._request(
            "getContacts", body, Decode(builtins.list[Contact]), write=False, options=options
        )

    async def create(
        self,
        name: str,
        email: str | None = None,
        phone: str | None = None,
        group_id: str | None = None,
        **options: Unpack[RequestOptions],
    ) -> Contact:
        """A new contact; it needs an email address, a phone number or both (createContact).
        The fields sent fill what the answer leaves out."""
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
        return await self._request(
            "createContact", body, Decode(Contact, fill=body), write=True, options=options
        )

    async def delete(self, contact_id: str, **options: Unpack[RequestOptions]) -> str:
        """Delete a contact and return its id (deleteContact)."""
        body = {"contact_id": required("contact_id", contact_id)}
        decode = Decode(_Deleted).then(lambda deleted: deleted.contact_id)
        return await self._request("deleteContact", body, decode, write=True, options=options)


class ContactGroups(Resource):
    __slots__ = ()

    async def list(self, **options: Unpack[RequestOptions]) -> list[ContactGroup]:
        """Every contact group (getContactGroups)."""
        return await self._request(
            "getContactGroups", {}, Decode(list[ContactGroup]), write=False, options=options
        )


class ContactsRaw(RawView[Contacts]):
    list = raw(Contacts.list)
    create = raw(Contacts.create)
    delete = raw(Contacts.delete)


class ContactGroupsRaw(RawView[ContactGroups]):
    list = raw(ContactGroups.list)
