"""The encrypted document package end to end: seal (ASiC-E + XAdES + CMS) and open.

:func:`seal` streams the zip straight into the CMS encryptor (BER with indefinite lengths, the
layout of BouncyCastle's streaming generator that Digdir's integrasjonspunkt uses, dpi.md 3.4),
so the plaintext zip is never held whole. :func:`open_package` decrypts and then verifies
everything :func:`~.asic.read_package` verifies; :func:`open_package_from` does the same from a
file, decrypting into a spool instead of memory; :func:`open_package_to` also streams the
documents into a directory instead of returning them. The business message's fingerprint is
:func:`~.cms.package_fingerprint` of the sealed bytes.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path
from typing import IO, BinaryIO, TypeVar

from cryptography import x509

from ..arguments import (
    require_bytes,
    require_instance,
    require_limits,
    require_sink,
    require_source,
    require_spool_dir,
    require_time,
)
from ..errors import CertificateError, DecryptionError, InputError
from ..keys import PrivateKey, require_certificate, require_key
from ..limits import DEFAULT_LIMITS, Limits
from ..spool import spool
from ..trust import TrustPolicy, require_trust
from . import cms
from .asic import AsicBuilder, VerifiedPackage, read_package
from .unpack import UnpackedPackage, destination, read_package_to

__all__ = ["open_package", "open_package_from", "open_package_to", "seal", "seal_to"]


def _check_seal(
    caller: str,
    builder: object,
    key: object,
    *,
    recipient: object,
    signing_time: object,
    limits: object,
) -> None:
    require_instance(builder, AsicBuilder, caller=caller, name="builder")
    require_key(key, caller=caller)
    require_certificate(recipient, caller=caller, name="recipient")
    require_time(signing_time, caller=caller, name="signing_time")
    require_limits(limits, caller=caller)


def _check_open(caller: str, key: object, trust: object, at: object, limits: object) -> None:
    # A key of the wrong type must not pass for a package that cannot be decrypted.
    require_key(key, caller=caller)
    require_limits(limits, caller=caller)
    require_trust(trust, caller=caller, optional=True)
    require_time(at, caller=caller, name="at", optional=True)


def seal_to(
    sink: BinaryIO,
    builder: AsicBuilder,
    key: PrivateKey,
    *,
    recipient: x509.Certificate,
    signing_time: datetime,
    limits: Limits = DEFAULT_LIMITS,
) -> None:
    """Sign the package with ``key``, encrypt it to ``recipient`` and write the CMS to ``sink``."""
    require_sink(sink, caller="seal_to", name="sink")
    _check_seal(
        "seal_to", builder, key, recipient=recipient, signing_time=signing_time, limits=limits
    )
    _seal_into(sink, builder, key, recipient=recipient, signing_time=signing_time, limits=limits)


def _seal_into(
    sink: BinaryIO,
    builder: AsicBuilder,
    key: PrivateKey,
    *,
    recipient: x509.Certificate,
    signing_time: datetime,
    limits: Limits,
) -> None:
    # seal() and seal_to() after their argument checks.
    with cms.EnvelopedDataWriter(sink, recipient) as encrypted:
        builder.write(encrypted, key, signing_time=signing_time, limits=limits)


def seal(
    builder: AsicBuilder,
    key: PrivateKey,
    *,
    recipient: x509.Certificate,
    signing_time: datetime,
    limits: Limits = DEFAULT_LIMITS,
) -> bytes:
    """The dokumentpakke: the signed ASiC-E encrypted to ``recipient`` (see :func:`seal_to`)."""
    _check_seal("seal", builder, key, recipient=recipient, signing_time=signing_time, limits=limits)
    sink = io.BytesIO()
    _seal_into(sink, builder, key, recipient=recipient, signing_time=signing_time, limits=limits)
    return sink.getvalue()


def open_package(
    data: bytes,
    key: PrivateKey,
    *,
    trust: TrustPolicy | None = None,
    at: datetime | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> VerifiedPackage:
    """Decrypt a dokumentpakke with ``key`` and verify it (see :func:`~.asic.read_package`).

    Raises :class:`~peppol_dpi.errors.DecryptionError` when it cannot be decrypted *or* the
    decrypted package does not verify (one answer for both: no padding oracle), and
    :class:`~peppol_dpi.errors.CertificateError` when the signer is not trusted.
    """
    data = require_bytes(data, caller="open_package", name="data")
    _check_open("open_package", key, trust, at, limits)
    plaintext = cms.decrypt(data, key, limits=limits)
    return _padding_safe(lambda: read_package(plaintext, trust=trust, at=at, limits=limits))


def _encrypted(
    stack: ExitStack, source: BinaryIO | IO[bytes] | str | os.PathLike[str]
) -> IO[bytes]:
    if isinstance(source, str | os.PathLike):
        return stack.enter_context(Path(source).open("rb"))
    return source


def open_package_from(
    source: BinaryIO | IO[bytes] | str | os.PathLike[str],
    key: PrivateKey,
    *,
    trust: TrustPolicy | None = None,
    at: datetime | None = None,
    limits: Limits = DEFAULT_LIMITS,
    spool_dir: str | os.PathLike[str] | None = None,
) -> VerifiedPackage:
    """:func:`open_package` for a dokumentpakke in a file (a path, or a binary stream read
    from its current position): the CMS is decrypted chunk by chunk into a spool
    (``spool_dir``; in memory while small) and the zip read from there, so neither the
    encrypted nor the decrypted package is held whole; the documents themselves are (the
    returned :class:`~.asic.VerifiedPackage` holds their content; :func:`open_package_to`
    does not)."""
    require_source(source, caller="open_package_from", name="source")
    _check_open("open_package_from", key, trust, at, limits)
    require_spool_dir(spool_dir, caller="open_package_from")
    with ExitStack() as stack:
        encrypted = _encrypted(stack, source)
        plaintext = stack.enter_context(spool(spool_dir))
        cms.decrypt_stream(encrypted, key, plaintext, limits=limits)  # type: ignore[arg-type]
        return _padding_safe(lambda: read_package(plaintext, trust=trust, at=at, limits=limits))


def open_package_to(
    source: BinaryIO | IO[bytes] | str | os.PathLike[str],
    key: PrivateKey,
    directory: str | os.PathLike[str],
    *,
    trust: TrustPolicy | None = None,
    at: datetime | None = None,
    limits: Limits = DEFAULT_LIMITS,
    spool_dir: str | os.PathLike[str] | None = None,
) -> UnpackedPackage:
    """:func:`open_package_from` that writes the documents into ``directory`` instead of
    returning them (see :func:`~.unpack.read_package_to`): memory does not grow with the
    documents, and nothing is written there unless the package verified. The decrypted zip
    is spooled in ``spool_dir`` (default: ``directory``)."""
    require_source(source, caller="open_package_to", name="source")
    _check_open("open_package_to", key, trust, at, limits)
    require_spool_dir(spool_dir, caller="open_package_to")
    require_instance(
        directory, (str, os.PathLike), caller="open_package_to", name="directory", expected="a path"
    )
    out = destination(directory)
    with ExitStack() as stack:
        encrypted = _encrypted(stack, source)
        plaintext = stack.enter_context(spool(spool_dir if spool_dir is not None else out))
        cms.decrypt_stream(encrypted, key, plaintext, limits=limits)  # type: ignore[arg-type]
        return _padding_safe(
            lambda: read_package_to(plaintext, out, trust=trust, at=at, limits=limits)
        )


_T = TypeVar("_T")


def _padding_safe(read: Callable[[], _T]) -> _T:
    try:
        return read()
    except CertificateError:
        raise  # only raised once the signature has verified: it reveals nothing about padding
    except InputError as exc:
        # CBC has no integrity of its own. If a damaged zip, manifest or signature answered
        # differently from bad padding, whoever sees the answer (a "feil" message back to a
        # sender) would hold a padding oracle (Vaudenay 2002) and could decrypt a package
        # block by block. Until the XAdES signature has verified, every failure is the one
        # DecryptionError; the detail stays in __cause__ for the receiver's own logs.
        raise DecryptionError() from exc
