"""The hash chain's canonical bytes never change: events stored by any earlier version of
khoagiao must keep verifying. The reference below is the chain's original spelling
(``str(uuid)``, ``strftime`` in UTC, sha256 of the concatenation); whatever shortcuts
``hashing`` takes, it must agree with it byte for byte (property-tested)."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, timedelta, timezone

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.store.hashing import GENESIS, canonical_instant, chain_hash, metadata_bytes
from adapters.store.records import Metadata

_encode = msgspec.json.Encoder().encode


def reference_instant(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def reference_metadata(metadata: Metadata) -> bytes:
    optional = [metadata.correlation_id, metadata.causation_id]
    return _encode(
        [
            metadata.actor_organization_id,
            metadata.actor_token_id,
            *(None if value is None else str(value) for value in optional),
            metadata.request_id,
            reference_instant(metadata.recorded_at),
        ]
    )


def reference_hash(previous: bytes, fields: list[object], payload: bytes, meta: bytes) -> bytes:
    canonical = _encode([*fields, msgspec.Raw(payload), msgspec.Raw(meta)])
    return hashlib.sha256(previous + canonical).digest()


zones = st.one_of(
    st.just(UTC),
    st.timedeltas(min_value=timedelta(hours=-23), max_value=timedelta(hours=23)).map(
        lambda offset: timezone(timedelta(minutes=offset // timedelta(minutes=1)))
    ),
)
instants = st.datetimes(
    min_value=datetime(2, 1, 1), max_value=datetime(9998, 12, 31), timezones=zones
)
texts = st.text(max_size=20)
optional_texts = st.none() | texts
optional_uuids = st.none() | st.uuids()
metadatas = st.builds(
    Metadata,
    recorded_at=instants,
    actor_organization_id=optional_texts,
    actor_token_id=optional_texts,
    correlation_id=optional_uuids,
    causation_id=optional_uuids,
    request_id=optional_texts,
)
payloads = st.dictionaries(texts, st.integers() | texts | st.none(), max_size=4).map(_encode)


@given(instants)
def test_an_instant_is_spelled_as_it_always_was(moment: datetime) -> None:
    assert canonical_instant(moment) == reference_instant(moment)


@given(metadatas)
def test_metadata_bytes_are_the_original_spelling(metadata: Metadata) -> None:
    assert metadata_bytes(metadata) == reference_metadata(metadata)


@given(
    previous=st.just(GENESIS) | st.binary(min_size=32, max_size=32),
    event_id=st.uuids(),
    stream_id=st.uuids(),
    stream_type=texts,
    version=st.integers(min_value=1, max_value=2**31 - 1),
    type_=texts,
    payload=payloads,
    metadata=metadatas,
)
def test_a_link_hashes_the_original_canonical_bytes(
    previous: bytes,
    event_id: uuid.UUID,
    stream_id: uuid.UUID,
    stream_type: str,
    version: int,
    type_: str,
    payload: bytes,
    metadata: Metadata,
) -> None:
    meta = metadata_bytes(metadata)
    expected = reference_hash(
        previous, [str(event_id), str(stream_id), stream_type, version, type_], payload, meta
    )
    assert (
        chain_hash(
            previous,
            event_id=event_id,
            stream_id=stream_id,
            stream_type=stream_type,
            version=version,
            type=type_,
            payload=payload,
            metadata=meta,
        )
        == expected
    )


def test_a_naive_instant_is_refused() -> None:
    with pytest.raises(ValueError, match="time zone"):
        canonical_instant(datetime(2025, 3, 1, 12, 0))
