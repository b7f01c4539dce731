"""Digests of held content taken on a second core while the caller goes on (:mod:`..offload`).

A receiver holding a large attachment or zip entry needs its digest for a signature reference
and, meanwhile, other work on the same bytes or on other parts of the message: decompressing
the payload, reading the package's manifest and signature. :func:`digested_beside` starts the
digests under the methods expected and returns at once an :class:`~.model.ExternalDigest`,
which the reference check reads as it reads a digest taken while streaming. A method that was
not expected is computed from the content when asked for, so the outcome is the one digesting
the content in line would give, whatever the signature names. Content that would not be handed
over (:func:`~..offload.worth_offloading`) is returned as it is, for the check to digest in
line at no extra cost.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator

from ..offload import Offloaded, offload, worth_offloading
from .model import DigestMethod, DigestsUnderWay, ExternalDigest

__all__ = ["digested_beside"]


def digested_beside(content: bytes, methods: frozenset[DigestMethod]) -> bytes | ExternalDigest:
    """The digests of ``content`` under ``methods``, being taken on the worker thread (any
    other method computed when a reference asks for it); or ``content`` itself where it is
    too small to hand over, or the process has one core."""
    if not worth_offloading(len(content)):
        return content
    return ExternalDigest(_DigestsBeside(content, methods))


def _digests(content: bytes, methods: frozenset[DigestMethod]) -> dict[DigestMethod, bytes]:
    return {method: method.digest(content) for method in methods}


class _DigestsBeside(DigestsUnderWay):
    """Every method's digest of ``content``: the expected ones from the worker, the rest here.
    Iteration lists the expected methods only."""

    def __init__(self, content: bytes, methods: frozenset[DigestMethod]) -> None:
        self._content, self._methods = content, methods
        self._pending: Offloaded[dict[DigestMethod, bytes]] | None = offload(
            functools.partial(_digests, content, methods), size=len(content), kind="digest"
        )
        self._found: dict[DigestMethod, bytes] = {}

    def __getitem__(self, method: DigestMethod) -> bytes:
        if self._pending is not None:
            pending, self._pending = self._pending, None
            self._found.update(pending.result())
        found = self._found.get(method)
        if found is None:
            found = self._found[method] = method.digest(self._content)
        return found

    @property
    def under_way(self) -> bool:
        return self._pending is not None

    def __iter__(self) -> Iterator[DigestMethod]:
        return iter(self._methods)

    def __len__(self) -> int:
        return len(self._methods)
