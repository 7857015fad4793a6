"""alstrack: the clinical pathway of an MSC therapy program for ALS, measured honestly."""

__version__ = "0.1.0"
