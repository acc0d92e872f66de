"""The demo's roster in Home Assistant: the People entry and a person subentry per person.

Added as a person does it in the web UI: *Add integration → Face Access → People* (the config
flow's ``people`` menu option), then, on the integration page, *Add person* for each person
(the People entry's subentry flow), with the photo uploaded through ``/api/file_upload`` as
the form's file field does, and *All terminals* ticked. Nothing is sent to a device here:
the integration's sync puts each person on every terminal that can enroll, and each person's
device gets an *Enrollment* sensor (``enrolled``, ``pending``, ``partial``, ``failed``) that
says how far that got, per terminal in its ``terminals`` attribute.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .hass_api import HassClient, JsonObject, form_defaults
from .roster import Person

DOMAIN = "face_access"
PEOPLE_OPTION = "people"
"""The config flow's menu option that adds the People entry."""
SUBENTRY_PERSON = "person"
"""The People entry's subentry type: one person of the roster."""
ENROLLED = "enrolled"
"""The state of a person's *Enrollment* sensor once every terminal of theirs took them."""


class PeopleError(RuntimeError):
    """Home Assistant did not take a step of adding the roster; the message says which."""


@dataclass(frozen=True)
class PersonSubentry:
    """A person of the People entry as Home Assistant knows them.

    ``subentry_id``: the person's subentry; ``person_id``: the ID on the terminals (the
    subentry's unique ID); ``device_id``: Home Assistant's ID of the person's device (empty
    until the integration made it); ``enrollment``: the entity ID of its *Enrollment*
    sensor (empty likewise).
    """

    subentry_id: str
    person_id: str
    name: str
    device_id: str = ""
    enrollment: str = ""


def is_people_entry(entry: JsonObject) -> bool:
    """Tell the People entry from device entries: only it offers *Add person*."""
    return SUBENTRY_PERSON in (entry.get("supported_subentry_types") or {})


async def find_people_entry(client: HassClient) -> JsonObject | None:
    """Return the People entry (``entry_id``, ``title``, ``state``, …), or None."""
    return next((e for e in await client.config_entries(DOMAIN) if is_people_entry(e)), None)


async def add_people_entry(client: HassClient) -> str:
    """Add the People entry through the config flow's ``people`` option; return its entry ID.

    Raises PeopleError when the menu does not offer it or the flow does not create it.
    """
    flow = await client.start_flow(DOMAIN)
    if flow.get("type") != "menu" or PEOPLE_OPTION not in flow.get("menu_options", []):
        raise PeopleError(f"Face Access does not offer the People entry: {flow}")
    result = await client.flow_step(flow["flow_id"], {"next_step_id": PEOPLE_OPTION})
    if result.get("type") != "create_entry":
        raise PeopleError(f"adding the People entry failed: {result.get('errors') or result}")
    return str(result["result"]["entry_id"])


def person_form(schema: list[JsonObject], person: Person, photo_file_id: str) -> JsonObject:
    """Return what the *Add person* form submits for ``person``.

    ``schema``: the form's serialized ``data_schema``; the fields the demo does not fill
    keep their defaults (``list``: allow). ``photo_file_id``: the uploaded photo's ID.
    """
    return {
        **form_defaults(schema),
        "name": person.name,
        "person_id": person.person_id,
        "photo": photo_file_id,
        "all_terminals": True,
    }


async def add_person(client: HassClient, entry_id: str, person: Person) -> str:
    """Add ``person`` with the People entry's *Add person* flow; return the subentry's title.

    The photo is uploaded once the form is open, as the form's file field does when the
    user picks a file. Raises PeopleError when the flow shows errors instead.
    """
    flow = await client.start_subentry_flow(entry_id, SUBENTRY_PERSON)
    if flow.get("type") != "form":
        raise PeopleError(f"unexpected first step of Add person: {flow}")
    file_id = await client.upload_file(f"{person.person_id}.jpg", person.photo(), "image/jpeg")
    answer = person_form(flow.get("data_schema") or [], person, file_id)
    result = await client.subentry_flow_step(flow["flow_id"], answer)
    if result.get("type") != "create_entry":
        raise PeopleError(f"adding {person.name} failed: {result.get('errors') or result}")
    return str(result.get("title", person.name))


async def add_missing_people(
    client: HassClient, entry_id: str, roster: Iterable[Person]
) -> list[Person]:
    """Add each person of ``roster`` whose person ID the People entry lacks; return them."""
    present = {
        subentry.get("unique_id")
        for subentry in await client.subentries(entry_id)
        if subentry.get("subentry_type") == SUBENTRY_PERSON
    }
    added: list[Person] = []
    for person in roster:
        if person.person_id not in present:
            await add_person(client, entry_id, person)
            added.append(person)
    return added


async def roster_people(client: HassClient, entry_id: str) -> list[PersonSubentry]:
    """Return the People entry's people with their devices and *Enrollment* sensors.

    From the registries: a person's device is identified as ``person_<subentry ID>`` and its
    sensor's unique ID is ``person_<subentry ID>_enrollment``.
    """
    subentries = [
        subentry
        for subentry in await client.subentries(entry_id)
        if subentry.get("subentry_type") == SUBENTRY_PERSON
    ]
    devices = {
        identifier: device["id"]
        for device in await client.devices()
        for domain, identifier in device["identifiers"]
        if domain == DOMAIN
    }
    sensors = {
        entity["unique_id"]: entity["entity_id"]
        for entity in await client.entities()
        if entity.get("platform") == DOMAIN
    }
    return [
        PersonSubentry(
            subentry_id=subentry["subentry_id"],
            person_id=str(subentry.get("unique_id") or ""),
            name=str(subentry.get("title") or ""),
            device_id=devices.get(f"person_{subentry['subentry_id']}", ""),
            enrollment=sensors.get(f"person_{subentry['subentry_id']}_enrollment", ""),
        )
        for subentry in subentries
    ]


async def enrollment_states(
    client: HassClient, people: Iterable[PersonSubentry]
) -> dict[str, JsonObject | None]:
    """Return the state object of each person's *Enrollment* sensor, by person ID."""
    return {
        person.person_id: (await client.state(person.enrollment)) if person.enrollment else None
        for person in people
    }
