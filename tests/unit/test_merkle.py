"""The audit sealer's Merkle tree hash is RFC 6962's, and its id ranges name ids exactly."""

import hashlib

import pytest

from dashboard.audit_seal import id_ranges, ids_of, merkle_root, parse_ranges


def rfc6962_root(leaves: list[bytes]) -> bytes:
    """MTH of RFC 6962 section 2.1, as written there."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return hashlib.sha256(b"\x00" + leaves[0]).digest()
    split = 1
    while split * 2 < len(leaves):
        split *= 2
    return hashlib.sha256(b"\x01" + rfc6962_root(leaves[:split])
                          + rfc6962_root(leaves[split:])).digest()


@pytest.mark.parametrize("size", [*range(0, 18), 31, 32, 33, 100])
def test_the_root_is_the_merkle_tree_hash_of_rfc_6962(size):
    leaves = [hashlib.sha256(str(n).encode()).digest() for n in range(size)]
    assert merkle_root(leaves) == rfc6962_root(leaves).hex()


def test_the_order_of_leaves_counts():
    a, b = b"a" * 32, b"b" * 32
    assert merkle_root([a, b]) != merkle_root([b, a])


@pytest.mark.parametrize("ids", [[], [5], [1, 2, 3], [1, 3], [1, 2, 4, 5, 9, 10, 11, 20]])
def test_id_ranges_name_exactly_the_ids(ids):
    assert list(ids_of(parse_ranges(id_ranges(ids)))) == ids


def test_ranges_out_of_order_are_refused():
    for bad in ("5-3", "1-4,3-6", "7,2", "1-2,3"):
        with pytest.raises(ValueError):
            parse_ranges(bad)
