"""Randomness: one seed convention, named streams, block generators.

Every random number in simkit comes from here.

The convention
--------------
* Functions that run the Monte Carlo engine (:func:`simkit.simulate`, the
  sensitivity analyses, :func:`simkit.evaluate`, :func:`simkit.synthesize`)
  take a keyword-only ``seed``: the **root seed** of the run, recorded in the
  result's provenance. :func:`root_seed` turns it into a whole number.
* Array-level functions that only need a generator (``simkit.sensitivity``'s
  ``sobol``, ``split_variance``, ...) take a keyword-only ``rng`` and pass it
  through :func:`as_generator`, as ``scipy.stats`` does (SPEC 7).
* Both accept the same values: ``None`` (fresh entropy from the operating
  system; an engine run records the root it drew, so it can be repeated), a
  whole number ``>= 0`` (``0`` is a seed like any other), a
  :class:`numpy.random.SeedSequence` or a :class:`numpy.random.Generator`.
  Booleans, floats (``1.7`` is not silently read as ``1``), strings and
  negative numbers are refused with an :class:`~simkit.errors.InputError`
  naming the argument, the value and what is expected.

Streams
-------
A run's random numbers are split into independent **named streams**, each a
child of the root ``SeedSequence(seed)`` with spawn key ``(stream id, ...)``.
The ids are part of the reproducibility contract: changing one changes every
seeded result, so they are listed once, in :data:`STREAMS`, and never reused.

Draws are grouped in blocks of ``simkit.engine.BLOCK`` draws; block ``b`` of
stream ``s`` has its own generator, :func:`block_generator` ``(seed, s, b)``.
A chunk of work is any run of whole or partial blocks, so results are
bit-identical whatever the chunk size, batch size, number of workers or
backend.
"""

from __future__ import annotations

import numbers
from types import MappingProxyType

import numpy as np

from simkit.errors import InputError, Problem

__all__ = ["STREAMS", "RngLike", "as_generator", "block_generator", "root_seed",
           "stream_generator"]

RngLike = (
    None | int | np.integer | np.random.SeedSequence | np.random.BitGenerator | np.random.Generator
)
"""What ``seed=`` and ``rng=`` accept."""

STREAMS = MappingProxyType({
    "parameters": 0,     # engine: uncertain parameter draws, spawn key (0, block)
    "cohort": 1,         # engine: the cohort's uniforms in both arms, (1, block)
    "synth_details": 7,  # synth: offsets, hours, scores and ids of a synthetic table, (7, draw)
    "repayment_due": 11,  # evaluation: predictive draws of the repayment due, (11,)
    "model_transitions": 20,  # declarative model: Philox key of the transition uniforms, (20, block)
    "model_scores": 21,       # declarative model: score indicators' normals, (21, block)
    "portfolio_factors": 30,     # portfolio: the shared factors' normals, (30, block)
    "portfolio_agreements": 31,  # portfolio: each agreement's root seed, (31, agreement)
    "interim_forecast": 32,   # interim forecast: root of its reference simulation (32,), its predictive draws (32, 1)
})
"""Named streams and their spawn-key ids (fixed forever: see the module docstring)."""

_EXPECTED = "None, a non-negative whole number, a numpy SeedSequence or a numpy Generator"
_EXPECTED_NOT_NONE = "a non-negative whole number, a numpy SeedSequence or a numpy Generator"


class SeedTypeError(InputError, TypeError):
    """A seed or generator argument of the wrong type (also a ``TypeError``)."""


def _refuse(name: str, value: object, expected: str = _EXPECTED) -> InputError:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        kind = type(value).__name__
        return SeedTypeError(Problem(name, value, f"{expected} (not a {kind})"))
    return InputError(Problem(name, value, expected))


def _whole(value: object) -> int | None:
    """``value`` as a non-negative int, or ``None`` if it is not one."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        return None
    v = int(value)
    return v if v >= 0 else None


def as_generator(rng: RngLike = None, *, name: str = "rng") -> np.random.Generator:
    """Return a numpy ``Generator`` for ``rng`` (SPEC 7 semantics).

    Parameters
    ----------
    rng : None, int, numpy.random.SeedSequence, numpy.random.BitGenerator or numpy.random.Generator
        ``None`` draws fresh entropy (not reproducible); a whole number
        ``>= 0`` (``0`` included) or a ``SeedSequence`` seeds a new PCG64
        generator; a ``BitGenerator`` is wrapped; a ``Generator`` is returned
        unchanged, so its state advances as it is used.
    name : str, keyword-only
        Argument name used in the error message.

    Returns
    -------
    numpy.random.Generator

    Raises
    ------
    simkit.errors.InputError
        For a negative whole number; a :class:`SeedTypeError` (also a
        ``TypeError``) for any other type, including booleans, floats and the
        legacy ``numpy.random.RandomState``.

    Examples
    --------
    >>> from simkit.rng import as_generator
    >>> as_generator(0).random() == as_generator(0).random()
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
    seed = _whole(rng)
    if seed is None:
        raise _refuse(name, rng)
    return np.random.default_rng(seed)


