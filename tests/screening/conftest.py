"""Fixtures of the screening tests (the cast itself is in screening_cast.py)."""

from screening_cast import maria

__all__ = ["maria"]
