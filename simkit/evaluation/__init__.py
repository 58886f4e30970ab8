"""Evaluate observed participant data against the payment targets.

The evaluator's questions, answered from the data a municipality reports
(one row per referred person, :mod:`simkit.io.observed`) and the scenario's
contract (:mod:`simkit.spec`):

* per payment target, as of a date: how many achieved, failed, are pending,
  and whether the target is already **met** (guaranteed whatever the pending
  cases do), **not met** (out of reach even if every pending case succeeds)
  or **undecided**;
* what the data say about the underlying rate: an exact Clopper–Pearson
  interval and the posterior probability that the rate reaches the target;
* at an interim date, the probability that each target is met at the
  measurement date (a posterior predictive model, below);
* the repayment due under the contract: exact once everything is decided,
  otherwise its minimum, maximum and expected value;
* disability-pension awards against what the scenario expects, and the
  change in quality of life.

Every status comes from :mod:`simkit.indicators` — the one definition the
simulation uses too. Dates become **days since the agreement start**; a
spell's end date is its last day (inclusive) and a blank end date means
"still running". Nothing person-level ever leaves this module: the result
holds counts only, and person ids and spreadsheet rows appear in no output.

Denominators
------------
*As of* the as-of date the denominator of a ``referred`` target is everyone
referred by then (``denominator``), and ``achieved + failed + pending =
denominator``. At the measurement date it will be the **final denominator**:
everyone referred by then. Before the last intake window has closed the
final denominator is taken as ``max(cohort size, rows in the data)``, the
persons not yet referred counting as pending; afterwards it is the number of
rows (persons in the data referred after the as-of date are still to come).
For a ``completed`` target (education/work among completers) the
denominator is the number of completers; persons still in the course, or not
yet referred, may still enter it.

Met / not met
-------------
``met`` means the target is reached in the worst case and ``not_met`` that
it is missed in the best case, over every way the pending (and not yet
referred) persons can still turn out. For a ``referred`` target the worst
case is "every pending person fails" and the best "every pending person
succeeds". For a ``completed`` target an extra completer who fails *lowers*
the rate: the worst case lets every person still in the course complete
without a qualifying spell (unless they already have one, in which case they
drop out), and the best case lets every person who can still succeed
complete and succeed, and every person who has already failed drop out.

Intervals and posterior
-----------------------
``rate`` is ``achieved / (achieved + failed)``, the estimate the interval
belongs to; ``rate_of_denominator`` is ``achieved / denominator`` (pending
counted as not achieved). The 95 % Clopper–Pearson interval and the posterior ``P(rate >= target)``
use the **decided** cases only: ``k = achieved``, ``n = achieved + failed``
(for a ``completed`` target: completers with / without a qualifying spell).
The posterior is ``Beta(a + k, b + n − k)`` with the Jeffreys prior
``Beta(1/2, 1/2)`` (default) or, with ``prior="scenario"``, the scenario's
prior for the rate: the ``completion_rate`` distribution itself when it is a
beta (or fixed: a point mass, approximated by a Beta with concentration
10^6), otherwise a beta with the mean and variance of the rate implied by
the scenario's parameter distributions (simulated; binomial noise removed).
At the measurement date every case is decided. At an interim date the decided
cases are *not* a random sample — dropouts are decided before completions,
and a missing education/work spell is only a failure once the outcome window
has closed — so the interval then describes the decided cases only; the
interim question is answered by ``p_met_final``.

Predictive model (``p_met_final``)
----------------------------------
The persons whose status can still change are split into **groups**; the
persons of a group share one unknown success probability ``p_g``, and the
final count is the achieved count plus the successes of all groups. Groups
and where ``p_g`` comes from:

``in course or not yet referred`` (completion; basis ``"data"``)
    Persons whose course is ongoing plus persons not yet referred share the
    completion rate, ``p ~ Beta(a, b)``: the prior (Jeffreys or scenario)
    updated with a **reference set** that is not selected by outcome — the
    persons referred at least one full course length
    (``programme.course_weeks``) before the as-of date whose course status
    is known. (Persons still in the course have survived part of the dropout
    risk, so the group's rate is slightly conservative for them.)
``spell running`` (education/work; ``"data"``)
    Persons in a full-time spell that started within the window and has not
    yet lasted 26 weeks: ``P(reaching 26 weeks | running)``, a beta: the
    prior updated with the full-time spells that started within the window
    at least 26 weeks before the as-of date (so their 26-week result is
    known) and lasted at least as long as the shortest running spell so far.
``no qualifying spell yet`` and ``not yet referred`` (education/work; ``"scenario"``)
    While the outcome window is open nobody in the data has complete
    follow-up for "will they still start a qualifying spell", so these
    groups rest on the **scenario model** in both prior modes. The scenario
    is simulated with ``scenario_draws // 8`` parameter sets × 8 cohorts
    (``seed``); for each parameter set ``p_g`` is the share of simulated
    persons in the same situation on the as-of date who achieve by the
    measurement date. The two groups share the parameter set (their rates
    move together). The data weight the parameter sets: each set's weight is
    the (approximate) likelihood of the referred persons' completion status
    at the as-of date and time from referral to the first full-time spell,
    by quarters since referral, the form of the version-2 interim forecast
    (:mod:`simkit.model.interim`; self-normalised, spell lengths, hours and
    exclusions left out). ``p_met_final_prior`` is the same figure with
    equal weights (the prior only) and ``effective_sample_size`` (1 / Σ w²
    of ``parameter_sets``) says how much the data discriminate.

Given the parameter set, groups are independent: a ``"data"`` group's count
is beta-binomial, a ``"scenario"`` group's binomial, and the distribution of
the total is their exact convolution (:func:`simkit.stats.prob_final_at_least`
when there are only data groups), averaged over the parameter sets. Ignored
dependence: between the data groups' rates and the scenario's parameters, and
between a person's completion and education/work outcome. A target already
met has ``p_met_final = 1``, one out of reach ``0``. For a ``completed``
target numerator and denominator are both random, so ``p_met_final`` is the
Monte Carlo estimate from the joint draws used for the expected repayment.
The JSON lists every group (``predictive_groups``: size, basis, mean, sd).

Repayment
---------
:func:`simkit.contract.repayment` on the counts. ``min`` and ``max`` put
every target (and rate-card line) at its own worst and best case (for a
``completed`` target its worst case can conflict with the completion
target's, so ``min`` is then a lower bound that may not be attainable);
``expected`` is the mean repayment over ``predictive_draws`` Monte Carlo
draws of the predictive model above, with all targets drawn jointly (seeded
with ``seed``; its Monte Carlo standard error is reported). When nothing is
pending all three are the exact amount due.

Disability pension and quality of life
--------------------------------------
Observed awards by the as-of date (among persons referred by then) against
the scenario's programme-arm predictive distribution of awards by that date
(simulated: parameter uncertainty and cohort randomness; mean and central
95 % interval) and its business-as-usual expectation. Quality of life: the
paired difference follow-up − baseline (:func:`simkit.stats.paired_difference`)
over persons referred by the as-of date with both scores, on the instrument
the scenario names.

Publication
-----------
:meth:`EvaluationResult.publication_table`, :meth:`~EvaluationResult.text` and
the notebook view show counts below ``min_cell`` (default 5) as ``"<5"``,
with secondary suppression so a hidden count cannot be recovered from the
others, and hide the rates derived from a hidden count.
:meth:`~EvaluationResult.to_frame` and :meth:`~EvaluationResult.to_dict` /
:meth:`~EvaluationResult.to_json` are for evaluators and keep exact counts.

Modules
-------
``constants`` defaults (seed, draws, cell size, level); ``data`` argument checks, reading and
hashing the file, the date guards; ``states`` person-level states as of a date (they never
leave the package); ``scenario_model`` the cached scenario simulation and the scenario prior;
``predictive`` the predictive model (groups, P(met at the measurement date), repayment due);
``core`` :func:`evaluate`; ``results`` the result objects; ``render`` text helpers and
:class:`Note`. Every name is importable from ``simkit.evaluation``.
"""