def root_seed(seed: RngLike = None, *, name: str = "seed", allow_none: bool = True) -> int:
    """Validate a ``seed`` argument and return the whole-number root seed of a run.

    The one seed check of every public function that runs the engine.

    Parameters
    ----------
    seed : None, int, numpy.random.SeedSequence or numpy.random.Generator
        A whole number ``>= 0`` is returned unchanged. ``None`` draws a fresh
        root from operating-system entropy. A ``SeedSequence`` without a spawn
        key gives its entropy (so ``SeedSequence(5)`` and ``5`` are the same
        run); any other ``SeedSequence`` gives a root generated from it. A
        ``Generator`` gives a root drawn from it (its state advances).
    name : str, keyword-only
        Argument name used in the error message.
    allow_none : bool, keyword-only
        Whether ``None`` is accepted (``False`` where a result must be
        reproducible, e.g. synthetic data).

    Returns
    -------
    int
        A root seed in ``[0, 2**63)`` for a generated one.

    Raises
    ------
    simkit.errors.InputError
        For a negative number, or ``None`` when not allowed; a
        :class:`SeedTypeError` (also a ``TypeError``) for a boolean, a float
        such as ``1.7``, a string or any other type.

    Examples
    --------
    >>> import numpy as np
    >>> from simkit.rng import root_seed
    >>> root_seed(0), root_seed(np.int64(2025)), root_seed(np.random.SeedSequence(7))
    (0, 2025, 7)
    >>> root_seed(1.7)
    Traceback (most recent call last):
    ...
    simkit.rng.SeedTypeError: seed: got 1.7; expected None, a non-negative whole number, a numpy SeedSequence or a numpy Generator (not a float)
    """
    if seed is None:
        if not allow_none:
            raise InputError(Problem(name, None, f"{_EXPECTED_NOT_NONE} (required here)"))
        return int(np.random.SeedSequence().entropy) % (2**63)  # type: ignore[arg-type]  # fresh: an int
    if isinstance(seed, np.random.SeedSequence):
        if not seed.spawn_key and isinstance(seed.entropy, int):
            return int(seed.entropy)
        return int(seed.generate_state(1, np.uint64)[0] >> np.uint64(1))
    if isinstance(seed, np.random.Generator):
        return int(seed.integers(0, 2**63))
    value = _whole(seed)
    if value is None:
        raise _refuse(name, seed, _EXPECTED if allow_none else _EXPECTED_NOT_NONE)
    return value


def stream_generator(seed: int, stream: str, *key: int) -> np.random.Generator:
    """Return the generator of a named stream: ``SeedSequence(seed, spawn_key=(STREAMS[stream], *key))``.

    Parameters
    ----------
    seed : int
        Root seed (from :func:`root_seed`).
    stream : str
        A name in :data:`STREAMS`.
    *key : int
        Further spawn-key entries (a block or draw number).

    Returns
    -------
    numpy.random.Generator
        PCG64 seeded by that child ``SeedSequence``.

    Examples
    --------
    >>> import numpy as np
    >>> from simkit.rng import stream_generator
    >>> a = stream_generator(3, "repayment_due").random()
    >>> a == np.random.default_rng(np.random.SeedSequence(3, spawn_key=(11,))).random()
    True
    """
    try:
        sid = STREAMS[stream]
    except KeyError:
        raise ValueError(f"unknown random stream {stream!r}; known: {', '.join(STREAMS)}") from None
    ss = np.random.SeedSequence(seed, spawn_key=(sid, *(int(k) for k in key)))
    return np.random.Generator(np.random.PCG64(ss))


def block_generator(seed: int, stream: str, block: int) -> np.random.Generator:
    """Return the generator of block ``block`` of a named stream (draws ``block * BLOCK ...``).

    Parameters
    ----------
    seed : int
        Root seed.
    stream : str
        A name in :data:`STREAMS`, e.g. ``"parameters"`` or ``"cohort"``.
    block : int
        Block number (draw index // ``simkit.engine.BLOCK``).

    Returns
    -------
    numpy.random.Generator

    Examples
    --------
    >>> from simkit.rng import block_generator
    >>> block_generator(1, "cohort", 0).random() == block_generator(1, "cohort", 0).random()
    True
    >>> block_generator(1, "cohort", 0).random() == block_generator(1, "cohort", 1).random()
    False
    """
    return stream_generator(seed, stream, block)
