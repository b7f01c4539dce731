"""xmldsig.beside: digests taken on the worker give what digesting in line gives; and the
verifier checks references under way last without changing what it reports.

``digested_beside`` hands content of at least ``offload.MIN_BYTES`` to the worker and returns
an ExternalDigest; smaller content, or any where the process has one core, comes back as the
very bytes given, so the reference check digests it in line with nothing in between.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st
from offload_support import needs_two_cores, wait_until_idle

from peppol_dpi import offload
from peppol_dpi.xmldsig import DigestMethod
from peppol_dpi.xmldsig.beside import digested_beside
from peppol_dpi.xmldsig.model import ExternalDigest, digest_of
from peppol_dpi.xmldsig.verifying import _run_in_order

SHA256 = frozenset({DigestMethod.SHA256})


@pytest.mark.parametrize("size", [0, 1, offload.MIN_BYTES - 1])
def test_small_content_comes_back_as_it_is(size: int) -> None:
    content = b"x" * size
    assert digested_beside(content, SHA256) is content


def test_with_one_usable_core_content_comes_back_as_it_is(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(offload._worker, "parallel", False)
    content = b"y" * (4 * offload.MIN_BYTES)
    assert not offload.worth_offloading(len(content))
    assert digested_beside(content, SHA256) is content


@needs_two_cores
@pytest.mark.parametrize("method", list(DigestMethod))
def test_large_content_digests_as_in_line_whatever_the_method(method: DigestMethod) -> None:
    wait_until_idle()
    content = bytes(range(256)) * (offload.MIN_BYTES // 256)
    assert offload.worth_offloading(len(content))
    beside = digested_beside(content, SHA256)
    assert isinstance(beside, ExternalDigest)
    expected = hashlib.new(method.name.lower(), content).digest()
    assert digest_of(method, beside, "cid:x") == expected == method.digest(content)
    assert list(beside.digests) == [DigestMethod.SHA256]


@given(st.integers(min_value=1, max_value=7), st.data())
def test_checks_put_last_raise_what_checking_in_order_would(n: int, data: st.DataObject) -> None:
    # verify() checks the references whose digests are under way after the others; what it
    # raises must be the failure of the first check that fails, as in order.
    failing = data.draw(st.sets(st.integers(min_value=0, max_value=n - 1)))
    later = data.draw(st.sets(st.integers(min_value=0, max_value=n - 1)))
    ran: list[int] = []

    def check(i: int) -> Callable[[], int]:
        def run() -> int:
            ran.append(i)
            if i in failing:
                raise ValueError(i)
            return i

        return run

    try:
        results = _run_in_order([check(i) for i in range(n)], later=later)
    except ValueError as exc:
        assert exc.args[0] == min(failing)
    else:
        assert not failing and results == list(range(n))
    assert set(range(min(failing, default=n))) <= set(ran)  # all before the first failure
    assert ran == [i for i in ran if i not in later] + [i for i in ran if i in later]