from __future__ import annotations

# every name, private ones too, stays importable from the module's old path (simkit.evaluation)
from simkit.evaluation.constants import (  # noqa: F401
    DEFAULT_SEED,
    INNER,
    JEFFREYS,
    KNOWN_CONCENTRATION,
    LEVEL,
    MET,
    MIN_CELL,
    NOT_MET,
    PREDICTIVE_DRAWS,
    PRIORS,
    SCENARIO_DRAWS,
    UNDECIDED,
)
from simkit.evaluation.core import (  # noqa: F401
    _disability_pension,
    _evaluate_target,
    _notes,
    _quality_of_life,
    _replace,
    evaluate,
)
from simkit.evaluation.data import (  # noqa: F401
    _EVENT_COLUMNS,
    _check_min_cell,
    _content_hash,
    _days,
    _events_after,
    _load_data,
    _parse_as_of,
    _refuse_stale,
)
from simkit.evaluation.predictive import (  # noqa: F401
    _counts_dict,
    _data_group,
    _Groups,
    _groups,
    _model_group,
    _p_final_referred,
    _repayment_due,
)
from simkit.evaluation.render import (  # noqa: F401
    Note,
    _ci,
    _count,
    _pct,
    _prob,
    _render_note,
)
from simkit.evaluation.results import (
    DisabilityPension,
    EvaluationProvenance,
    EvaluationResult,
    PredictiveGroup,
    QualityOfLife,
    RepaymentDue,
    TargetEvaluation,
)
from simkit.evaluation.scenario_model import (  # noqa: F401
    _MODEL_CACHE,
    _moment_beta,
    _scenario_model,
    _scenario_prior,
    _ScenarioModel,
)
from simkit.evaluation.states import (  # noqa: F401
    _cross_tab,
    _person_states,
    _States,
)

__all__ = [
    "PRIORS",
    "DisabilityPension",
    "EvaluationProvenance",
    "EvaluationResult",
    "PredictiveGroup",
    "QualityOfLife",
    "RepaymentDue",
    "TargetEvaluation",
    "evaluate",
]
