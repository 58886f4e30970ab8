"""Moved to :mod:`simkit.rng` (the one randomness module); kept so old imports work."""

from simkit.rng import RngLike, as_generator

__all__ = ["RngLike", "as_generator"]
