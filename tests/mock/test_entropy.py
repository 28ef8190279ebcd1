"""The buffered CSPRNG behind invoice tokens, access keys and SMS ids."""

from __future__ import annotations

from collections import Counter
from itertools import count

import pytest

from mock_server.state import entropy


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """os.urandom replaced by a counter (each byte = position mod 256), recording each fetch size."""
    fetched: list[int] = []
    position = count()

    def urandom(n: int) -> bytes:
        fetched.append(n)
        return bytes(next(position) % 256 for _ in range(n))

    monkeypatch.setattr(entropy.os, "urandom", urandom)
    monkeypatch.setattr(entropy, "_POOL", entropy._Pool())
    return fetched


def test_bytes_are_handed_out_once_each_in_blocks(counted: list[int]) -> None:
    taken = [entropy.token_bytes(n) for n in (1, 5, 16, 4000, 100)]
    assert counted == [4096, 4096]  # 4,022 fit the first block; the last 100 did not
    assert b"".join(taken[:4]) == bytes(i % 256 for i in range(4022))
    assert taken[4] == bytes(i % 256 for i in range(4096, 4196))  # no byte handed out twice
    assert len(entropy.token_bytes(10_000)) == 10_000 and counted[-1] == 10_000


def test_a_forked_child_does_not_reuse_its_parents_block() -> None:
    import os

    entropy.token_bytes(8)  # the pool now holds unused bytes
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through the pipe
        os.write(write, entropy.token_bytes(16))
        os._exit(0)
    os.waitpid(pid, 0)
    child = os.read(read, 16)
    os.close(read), os.close(write)
    assert len(child) == 16 and child != entropy.token_bytes(16)  # the parent's next bytes differ


@pytest.mark.parametrize("n", [1, 2, 7, 36**8, 10**9, 2**64 + 1])
def test_randbelow_stays_in_range(n: int) -> None:
    assert all(0 <= entropy.randbelow(n) < n for _ in range(2000))


def test_randbelow_is_uniform() -> None:
    buckets = Counter(entropy.randbelow(7) for _ in range(7000))
    assert set(buckets) == set(range(7))
    assert all(800 < c < 1200 for c in buckets.values())  # 1,000 expected, sd 29


def test_randbelow_refuses_an_empty_range() -> None:
    with pytest.raises(ValueError):
        entropy.randbelow(0)


def test_hex_is_twice_as_long() -> None:
    text = entropy.token_hex(16)
    assert len(text) == 32 and int(text, 16) >= 0
