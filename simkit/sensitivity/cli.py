"""CLI subcommands ``simkit sensitivity`` and ``simkit design``.

Both take scenario files (layered in order) or embedded names; without one
they use the embedded default scenario. Options are validated before any
simulation (unknown parameter names get a close-match suggestion); user
errors exit with code 2 and no traceback; ``--json FILE`` is written
atomically, and only after success.

``simkit sensitivity``
----------------------
::

    simkit sensitivity [SCENARIO ...] --method tornado|twoway|sobol|variance|evpi|discovery
        [--json FILE] [--seed S] [--workers W]
        [--draws N]            draws per run (tornado, default 4,000), per grid cell
                               (twoway, 1,000), or in total (evpi, discovery, 20,000)
        [--params a,b,...]     parameters (tornado/sobol/evpi/discovery: default every
                               uncertain one; twoway: exactly two, default
                               completion_rate,outcome_rate_completers)
        [--range NAME=LO,HI]   low/high override (tornado, twoway; repeatable)
        [--level 0.95]         central interval where no named low/high (tornado, twoway)
        [--grid 7]             grid points per axis (twoway)
        [--n-base 2048]        Sobol' base sample, a power of 2 (sobol)
        [--inner K]            cohorts per parameter set (sobol 8, variance 4)
        [--outer 2000]         parameter sets (variance)
        [--outputs a,b]        repayment,net_pv (sobol, variance)
        [--cohort-sizes 50,95,190,380]   (variance; default ½, 1, 2, 4 × the cohort)
        [--resamples 499]      bootstrap resamples (sobol, variance)
        [--decision enter|terms] [--perspective municipality|fund]
        [--variants SPEC ...]  options of the 'terms' decision (default threshold pro_rata)
        [--group NAME=a,b]     EVPPI parameter group (evpi; repeatable; default groups)
        [--events no_repayment,budget_loss]   (discovery; also fund_loss)

An option that the chosen method does not use is an error.

JSON (``--json``), for every method::

    {"command": "sensitivity", "method": "<method>", "simkit_version": "...",
     "scenario": {"name", "sha256", "sources"}, "seed": S, "result": {...}}

``result`` by method:

* ``tornado`` — ``{"draws_per_run", "level", "currency", "outputs": [...],
  "base": {output: value}, "base_se": {output: se}, "parameters": [{"name",
  "low", "high", "central", "effects": {output: {"low", "high", "swing",
  "low_se", "high_se", "swing_se"}}}]}``. Outputs: ``p_neutral``,
  ``repayment_mean``, ``net_mean``, ``p_repayment``, ``fund_multiple_mean``,
  ``p_met:<target>``; SEs are paired (common random numbers).
* ``twoway`` — ``{"x", "y", "x_values", "y_values", "draws_per_cell",
  "currency", "outputs", "values": {output: [[...]]}, "se": {output:
  [[...]]}}`` with ``values[output][i][k]`` at ``x_values[i]``, ``y_values[k]``.
* ``sobol`` — ``{"parameters", "held_fixed", "n", "inner", "n_evaluations"
  (parameter sets), "n_cohort_draws", "seconds", "confidence_level",
  "n_resamples", "correlations_ignored", "outputs": {output: {"noise_share",
  "indices": [{"parameter", "first_order", "first_order_low",
  "first_order_high", "total_order", "total_order_low", "total_order_high",
  "first_order_raw", "total_order_raw"}]}}}``. ``seconds`` is the only
  field that changes between identical runs.
* ``variance`` — ``{"outer", "inner", "outputs", "cohort_sizes":
  [{"cohort_size", "outputs": {output: {"mean", "total", "parameter",
  "cohort", "parameter_share", "cohort_share", "total_se", "parameter_se",
  "cohort_se", "parameter_share_se"}}}]}``.
* ``evpi`` — ``{"decision", "perspective", "currency", "options",
  "expected_net_benefit": {option: value}, "best_option", "evpi", "evpi_se",
  "evppi_all_parameters", "n_draws", "rows": [{"name", "kind"
  (parameter|group), "parameters", "evppi", "share_of_evpi", "method",
  "df"}], "sentence"}``.
* ``discovery`` — ``{"n_draws", "events": [{"event", "phrase", "rate",
  "sentence", "box": [{"parameter", "lower", "upper"}] or null, "mass",
  "coverage", "density"}]}``; an unbounded side is ``null``.

``simkit design``
-----------------
::

    simkit design [SCENARIO ...] [--compare SPEC ...] [--solve premium|threshold|share ...]
        [--target-multiple X] [--target-p-neutral P] [--target ID] [--base SPEC]
        [--draws 20000] [--seed S] [--workers W] [--json FILE]

``--compare`` takes contract variant specs (``[LABEL:]SPEC``, grammar in
:mod:`simkit.design`, e.g. ``pro_rata``, ``premium=0.08``,
``"floor30:pro_rata,edu_work.floor=0.3"``); with neither ``--compare`` nor
``--solve`` a default set is compared. ``--solve premium`` needs
``--target-multiple``; ``threshold`` and ``share`` need
``--target-p-neutral``; ``threshold`` without ``--target`` is solved for each
target in turn. ``--base`` is the contract the solvers start from.

JSON::

    {"command": "design", "simkit_version", "scenario": {...}, "seed", "draws",
     "comparison": {"n_draws", "currency", "variants": [{"label", "spec",
         "metrics": {...}, "contract": {...}}]} or null,
     "solutions": [{"solve", "target", "criterion", "goal", "value", "value_se",
         "achieved", "achieved_se", "sentence", "metrics": {...},
         "contract": {...}, "n_draws"}]}

``metrics`` keys: ``p_repayment``, ``repayment_mean``, ``repayment_pv_mean``,
``p_full``, ``p_neutral``, ``net_mean``, ``fund_multiple_mean``, ``p_loss``
(each with ``<key>_se``), ``max_repayment``, ``fund_irr_median``,
``p_met`` and ``p_met_se`` (per target). ``contract``: ``grant``,
``premium``, ``cap``, ``max_loss``, ``max_annual_return``, ``targets``
(``id, indicator, threshold, weight, rule, denominator, floor, steps``),
``rate_card`` (``id, indicator, price, max_count, cap``).
"""

