"""File input and output: the only package that touches files.

``simkit.io.scenario`` reads scenario TOML files, ``simkit.io.observed``
participant data (CSV/.xlsx), ``simkit.io.files`` writes outputs atomically.
The observed-data functions are re-exported here and load pandas on first use.
"""

_OBSERVED = ("OBSERVED_COLUMNS", "read_observed", "validate_observed", "write_observed_csv")

__all__ = list(_OBSERVED)


def __getattr__(name: str):
    if name in _OBSERVED:
        # start-up speed: the observed-data reader loads pandas, so only when first used
        from simkit.io import observed

        return getattr(observed, name)
    raise AttributeError(f"module 'simkit.io' has no attribute {name!r}")
