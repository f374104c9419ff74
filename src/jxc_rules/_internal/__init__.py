"""Helpers shared by several kernels (exact arithmetic, array checks). Not public API."""
