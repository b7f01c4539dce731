"""The ``peppol-dpi`` command line (contract: docs/cli.md)."""

__all__: list[str] = []  # the modules of the package are imported by name
