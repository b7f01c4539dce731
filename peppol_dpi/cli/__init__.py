"""The ``peppol-dpi`` command line (contract: docs/cli.md)."""
