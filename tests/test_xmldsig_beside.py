"""xmldsig.beside: digests taken on the worker give what digesting in line gives.

``digested_beside`` hands content of at least ``offload.MIN_BYTES`` to the worker and returns
an ExternalDigest; smaller content, or any where the process has one core, comes back as the
very bytes given, so the reference check digests it in line with nothing in between.
"""

from __future__ import annotations

import hashlib

import pytest
from offload_support import needs_two_cores, wait_until_idle

from peppol_dpi import offload
from peppol_dpi.xmldsig import DigestMethod
from peppol_dpi.xmldsig.beside import digested_beside
from peppol_dpi.xmldsig.model import ExternalDigest, digest_of

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
