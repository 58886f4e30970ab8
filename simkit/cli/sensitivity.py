"""``simkit sensitivity``: tornado, two-way grid, Sobol', variance split, EVPI, scenario discovery.

Options are validated before any simulation (unknown parameter names get a
close-match suggestion); an option that the chosen method does not use is an
error. ``--json FILE`` is written atomically, and only after success; its
format, for every method, is in ``docs/json-formats.md``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from simkit import sensitivity as S
from simkit.backends import SCHEDULER_ENV, pick_backend
from simkit.cli._common import check_out_paths, header, load, write_json_if
from simkit.design import split_label, variant
from simkit.engine import simulate
from simkit.errors import InputError, Problem
from simkit.limits import estimate_memory, memory_bound
from simkit.sensitivity import model as M
from simkit.sensitivity.twoway import default_axes
from simkit.spec import MAX_COHORT_SIZE

#: options each method uses (dest names); anything else given is an error
_USES = {
    "tornado": {"draws", "params", "range", "level"},
    "twoway": {"draws", "params", "range", "level", "grid"},
    "sobol": {"params", "n_base", "inner", "outputs", "resamples"},
    "variance": {"inner", "outer", "outputs", "cohort_sizes", "resamples"},
    "evpi": {"draws", "params", "decision", "perspective", "variants", "group"},
    "discovery": {"draws", "params", "events"},
}
_FLAGS = {"draws": "--draws", "params": "--params", "range": "--range", "level": "--level",
          "grid": "--grid", "n_base": "--n-base", "inner": "--inner", "outer": "--outer",
          "outputs": "--outputs", "cohort_sizes": "--cohort-sizes", "resamples": "--resamples",
          "decision": "--decision", "perspective": "--perspective", "variants": "--variants",
          "group": "--group", "events": "--events"}
_DEFAULT_DRAWS = {"tornado": 4000, "twoway": 1000, "evpi": 20_000, "discovery": 20_000}


def _split(text: str | None) -> list[str] | None:
    return None if text is None else [s.strip() for s in text.split(",") if s.strip()]


def _parse_ranges(items: list[str] | None) -> dict[str, tuple[float, float]]:
    out: dict[str, tuple[float, float]] = {}
    for item in items or []:
        name, sep, vals = item.partition("=")
        bits = vals.split(",")
        try:
            if not sep or len(bits) != 2:
                raise ValueError
            out[name.strip()] = (float(bits[0]), float(bits[1]))
        except ValueError:
            raise InputError(Problem("--range", item, "NAME=LOW,HIGH, e.g. completion_rate=0.6,0.9")) from None
    return out


def _parse_groups(items: list[str] | None) -> dict[str, list[str]] | None:
    if items is None:
        return None
    out: dict[str, list[str]] = {}
    for item in items:
        name, sep, members = item.partition("=")
        names = _split(members) or []
        if not sep or not name.strip() or not names:
            raise InputError(Problem("--group", item, "NAME=A,B, e.g. effect=completion_rate,"
                                                      "outcome_rate_completers"))
        out[name.strip()] = names
    return out


def _ints(flag: str, text: str | None) -> list[int] | None:
    if text is None:
        return None
    try:
        vals = [int(s) for s in _split(text) or []]
    except ValueError:
        vals = []
    if not vals or min(vals) < 1:
        raise InputError(Problem(flag, text, "whole numbers >= 1 separated by commas, e.g. 50,95,190"))
    return vals


def _validate_sensitivity(args: argparse.Namespace, sc: Any) -> dict[str, Any]:
    """Check every option against the method and the scenario; return keyword arguments."""
    m = args.method
    unused = [_FLAGS[k] for k in _FLAGS if getattr(args, k) is not None and k not in _USES[m]]
    if unused:
        raise InputError(Problem(", ".join(unused), "given", f"only options used by --method {m}"))
    kw: dict[str, Any] = {"seed": args.seed}
    if m in ("tornado", "twoway"):
        ranges = M.check_ranges(sc, _parse_ranges(args.range), where="--range")
        kw.update(ranges=ranges, level=args.level or 0.95, draws=args.draws or _DEFAULT_DRAWS[m])
        params = _split(args.params)
        if m == "tornado":
            kw["params"] = M.check_params(sc, params, where="--params", allow_fixed=tuple(ranges))
        else:
            if params is None:  # the scenario's first two uncertain parameters (either version)
                params = list(default_axes(sc))
            if len(params) != 2:
                raise InputError(Problem("--params", args.params, "exactly two parameter names, x,y"))
            M.check_params(sc, params, where="--params", allow_fixed=tuple(ranges))
            kw.update(x=params[0], y=params[1], n_grid=args.grid or 7)
            if kw["n_grid"] < 2:
                raise InputError(Problem("--grid", args.grid, "at least 2 points per axis"))
    elif m == "sobol":
        n = args.n_base or 2048
        if n < 2 or n & (n - 1):
            raise InputError(Problem("--n-base", n, "a power of 2, at least 2 (e.g. 1024, 2048)"))
        kw.update(params=M.check_params(sc, _split(args.params), where="--params"),
                  outputs=M._check_outputs(sc, _split(args.outputs) or ["repayment", "net_pv"],
                                           where="--outputs"),
                  n=n, inner=args.inner or 8,
                  n_resamples=499 if args.resamples is None else args.resamples)
    elif m == "variance":
        inner = args.inner or 4
        if inner < 2:
            raise InputError(Problem("--inner", inner, "at least 2 cohorts per parameter set"))
        outer = args.outer or 2000
        if outer < 2:
            raise InputError(Problem("--outer", outer, "at least 2 parameter sets"))
        kw.update(outputs=M._check_outputs(sc, _split(args.outputs) or ["repayment", "net_pv"],
                                           where="--outputs"),
                  inner=inner, outer=outer, cohort_sizes=_ints("--cohort-sizes", args.cohort_sizes),
                  n_resamples=499 if args.resamples is None else args.resamples)
    elif m == "evpi":
        kw.update(draws=args.draws or _DEFAULT_DRAWS[m],
                  params=M.check_params(sc, _split(args.params), where="--params"),
                  perspective=args.perspective or "municipality",
                  decision=args.decision or "enter")
        groups = _parse_groups(args.group)
        if groups:
            clash = sorted(set(groups) & set(sc.parameters))
            if clash:
                raise InputError(Problem("--group", clash, "group names different from parameter names"))
            for g, ms in groups.items():
                M.check_params(sc, ms, where=f"--group {g}")
        kw["groups"] = groups
        if args.variants is not None and kw["decision"] != "terms":
            raise InputError(Problem("--variants", "given", "--decision terms (variants are its options)"))
        variants = dict(split_label(v) for v in (args.variants or ["threshold", "pro_rata"]))
        if len(variants) < 2:
            raise InputError(Problem("--variants", args.variants, "at least two distinct variants"))
        for spec in variants.values():
            variant(sc.contract, spec, cohort_size=sc.agreement.cohort_size)
        kw["variants"] = variants
    else:  # discovery
        events = _split(args.events) or ["no_repayment", "budget_loss"]
        bad = [e for e in events if e not in M.EVENTS]
        if bad:
            raise InputError([Problem("--events", e, f"one of {', '.join(M.EVENTS)}"
                                      f"{M._suggest(e, list(M.EVENTS))}") for e in bad])
        kw.update(draws=args.draws or _DEFAULT_DRAWS[m], events=events,
                  params=M.check_params(sc, _split(args.params), where="--params"))
    _check_sizes(m, kw, sc)
    return kw


_MAX_GRID = 101


def _check_sizes(m: str, kw: dict[str, Any], sc: Any) -> None:
    """Refuse, before any work, sizes whose cohort draws would not fit in memory."""
    if m == "twoway" and kw["n_grid"] > _MAX_GRID:
        raise InputError(Problem("--grid", kw["n_grid"], f"at most {_MAX_GRID} points per axis"))
    if m == "sobol":
        flag, value = ("--inner", kw["inner"]) if kw["inner"] > 64 else ("--n-base", kw["n"])
        total = kw["n"] * (len(kw["params"] or sc.parameters) + 2) * kw["inner"]
    elif m == "variance":

        largest = max(kw["cohort_sizes"] or [4 * sc.agreement.cohort_size])
        if largest > MAX_COHORT_SIZE:
            return  # the scenario check names the cohort bound
        flag, value = ("--inner", kw["inner"]) if kw["inner"] > kw["outer"] else ("--outer", kw["outer"])
        if largest > 64 * sc.agreement.cohort_size:
            flag, value = "--cohort-sizes", largest
        total = kw["outer"] * kw["inner"] * max(1, -(-largest // sc.agreement.cohort_size))
    else:
        return  # the engine checks --draws itself
    need, bound = estimate_memory(sc, total, curve_draws=0), memory_bound()
    if need > bound:
        raise InputError(Problem(flag, value, f"a smaller value: {total:,} cohort draws would need "
                                              f"about {need / 1e9:,.1f} GB of memory, more than the "
                                              f"bound of {bound / 1e9:,.1f} GB"))


def execute(args: argparse.Namespace) -> int:
    """Run ``simkit sensitivity`` with parsed arguments.

    Parameters
    ----------
    args
        From :func:`simkit.cli.build_parser`.

    Returns
    -------
    int
        The exit code, 0.

    Examples
    --------
    >>> from simkit.cli import build_parser
    >>> args = build_parser().parse_args(["sensitivity", "--method", "sobol", "--n-base", "1024"])
    >>> args.method, args.n_base, args.inner  # None: the method's default applies
    ('sobol', 1024, None)
    """
    check_out_paths(args.json, inputs=args.scenario)
    sc = load(args)
    kw = _validate_sensitivity(args, sc)
    with scheduler_env(args.scheduler):
        return _run(args, sc, kw)


@contextmanager
def scheduler_env(address: str | None) -> Iterator[None]:
    """``SIMKIT_SCHEDULER`` set to ``address`` while a command runs (the analyses' evaluations find it).

    Parameters
    ----------
    address
        The ``--scheduler`` option's value; None leaves the environment as it is.

    Yields
    ------
    None

    Examples
    --------
    >>> import os
    >>> with scheduler_env("tcp://10.0.0.5:8786"):
    ...     os.environ[SCHEDULER_ENV]
    'tcp://10.0.0.5:8786'
    """
    if address is None:
        yield
        return
    old = os.environ.get(SCHEDULER_ENV)
    os.environ[SCHEDULER_ENV] = address
    try:
        yield
    finally:
        if old is None:
            os.environ.pop(SCHEDULER_ENV, None)
        else:
            os.environ[SCHEDULER_ENV] = old


def _run(args: argparse.Namespace, sc: Any, kw: dict[str, Any]) -> int:
    m = args.method
    seed = kw.pop("seed")
    workers = args.workers
    backend = pick_backend(args.backend, workers, args.scheduler)
    res: Any  # the method's result object
    kw["progress"] = sys.stderr.isatty()  # a progress bar only on a terminal
    if m == "tornado":
        res = S.tornado(sc, seed=seed, workers=workers, backend=backend, **kw)
        text = res.text()
    elif m == "twoway":
        res = S.twoway(sc, seed=seed, workers=workers, backend=backend, **kw)
        text = "\n\n".join(res.text(o) for o in ("p_neutral", "repayment_mean",
                                                  *(o for o in res.outputs if o.startswith("p_met:"))))
    elif m == "sobol":
        t0 = time.perf_counter()  # the run time is printed, never written into the result
        res = S.sobol_model(sc, seed=seed, workers=workers, backend=backend, **kw)
        seconds = time.perf_counter() - t0
        text = res.text() + f"\n  ({res.n_cohort_draws:,} cohorts simulated in {seconds:.1f} s)"
    elif m == "variance":
        res = S.variance_by_cohort_size(sc, seed=seed, workers=workers, backend=backend, **kw)
        text = res.text() + "".join(f"\n  {res.describe(o)}" for o in res.outputs)
    else:
        draws = kw.pop("draws")
        sim = simulate(sc, draws, seed=seed, workers=workers, backend=backend, scheduler=args.scheduler,
                       curve_draws=0, progress=kw.pop("progress"))
        if m == "evpi":
            persp = kw["perspective"]
            if kw["decision"] == "enter":
                nb = S.decision_enter(sim, perspective=persp)
                label = "enter the agreement or not"
            else:
                nb = S.decision_contracts(sim, kw["variants"], perspective=persp)
                label = "contract terms: " + " vs ".join(kw["variants"])
            res = S.value_of_information(sim, nb, params=kw["params"], groups=kw["groups"],
                                         decision=label, perspective=persp)
        else:
            res = S.discover_events(sim, kw["events"], params=kw["params"])
        text = res.text()
    print(text)
    write_json_if(args.json, {**header(sc, seed, command="sensitivity", method=m),
                              "result": res.to_dict_without_provenance()})
    return 0
