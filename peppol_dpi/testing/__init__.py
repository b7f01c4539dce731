"""Helpers for tests, demos and benchmarks (a test PKI). Never for production use."""

__all__: list[str] = []  # the modules of the package are imported by name
