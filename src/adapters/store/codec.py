"""Domain events to stored bytes and back: eventsourcing's Mapper with msgspec.

eventsourcing's own JSON transcoder tags every non-JSON value (``{"_type_": "uuid_hex",
...}``) so it can decode without knowing the event class. msgspec does better: it encodes
plain JSON and decodes *by type*, so the mapper here decodes each payload against the
fields declared on its event class. UUID, date, datetime, Decimal, enums and nested
structures (msgspec Structs, dataclasses, tuples, dicts) come back exactly as they went in.
"""

from __future__ import annotations

import dataclasses
import functools
import typing
from typing import Any
from uuid import UUID, SafeUUID

import msgspec
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import (
    Mapper,
    MapperDeserialisationError,
    StoredEvent,
    Transcoder,
)
from eventsourcing.utils import get_topic, resolve_topic

_STORED_SEPARATELY = frozenset({"originator_id", "originator_version"})


class MsgspecTranscoder(Transcoder):
    """Plain JSON via msgspec; ``decode_as`` restores the declared types."""

    def __init__(self) -> None:
        self._encoder = msgspec.json.Encoder(decimal_format="string")

    def encode(self, obj: Any) -> bytes:
        return self._encoder.encode(obj)

    def decode(self, data: bytes) -> Any:
        return msgspec.json.decode(data)

    def decode_as(self, data: bytes, type_: Any) -> Any:
        return _decoder(type_).decode(data)


@functools.cache
def _decoder(type_: Any) -> msgspec.json.Decoder[Any]:
    return msgspec.json.Decoder(type_)


@functools.cache
def _state_type(event_class: Any) -> type[msgspec.Struct]:
    """A Struct with the event class's stored fields, to decode its payload by type."""
    hints = typing.get_type_hints(event_class)
    fields: list[tuple[str, Any] | tuple[str, Any, Any]] = []
    for field in dataclasses.fields(event_class):
        if field.name in _STORED_SEPARATELY:
            continue
        if field.default is not dataclasses.MISSING:
            fields.append((field.name, hints[field.name], field.default))
        else:
            fields.append((field.name, hints[field.name]))
    fields.sort(key=len)  # fields with defaults last, as Structs require
    fields.append(("class_version", int, 1))
    return msgspec.defstruct(f"{event_class.__qualname__}State", fields)


@functools.cache
def _writer(event_class: type[Any]) -> tuple[str, int]:
    """The topic and class version stored with events of ``event_class``."""
    return get_topic(event_class), getattr(event_class, "class_version", 1)


@functools.cache
def _reader(topic: str) -> tuple[Any, msgspec.json.Decoder[Any] | None]:
    """The event class of ``topic`` and the decoder of its payloads; no decoder when the
    class has changed shape and its payloads must be upcast first. Resolved once per
    topic: a follower decodes every event of the log through here."""
    cls = resolve_topic(topic)
    if getattr(cls, "class_version", 1) > 1:
        return cls, None
    return cls, _decoder(_state_type(cls))


_UNKNOWN_SAFETY = SafeUUID.unknown  # an enum member looked up once, not per event


def _plain_uuid(value: UUID | str) -> UUID:
    """A ``uuid.UUID`` of ``value``, which may be asyncpg's UUID subclass or a string.

    The copy is built field by field: ``UUID(int=...)`` validates and costs three times
    as much, for every event a follower reads."""
    if type(value) is UUID:
        return value
    if not isinstance(value, UUID):
        return UUID(value)
    plain = object.__new__(UUID)
    object.__setattr__(plain, "int", value.int)
    object.__setattr__(plain, "is_safe", _UNKNOWN_SAFETY)
    return plain


class MsgspecMapper(Mapper[UUID]):
    """eventsourcing's Mapper, decoding each payload by its event class's field types."""

    transcoder: MsgspecTranscoder

    def __init__(self, transcoder: MsgspecTranscoder | None = None) -> None:
        super().__init__(transcoder or MsgspecTranscoder())

    def to_stored_event(self, domain_event: DomainEventProtocol[UUID]) -> StoredEvent:
        """As eventsourcing's Mapper does it (this mapper has no compressor or cipher),
        with the topic and class version looked up once per class."""
        topic, class_version = _writer(type(domain_event))
        state = dict(vars(domain_event))
        originator_id = state.pop("originator_id")
        originator_version = state.pop("originator_version")
        if class_version > 1:
            state["class_version"] = class_version
        return StoredEvent(originator_id, originator_version, topic, self.transcoder.encode(state))

    def to_domain_event(self, stored_event: StoredEvent) -> DomainEventProtocol[UUID]:
        cls, decoder = _reader(stored_event.topic)
        try:
            if decoder is None:
                state = self._upcast(cls, stored_event.state)
            else:
                state = msgspec.structs.asdict(decoder.decode(stored_event.state))
                del state["class_version"]
        except (msgspec.DecodeError, msgspec.ValidationError) as error:
            raise MapperDeserialisationError(
                f"cannot decode stored event {stored_event.topic} of {stored_event.originator_id} "
                f"at version {stored_event.originator_version}: {error}"
            ) from error
        # asyncpg hands out its own UUID subclass; a plain UUID keeps events comparable.
        state["originator_id"] = _plain_uuid(stored_event.originator_id)
        state["originator_version"] = stored_event.originator_version
        domain_event = object.__new__(cls)
        object.__setattr__(domain_event, "__dict__", state)
        return typing.cast("DomainEventProtocol[UUID]", domain_event)

    def _upcast(self, cls: Any, data: bytes) -> dict[str, Any]:
        """A class that has changed shape: upcast the plain JSON from the version it was
        stored in, as eventsourcing does, then restore the declared types."""
        state: dict[str, Any] = self.transcoder.decode(data)
        from_version = state.pop("class_version", 1)
        while from_version < cls.class_version:
            getattr(cls, f"upcast_v{from_version}_v{from_version + 1}")(state)
            from_version += 1
        result = msgspec.structs.asdict(msgspec.convert(state, _state_type(cls)))
        del result["class_version"]
        return result
