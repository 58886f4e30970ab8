"""simkit: social investment agreements — simulate, evaluate, design.

The pipeline reads like the data flow::

    io (files) -> spec (validated scenario) -> params -> cohort -> indicators
      -> contract / budget -> engine -> results -> sensitivity / plotting / cli

Array axis order everywhere: ``(draw, person)``; a year axis, where there is
one, comes last in results.
"""

__version__ = "0.1.0"

from simkit.io.scenario import embedded_scenarios

__all__ = ["__version__", "compare", "embedded_scenarios", "evaluate", "load_scenario", "set_parameter",
           "simulate", "synthesize"]


def __getattr__(name: str):
    """Load ``simkit.load_scenario``, ``simulate``, ``evaluate`` and ``synthesize`` (numpy/pandas) only when first used.

    So the command line handles Ctrl-C from its first instant.
    """
    # start-up speed (each import below): each loads numpy/pandas, so only when first used
    if name == "load_scenario":
        from simkit.scenario import load_scenario  # start-up speed

        return load_scenario
    if name == "simulate":
        from simkit.engine import simulate  # start-up speed

        return simulate
    if name == "evaluate":
        from simkit.evaluation import evaluate  # start-up speed

        return evaluate
    if name in ("compare", "set_parameter"):
        from simkit import whatif  # start-up speed

        return getattr(whatif, name)
    if name == "synthesize":
        from simkit.synth import synthesize  # start-up speed

        return synthesize
    raise AttributeError(f"module 'simkit' has no attribute {name!r}")
