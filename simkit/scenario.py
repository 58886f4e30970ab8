"""Loading a scenario: read and layer its files (:mod:`simkit.io.scenario`), then validate and build it.

A version-1 file becomes a :class:`simkit.spec.Scenario`, a file with
``[scenario] version = 2`` a :class:`simkit.model.spec.ModelScenario`. This
module sits above :mod:`simkit.io`, :mod:`simkit.spec` and
:mod:`simkit.model.spec`: io only reads files, the two specs only validate.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from simkit.io.scenario import read_layers
from simkit.model.spec import ModelScenario, build_model_scenario
from simkit.spec import Scenario, build_scenario

__all__ = ["auto_base", "load_scenario"]


def load_scenario(
    source: str | Path | Sequence[str | Path | Mapping[str, Any]] | Mapping[str, Any] | None = None,
):  # returns Scenario | ModelScenario; unannotated, as callers narrow it by use (either kind runs)
    """Load, layer and validate a scenario.

    Parameters
    ----------
    source : None, path, embedded name, dict, or a list of these
        ``None`` loads the embedded default (the Norddjurs–DSI agreement). A
        list is layered in order, e.g. ``["norddjurs", "reform.toml"]``; a dict
        is an in-memory layer (handy in notebooks). When the first file is an
        *override* (it has no ``[agreement]`` table), it is layered on the
        embedded default, which then appears first in the scenario's
        ``sources`` (:func:`auto_base` says whether that happened).

    Returns
    -------
    simkit.spec.Scenario or simkit.model.spec.ModelScenario
        The latter for a file with ``[scenario] version = 2``.

    Raises
    ------
    ScenarioError
        For any problem, naming the file, key path and value.

    Examples
    --------
    >>> sc = load_scenario()
    >>> sc.agreement.cohort_size
    95
    >>> type(load_scenario("norddjurs_v1")).__name__
    'Scenario'
    """
    doc, prov, sources = read_layers(source)
    scen = doc.get("scenario")
    version = scen.get("version") if isinstance(scen, Mapping) else None
    if version == 2:
        return build_model_scenario(doc, sources=sources, provenance=prov)
    return build_scenario(doc, sources=sources, provenance=prov)


def auto_base(sc: Scenario | ModelScenario, given: Sequence[Any]) -> bool:
    """Whether :func:`load_scenario` put the first of ``given`` (paths or names) on the embedded default.

    Parameters
    ----------
    sc : Scenario or ModelScenario
        What :func:`load_scenario` returned for ``given``.
    given : sequence
        The paths or names it was called with.

    Returns
    -------
    bool

    Examples
    --------
    >>> auto_base(load_scenario(["norddjurs"]), ["norddjurs"])  # a whole scenario: not layered
    False
    """
    return bool(given) and len(sc.sources) == len(given) + 1
