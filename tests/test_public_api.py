"""The curated top-level API: every advertised name exists and says what it is."""

from __future__ import annotations

import importlib
from pathlib import Path

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


def test_every_module_says_what_it_exports() -> None:
    # docs/development.md: ``__all__`` in each module, naming only what the module defines or
    # re-exports on purpose, every name of it present.
    package = Path(peppol_dpi.__file__).parent
    for path in sorted(package.rglob("*.py")):
        if path.name == "__main__.py":
            continue
        module_name = ".".join(path.relative_to(package.parent).with_suffix("").parts)
        module = importlib.import_module(module_name.removesuffix(".__init__"))
        exported = getattr(module, "__all__", None)
        assert isinstance(exported, list), f"{module_name} has no __all__"
        missing = [name for name in exported if not hasattr(module, name)]
        assert not missing, f"{module_name}.__all__ names what it lacks: {missing}"
