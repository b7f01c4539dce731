"""Helpers for tests, demos and benchmarks (a test PKI). Never for production use."""
