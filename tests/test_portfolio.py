"""Portfolio of agreements with shared factors: independence, shared shocks, contributions, backends.

Independent sources: the variance of a sum of independent terms is the sum of
their variances (the cross terms' sampling SD is written out below); Euler's
allocation sums to the total by construction of the covariance; the run of an
agreement on its own.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import simkit
from simkit import backends
from simkit.cli import main
from simkit.errors import InputError
from simkit.portfolio import (
    PORTFOLIO_EXAMPLE,
    Agreement,
    Factor,
    Portfolio,
    agreement_seed,
    load_portfolio,
    simulate_portfolio,
)
from simkit.sensitivity import scale_cohort

DRAWS = 2048


@pytest.fixture(scope="module")
def agreements():
    """Three small agreements: two version-2 (Sundinvest) and the default scenario (either version)."""
    sund = simkit.load_scenario("sundinvest_2021")
    default = simkit.load_scenario()
    hr_default = "hr_starts" if "hr_starts" in default.parameters else "outcome_rate_completers"
    return (Agreement("s20", scale_cohort(sund, 20), {"lm": ("hr_return", 1.0)}),
            Agreement("s30", scale_cohort(sund, 30), {"lm": ("hr_return", 1.0)}),
            Agreement("d", default, {"lm": (hr_default, 1.0)}))


def _run(agreements, sd, **kw):
    return simulate_portfolio(Portfolio("test", agreements, (Factor("lm", sd),)), DRAWS, seed=5, **kw)


@pytest.fixture(scope="module")
def independent(agreements):
    return _run(agreements, 0.0)


@pytest.fixture(scope="module")
def shared(agreements):
    return _run(agreements, 0.6)


def test_factor_sd_0_gives_each_agreements_stand_alone_run(agreements, independent):
    for k, ag in enumerate(agreements):
        alone = simkit.simulate(ag.scenario, DRAWS, seed=agreement_seed(5, k), curve_draws=0)
        np.testing.assert_array_equal(independent.repayment[:, k], alone.draws_["repayment"])


def test_independent_agreements_add_means_and_variances(independent):
    r = independent.repayment
    s = independent.summary()["total_repayment"]
    assert s["mean"] == pytest.approx(r.mean(axis=0).sum(), rel=1e-12)
    var_i = r.var(axis=0, ddof=1)
    # var(total) - sum var_i = sum over ordered pairs i != j of cov_ij; under independence each
    # sample cov_ij has SD sd_i sd_j / sqrt(n), so the sum has SD 2 sqrt(sum_{i<j} var_i var_j / n)
    pairs = sum(var_i[i] * var_i[j] for i in range(len(var_i)) for j in range(i + 1, len(var_i)))
    se = 2 * math.sqrt(pairs / DRAWS)
    assert abs(s["sd"] ** 2 - var_i.sum()) <= 4 * se


def test_a_shared_factor_raises_the_variance(independent, shared):
    r = shared.repayment
    var_i = r.var(axis=0, ddof=1)
    pairs = sum(var_i[i] * var_i[j] for i in range(len(var_i)) for j in range(i + 1, len(var_i)))
    se = 2 * math.sqrt(pairs / DRAWS)
    assert shared.summary()["total_repayment"]["sd"] ** 2 > var_i.sum() + 4 * se
    assert shared.summary()["total_repayment"]["sd"] > independent.summary()["total_repayment"]["sd"]


@pytest.mark.parametrize("which", ["independent", "shared"])
def test_risk_contributions_add_up_to_the_total(which, request):
    res = request.getfixturevalue(which)
    s = res.summary()
    assert sum(a["variance_share"] for a in s["agreements"]) == pytest.approx(1.0, rel=1e-9)
    assert sum(a["cvar_contribution"] for a in s["agreements"]) == pytest.approx(s["expected_shortfall_05"],
                                                                                 rel=1e-9)
    # expected shortfall by hand: the mean loss over the worst ceil(5 % of n) draws
    loss = res.grants.sum() - res.total
    assert s["expected_shortfall_05"] == pytest.approx(np.sort(loss)[::-1][: math.ceil(0.05 * DRAWS)].mean())
    assert s["p_loss"] == float(np.mean(res.total < res.grants.sum()))


def test_capital_recycling_ends_with_all_grants_out_and_all_repayments_in(shared):
    last = shared.summary()["capital"][-1]
    assert last["cash_out"] == pytest.approx(shared.grants.sum())
    assert last["cash_in_mean"] == pytest.approx(shared.total.mean())


@pytest.mark.parametrize("backend", ["processes", "distributed"])
def test_portfolio_is_bit_identical_on_two_workers(agreements, shared, backend):
    pytest.importorskip("distributed")
    res = _run(agreements, 0.6, workers=2, backend=backend, chunk_size=1024,
               scheduler=backends._local_client(2) if backend == "distributed" else None)
    assert json.dumps(res.summary(), sort_keys=True) == json.dumps(shared.summary(), sort_keys=True)


def test_example_portfolio_loads_twelve_synthetic_agreements():
    p = load_portfolio(PORTFOLIO_EXAMPLE)
    assert len(p.agreements) == 12 and "synthetic" in p.name.lower()
    assert {a.scenario.name for a in p.agreements} >= {simkit.load_scenario("sundinvest_2021").name}


@pytest.mark.parametrize("text, where", [
    ('[[agreements]]\nid = "a"\nscenario = "sundinvest_2021"\nscales = { nope = "hr_return" }\n', "scales.nope"),
    ('[[factors]]\nname = "lm"\nsd = -1\n[[agreements]]\nid = "a"\nscenario = "sundinvest_2021"\n', "sd"),
    ('[[factors]]\nname = "lm"\n[[agreements]]\nid = "a"\nscenario = "sundinvest_2021"\n'
     'scales = { lm = "hr_retrn" }\n', "scales.lm"),
    ('[[agreements]]\nid = "a"\nscenario = "sundinvest_2021"\ncohort_size = 0\n', "cohort_size"),
])
def test_bad_portfolio_files_name_the_key(tmp_path, text, where):
    f = tmp_path / "p.toml"
    f.write_text(text)
    with pytest.raises(InputError, match=where.replace(".", r"\.")):
        load_portfolio(f)


# ------------------------------------------------------------------ the portfolio as a table

TABLE = PORTFOLIO_EXAMPLE.with_suffix(".csv")
HEAD = "id,scenario,cohort_size,grant,factor:lm,factor:lm:sd\n"


def test_shipped_table_gives_the_identical_result_to_the_toml(tmp_path):
    toml, table = load_portfolio(PORTFOLIO_EXAMPLE), load_portfolio(TABLE)
    assert table.name == toml.name and table.factors == toml.factors
    # every agreement: the same layered scenario (its hash), the same factor loading
    assert [(a.id, a.scenario.sha256, dict(a.scales)) for a in table.agreements] == \
        [(a.id, a.scenario.sha256, dict(a.scales)) for a in toml.agreements]
    a = simulate_portfolio(Portfolio(toml.name, toml.agreements[::4], toml.factors), 64, seed=2)
    b = simulate_portfolio(Portfolio(table.name, table.agreements[::4], table.factors), 64, seed=2)
    assert a.to_json() == b.to_json()


def test_table_layers_and_powers_match_the_toml_form(tmp_path):
    (tmp_path / "p.csv").write_text(HEAD + "a,sundinvest_2021,20,900000,hr_return,0.2\n"
                                           "b,sundinvest_2021+sundinvest_2021,,,,0.2\n")
    (tmp_path / "p.toml").write_text(
        '[[factors]]\nname = "lm"\nsd = 0.2\n'
        '[[agreements]]\nid = "a"\nscenario = "sundinvest_2021"\ncohort_size = 20\ngrant = 900000\n'
        'scales = { lm = "hr_return" }\n'
        '[[agreements]]\nid = "b"\nscenario = "sundinvest_2021"\nlayers = ["sundinvest_2021"]\n')
    t, f = load_portfolio(tmp_path / "p.csv"), load_portfolio(tmp_path / "p.toml")
    assert t.name == "p" and t.factors == f.factors
    assert [(a.id, a.scenario.sha256, dict(a.scales)) for a in t.agreements] == \
        [(a.id, a.scenario.sha256, dict(a.scales)) for a in f.agreements]


def test_xlsx_table_equals_the_csv(tmp_path):
    import pandas as pd

    df = pd.read_csv(TABLE, dtype=str, keep_default_na=False)
    df.to_excel(tmp_path / "p.xlsx", index=False)
    x, c = load_portfolio(tmp_path / "p.xlsx"), load_portfolio(TABLE)
    assert [(a.id, a.scenario.sha256) for a in x.agreements] == [(a.id, a.scenario.sha256) for a in c.agreements]


@pytest.mark.parametrize("body, where, value", [
    ("a,sundinvest_2021,0,,hr_return,0.1\n", "row 2, column 'cohort_size'", "0"),
    ("a,sundinvest_2021,20,lots,hr_return,0.1\n", "row 2, column 'grant'", "lots"),
    ("a,sundinvest_2021,20,,hr_retrn,0.1\n", "row 2, column 'factor:lm'", "hr_retrn"),
    ("a,sundinvest_2021,20,,hr_return,0.1\nb,sundinvest_2021,20,,hr_return,0.3\n", "row 3, column 'factor:lm:sd'",
     "0.3"),
    ("a,sundinvest_2021,20,,hr_return,0.1\na,sundinvest_2021,30,,hr_return,0.1\n", "row 3, column 'id'", "a"),
    ("a,sundinvest_2021,20,,hr_return\n", "row 2", "5 cells"),
    ("a,sundinvest_2021+,20,,hr_return,0.1\n", "row 2, column 'scenario'", "sundinvest_2021+"),
])
def test_bad_table_names_file_row_column_value(tmp_path, body, where, value):
    f = tmp_path / "p.csv"
    f.write_text(HEAD + body)
    with pytest.raises(InputError) as exc:
        load_portfolio(f)
    msg = str(exc.value)
    assert "p.csv" in msg and where in msg and value in msg and "expected" in msg


def test_bad_table_column_is_refused_and_the_command_exits_2(tmp_path, capsys):
    f = tmp_path / "p.csv"
    f.write_text("id,scenario,cohort,factor:lm,factor:lm:sd\na,sundinvest_2021,20,hr_return,0.1\n")
    out = tmp_path / "r.json"
    assert main(["portfolio", str(f), "--draws", "64", "--json", str(out)]) == 2
    err = capsys.readouterr().err
    assert "p.csv" in err and "column 3" in err and "cohort" in err and "Traceback" not in err
    assert not out.exists()


def test_portfolio_result_is_a_result_with_the_one_provenance(independent, agreements):
    from simkit.results import Provenance, Result

    assert isinstance(independent, Result) and isinstance(independent.provenance, Provenance)
    d = json.loads(independent.to_json())
    assert d["provenance"]["seed"] == d["seed"] == 5 and d["provenance"]["draws"] == DRAWS
    assert d["provenance"]["scenario"]["sources"] == [a.scenario.name for a in agreements]
    assert "<table" in independent.to_html() and "Agreement" in str(independent)