from __future__ import annotations

import argparse
from typing import Any

from simkit.cli import (
    DEFAULT_SEED,
    _check_out_paths,
    _positive_int,
    _seed,
    command,
    load,
)
from simkit.errors import InputError, Problem

METHODS = ("tornado", "twoway", "sobol", "variance", "evpi", "discovery")

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


def _prob(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not 0 < v < 1:
        raise argparse.ArgumentTypeError(f"expected a number strictly between 0 and 1, got {v}")
    return v


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("scenario", nargs="*", metavar="SCENARIO",
                   help="scenario TOML files layered in order, or embedded names (default: the "
                        "embedded Norddjurs–DSI scenario)")
    p.add_argument("--seed", type=_seed, default=DEFAULT_SEED, help=f"root seed (default {DEFAULT_SEED})")
    p.add_argument("--workers", type=_positive_int, default=1, help="worker processes (default 1)")
    p.add_argument("--json", metavar="FILE", help="write the result as JSON")


def _header(sc: Any, seed: int, **extra: Any) -> dict[str, Any]:
    from simkit import __version__

    return {**extra, "simkit_version": __version__,
            "scenario": {"name": sc.name, "sha256": sc.sha256, "sources": list(sc.sources)},
            "seed": seed}


def _write(path: str | None, obj: dict[str, Any]) -> None:
    if path:
        from simkit.io.files import write_json

        write_json(path, obj)


# ---------------------------------------------------------------- sensitivity


def _add_sensitivity(p: argparse.ArgumentParser) -> None:
    _common(p)
    p.add_argument("--method", required=True, choices=METHODS, help="analysis to run")
    p.add_argument("--draws", type=_positive_int, default=None,
                   help="Monte Carlo draws: per run (tornado, default 4,000), per grid cell "
                        "(twoway, 1,000), in total (evpi, discovery, 20,000)")
    p.add_argument("--params", default=None, metavar="A,B,...",
                   help="parameter names, comma-separated (twoway: exactly two, x then y)")
    p.add_argument("--range", action="append", default=None, metavar="NAME=LO,HI",
                   help="low/high values of a parameter (tornado, twoway; repeatable)")
    p.add_argument("--level", type=_prob, default=None,
                   help="central interval used where no named low/high (default 0.95)")
    p.add_argument("--grid", type=_positive_int, default=None, help="grid points per axis (twoway, default 7)")
    p.add_argument("--n-base", type=_positive_int, default=None,
                   help="Sobol' base sample, a power of 2 (default 2048)")
    p.add_argument("--inner", type=_positive_int, default=None,
                   help="cohorts per parameter set (sobol default 8, variance default 4)")
    p.add_argument("--outer", type=_positive_int, default=None, help="parameter sets (variance, default 2000)")
    p.add_argument("--outputs", default=None, metavar="A,B",
                   help="outputs (sobol, variance; default repayment,net_pv)")
    p.add_argument("--cohort-sizes", default=None, metavar="N,N,...",
                   help="cohort sizes (variance; default half, once, twice, four times the cohort)")
    p.add_argument("--resamples", type=_seed, default=None,
                   help="bootstrap resamples (sobol, variance; default 499)")
    p.add_argument("--decision", choices=("enter", "terms"), default=None,
                   help="evpi: enter the agreement or not (default), or choose between contract terms")
    p.add_argument("--perspective", choices=("municipality", "fund"), default=None,
                   help="evpi: whose net benefit (default municipality)")
    p.add_argument("--variants", nargs="+", default=None, metavar="SPEC",
                   help="evpi --decision terms: contract variants (default threshold pro_rata)")
    p.add_argument("--group", action="append", default=None, metavar="NAME=A,B",
                   help="evpi: a parameter group (repeatable; default the built-in groups)")
    p.add_argument("--events", default=None, metavar="E,E",
                   help="discovery: events among no_repayment, budget_loss, fund_loss "
                        "(default no_repayment,budget_loss)")


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
    from simkit.design import split_label, variant
    from simkit.sensitivity import model as M

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
            if params is None:
                params = ["completion_rate", "outcome_rate_completers"]
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
    from simkit.limits import estimate_memory, memory_bound

    if m == "twoway" and kw["n_grid"] > _MAX_GRID:
        raise InputError(Problem("--grid", kw["n_grid"], f"at most {_MAX_GRID} points per axis"))
    if m == "sobol":
        flag, value = ("--inner", kw["inner"]) if kw["inner"] > 64 else ("--n-base", kw["n"])
        total = kw["n"] * (len(kw["params"] or sc.parameters) + 2) * kw["inner"]
    elif m == "variance":
        from simkit.spec import MAX_COHORT_SIZE

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


@command("sensitivity", _add_sensitivity)
def cmd_sensitivity(args: argparse.Namespace) -> int:
    """Sensitivity analysis: tornado, two-way grid, Sobol', variance split, EVPI, discovery."""
    from simkit import sensitivity as S
    from simkit.engine import simulate

    _check_out_paths(args.json, inputs=args.scenario)
    sc = load(args)
    kw = _validate_sensitivity(args, sc)
    m = args.method
    seed = kw.pop("seed")
    workers = args.workers
    if m == "tornado":
        res = S.tornado(sc, seed=seed, workers=workers, **kw)
        text = res.text()
    elif m == "twoway":
        res = S.twoway(sc, seed=seed, workers=workers, **kw)
        text = "\n\n".join(res.text(o) for o in ("p_neutral", "repayment_mean",
                                                  *(o for o in res.outputs if o.startswith("p_met:"))))
    elif m == "sobol":
        res = S.sobol_model(sc, seed=seed, workers=workers, **kw)
        text = res.text() + f"\n  ({res.n_cohort_draws:,} cohorts simulated in {res.seconds:.1f} s)"
    elif m == "variance":
        res = S.variance_by_cohort_size(sc, seed=seed, workers=workers, **kw)
        text = res.text() + "".join(f"\n  {res.describe(o)}" for o in res.outputs)
    else:
        draws = kw.pop("draws")
        sim = simulate(sc, draws, seed=seed, workers=workers,
                       backend="processes" if workers > 1 else "serial", curve_draws=0)
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
    _write(args.json, {**_header(sc, seed, command="sensitivity", method=m), "result": res.to_dict()})
    return 0


# ---------------------------------------------------------------- design


def _add_design(p: argparse.ArgumentParser) -> None:
    _common(p)
    p.add_argument("--draws", type=_positive_int, default=20_000, help="Monte Carlo draws (default 20,000)")
    p.add_argument("--compare", nargs="+", default=None, metavar="SPEC",
                   help="contract variants to compare, [LABEL:]SPEC (e.g. pro_rata premium=0.08 "
                        "'floor30:pro_rata,edu_work.floor=0.3')")
    p.add_argument("--solve", nargs="+", default=None, choices=("premium", "threshold", "share"),
                   help="solve for the premium (needs --target-multiple), or the threshold / payment "
                        "share (need --target-p-neutral)")
    p.add_argument("--target-multiple", type=float, default=None,
                   help="the fund's expected multiple wanted (e.g. 1.0)")
    p.add_argument("--target-p-neutral", type=_prob, default=None,
                   help="P(budget-neutral) wanted for the municipality (e.g. 0.9)")
    p.add_argument("--target", default=None, metavar="ID",
                   help="payment target whose threshold or weight is solved")
    p.add_argument("--base", default=None, metavar="SPEC", help="contract variant the solvers start from")


@command("design", _add_design)
def cmd_design(args: argparse.Namespace) -> int:
    """Contract design: compare contract variants on the same draws; solve for terms."""
    import math

    from simkit import design as D
    from simkit.engine import simulate

    _check_out_paths(args.json, inputs=args.scenario)
    sc = load(args)
    n = sc.agreement.cohort_size
    solve = list(dict.fromkeys(args.solve or []))
    # validate everything before simulating
    if "premium" in solve and args.target_multiple is None:
        raise InputError(Problem("--solve premium", None, "--target-multiple X (the fund's expected multiple)"))
    if args.target_multiple is not None:
        if "premium" not in solve:
            raise InputError(Problem("--target-multiple", args.target_multiple, "--solve premium"))
        if not (math.isfinite(args.target_multiple) and args.target_multiple >= 0):
            raise InputError(Problem("--target-multiple", args.target_multiple, "a multiple >= 0"))
    if {"threshold", "share"} & set(solve) and args.target_p_neutral is None:
        raise InputError(Problem(f"--solve {' '.join(solve)}", None, "--target-p-neutral P (e.g. 0.9)"))
    if args.target_p_neutral is not None and not {"threshold", "share"} & set(solve):
        raise InputError(Problem("--target-p-neutral", args.target_p_neutral, "--solve threshold or share"))
    if args.target is not None and not {"threshold", "share"} & set(solve):
        raise InputError(Problem("--target", args.target, "--solve threshold or share"))
    if args.base is not None and not solve:
        raise InputError(Problem("--base", args.base, "--solve (the base contract is where solvers start)"))
    base = D.variant(sc.contract, args.base, cohort_size=n) if args.base else sc.contract
    if solve and not base.targets:
        raise InputError(Problem("--base" if args.base else "contract", "no payment targets",
                                 "a contract with payment targets for --solve"))
    if args.target is not None:
        D._pick_target(base, args.target, allow_none=False)
    variants = None
    if args.compare is not None:
        variants = dict(D.split_label(v) for v in args.compare)
    elif not solve:
        variants = D.default_variants(sc.contract)
    for spec in (variants or {}).values():
        D.variant(sc.contract, spec, cohort_size=n)

    res = simulate(sc, args.draws, seed=args.seed, workers=args.workers,
                   backend="processes" if args.workers > 1 else "serial", curve_draws=0)
    out: dict[str, Any] = {**_header(sc, args.seed, command="design"), "draws": res.n,
                           "comparison": None, "solutions": []}
    lines = []
    if variants:
        cmp = D.compare_contracts(res, variants)
        out["comparison"] = cmp.to_dict()
        lines.append(cmp.text())
    sols = []
    for q in solve:
        if q == "premium":
            sols.append(D.solve_premium(res, args.target_multiple, contract=base))
        elif q == "threshold":
            ids = [args.target] if args.target else [t.id for t in base.targets
                                                     if t.rule != "graduated"]
            sols += [D.solve_threshold(res, args.target_p_neutral, target=t, contract=base) for t in ids]
        else:
            sols.append(D.solve_share(res, args.target_p_neutral, target=args.target, contract=base))
    if sols:
        lines.append("Solutions (Monte Carlo SE in brackets)")
        lines += [f"  {s.describe()}" for s in sols]
    out["solutions"] = [s.to_dict() for s in sols]
    print("\n\n".join(lines))
    _write(args.json, out)
    return 0
