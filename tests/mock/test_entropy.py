"""The buffered CSPRNG behind invoice tokens, access keys and SMS ids."""

from __future__ import annotations

from collections import Counter
from itertools import count, cycle

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


def test_random_string_drops_the_bytes_that_would_bias_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """36 symbols: bytes 252..255 would make 0..3 likelier, so they are skipped, never mapped."""
    stream = cycle([250, 251, 252, 253, 254, 255, 0, 1, 35, 36, 71, 72])
    monkeypatch.setattr(entropy.os, "urandom", lambda n: bytes(next(stream) for _ in range(n)))
    monkeypatch.setattr(entropy, "_POOL", entropy._Pool())
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    assert entropy.random_string(alphabet, 8) == "YZ01Z0Z0"  # 250->Y 251->Z 0 1 35->Z 36->0 71->Z 72->0


@pytest.mark.parametrize("alphabet", ["0123456789", "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", "ab"])
def test_random_string_is_uniform_over_its_alphabet(alphabet: str) -> None:
    draws = "".join(entropy.random_string(alphabet, 9) for _ in range(4000))
    counts = Counter(draws)
    assert set(counts) == set(alphabet) and len(draws) == 36_000
    expected = len(draws) / len(alphabet)
    chi2 = sum((c - expected) ** 2 / expected for c in counts.values())
    assert chi2 < 3 * len(alphabet) + 30  # far above any fair draw (df = n - 1), far below a bias


def test_random_string_refuses_an_alphabet_it_cannot_draw_from() -> None:
    for bad in ("", "a", "aa", "\u0627b"):
        with pytest.raises(ValueError):
            entropy.random_string(bad, 3)
