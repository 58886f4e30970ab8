"""File input and output: the only package that touches files."""

from simkit.io.observed import (
    OBSERVED_COLUMNS,
    read_observed,
    validate_observed,
    write_observed_csv,
)

__all__ = [
    "OBSERVED_COLUMNS",
    "read_observed",
    "validate_observed",
    "write_observed_csv",
]
