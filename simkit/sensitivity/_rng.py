"""One way to turn a user's ``rng`` argument into a numpy ``Generator``.

Every random function in :mod:`simkit.sensitivity` takes a keyword-only
``rng`` and passes it through :func:`as_generator` first (SPEC 7, as in
``scipy.stats``). Unlike SALib's ``handle_seed``, the seed ``0`` is a seed like
any other: only ``None`` means "fresh entropy from the operating system".
"""

from __future__ import annotations

import numbers

import numpy as np

RngLike = (
    None | int | np.integer | np.random.SeedSequence | np.random.BitGenerator | np.random.Generator
)


def as_generator(rng: RngLike = None) -> np.random.Generator:
    """Return a numpy ``Generator`` for ``rng``.

    Parameters
    ----------
    rng : None, int, numpy.random.SeedSequence, numpy.random.BitGenerator or numpy.random.Generator
        ``None`` draws fresh entropy (results are not reproducible); an int
        (``0`` included) or a ``SeedSequence`` seeds a new PCG64 generator; a
        ``BitGenerator`` is wrapped; a ``Generator`` is returned unchanged, so
        its state advances as it is used.

    Returns
    -------
    numpy.random.Generator

    Raises
    ------
    TypeError
        For anything else, including booleans and the legacy
        ``numpy.random.RandomState``.
    ValueError
        For a negative integer seed.

    Examples
    --------
    >>> from simkit.sensitivity._rng import as_generator
    >>> a = as_generator(0).random()
    >>> b = as_generator(0).random()
    >>> a == b
    True
    >>> g = as_generator(None)
    >>> as_generator(g) is g
    True
    """
    if rng is None:
        return np.random.default_rng()
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, np.random.BitGenerator):
        return np.random.Generator(rng)
    if isinstance(rng, np.random.SeedSequence):
        return np.random.default_rng(rng)
    if isinstance(rng, (bool, np.bool_)):
        raise TypeError(
            f"rng: got {rng!r}; expected None, an int seed, a SeedSequence or a Generator"
        )
    if isinstance(rng, numbers.Integral):
        seed = int(rng)
        if seed < 0:
            raise ValueError(f"rng: got {seed}; expected a non-negative int seed")
        return np.random.default_rng(seed)
    raise TypeError(
        f"rng: got {type(rng).__name__} {rng!r}; "
        "expected None, an int seed, a SeedSequence, a BitGenerator or a Generator"
    )
