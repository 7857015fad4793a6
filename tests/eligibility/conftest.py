"""Fixtures of the eligibility tests (the cast itself is in eligibility_cast.py)."""

from eligibility_cast import maria

__all__ = ["maria"]
