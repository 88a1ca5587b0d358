"""Revocation as a W3C Bitstring Status List (https://www.w3.org/TR/vc-bitstring-status-list/).

A verifier checks revocation by fetching one list shared by many credentials and reading one bit, so the
issuer never learns which certificate was being checked. That privacy only holds if the list is big and the
indexes are spread out; the spec therefore sets a floor of 131,072 entries (16 KiB), and an empty list costs
a few dozen bytes once gzipped.

Bit 0 is the most significant bit of the first byte, as the spec says. `encodedList` is multibase base64url
("u" prefix, no padding) of the GZIP-compressed bitstring.
"""

from __future__ import annotations

import base64
import gzip
import secrets
import zlib
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .credential import IssuerProfile

__all__ = [
    "MIN_ENTRIES",
    "StatusEntry",
    "StatusListError",
    "build_status_list_credential",
    "decode_list",
    "encode_list",
    "get_bit",
    "is_revoked",
    "new_bitstring",
    "random_free_index",
    "set_bit",
]

MIN_ENTRIES = 131_072
_MAX_BYTES = 16 * 1024 * 1024  # 134 million entries: beyond this an encodedList is an attack, not a list
_MULTIBASE_BASE64URL = "u"


class StatusListError(ValueError):
    """The list or index cannot be read as the spec defines it; a verifier must treat that as a failure, never
    as "not revoked"."""


@dataclass(frozen=True, slots=True)
class StatusEntry:
    """Where a credential's revocation bit lives: which list, which position."""

    status_list_credential: str
    index: int
    purpose: str = "revocation"

    def __post_init__(self) -> None:
        if self.index < 0:
            raise ValueError("a status list index cannot be negative")

    def as_dict(self) -> dict[str, str]:
        return {
            "id": f"{self.status_list_credential}#{self.index}",
            "type": "BitstringStatusListEntry",
            "statusPurpose": self.purpose,
            "statusListIndex": str(self.index),
            "statusListCredential": self.status_list_credential,
        }

    @classmethod
    def from_dict(cls, value: Any) -> StatusEntry:
        """Read a credentialStatus back from a credential, refusing anything this issuer would not have written."""
        if not isinstance(value, dict) or value.get("type") != "BitstringStatusListEntry":
            raise StatusListError("credentialStatus is not a BitstringStatusListEntry")
        index, url, purpose = value.get("statusListIndex"), value.get("statusListCredential"), value.get("statusPurpose")
        if not isinstance(index, str) or not index.isdigit() or not isinstance(url, str) or not isinstance(purpose, str):
            raise StatusListError("credentialStatus lacks a statusListIndex, statusListCredential or statusPurpose")
        return cls(status_list_credential=url, index=int(index), purpose=purpose)


def new_bitstring(entries: int = MIN_ENTRIES) -> bytearray:
    if entries < MIN_ENTRIES:
        raise ValueError(f"a status list has at least {MIN_ENTRIES} entries")
    return bytearray((entries + 7) // 8)


def _locate(bits: bytes | bytearray, index: int) -> tuple[int, int]:
    if not 0 <= index < len(bits) * 8:
        raise StatusListError(f"status list index {index} is outside the list of {len(bits) * 8} entries")
    return index // 8, 0x80 >> (index % 8)


def set_bit(bits: bytearray, index: int, value: bool = True) -> None:
    byte, mask = _locate(bits, index)
    if value:
        bits[byte] |= mask
    else:
        bits[byte] &= ~mask & 0xFF


def get_bit(bits: bytes | bytearray, index: int) -> bool:
    byte, mask = _locate(bits, index)
    return bool(bits[byte] & mask)


def random_free_index(used: Collection[int], entries: int = MIN_ENTRIES) -> int:
    """Spread credentials over the list at random: sequential indexes would tell a verifier the issue order
    and the size of the issuer's business, which the spec asks issuers not to reveal."""
    if len(used) >= entries:
        raise StatusListError("the status list is full; start a new one")
    while True:
        index = secrets.randbelow(entries)
        if index not in used:
            return index


def encode_list(bits: bytes | bytearray) -> str:
    if len(bits) * 8 < MIN_ENTRIES:
        raise StatusListError(f"a status list has at least {MIN_ENTRIES} entries")
    compressed = gzip.compress(bytes(bits), compresslevel=9, mtime=0)  # mtime=0: same bits, same string
    return _MULTIBASE_BASE64URL + base64.urlsafe_b64encode(compressed).rstrip(b"=").decode("ascii")


def decode_list(encoded_list: str) -> bytearray:
    """Decode a list fetched from anywhere: the length check and the decompression cap keep a hostile or
    broken list from passing as "nothing revoked" or from exhausting memory."""
    if not encoded_list.startswith(_MULTIBASE_BASE64URL):
        raise StatusListError("encodedList must be multibase base64url (a 'u' prefix)")
    body = encoded_list[1:]
    try:
        compressed = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        bits = inflater.decompress(compressed, _MAX_BYTES + 1)
    except (ValueError, zlib.error) as exc:
        raise StatusListError(f"encodedList is not base64url GZIP data: {exc}") from exc
    if len(bits) > _MAX_BYTES or inflater.unconsumed_tail:
        raise StatusListError("encodedList expands beyond any plausible status list")
    if not inflater.eof:
        raise StatusListError("encodedList is truncated")
    if len(bits) * 8 < MIN_ENTRIES:
        raise StatusListError(f"a status list has at least {MIN_ENTRIES} entries; this one has {len(bits) * 8}")
    return bytearray(bits)


def is_revoked(encoded_list: str, index: int) -> bool:
    return get_bit(decode_list(encoded_list), index)


def build_status_list_credential(
    issuer: IssuerProfile, url: str, encoded_list: str, valid_from: datetime, *, purpose: str = "revocation"
) -> dict[str, Any]:
    """The credential served at `url`, to be signed like any other so nobody can forge a revocation
    (or an un-revocation)."""
    if valid_from.tzinfo is None:
        raise ValueError("valid_from must be timezone-aware")
    decode_list(encoded_list)  # never publish a list that verifiers would reject
    return {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer.id,
        "validFrom": valid_from.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": purpose,
            "encodedList": encoded_list,
        },
    }
