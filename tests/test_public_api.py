"""The curated top-level API: every advertised name exists and says what it is."""

from __future__ import annotations

import peppol_dpi


def test_every_exported_name_exists_and_is_documented() -> None:
    for name in peppol_dpi.__all__:
        obj = getattr(peppol_dpi, name)
        if callable(obj):
            assert obj.__doc__, f"{name} has no docstring"


def test_exports_are_sorted_and_unique() -> None:
    assert len(set(peppol_dpi.__all__)) == len(peppol_dpi.__all__)


def test_error_root() -> None:
    for name in (
        "InputError",
        "UsageError",
        "TransportError",
        "SignatureError",
        "CertificateError",
    ):
        assert issubclass(getattr(peppol_dpi, name), peppol_dpi.PeppolDpiError)
