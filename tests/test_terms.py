"""Every evaluation output names the contract terms it rests on, and whether each is an assumption."""

from __future__ import annotations

import json

from simkit.cli import main

FINAL = "data/examples/norddjurs_final.csv"


def test_evaluation_lists_assumed_terms_and_does_not_call_the_amount_exact(tmp_path, capsys):
    out = tmp_path / "e.json"
    assert main(["evaluate", FINAL, "--scenario", "norddjurs_v1", "--json", str(out)]) == 0   # 0.1 data format
    text = capsys.readouterr().out
    assert "(exact;" not in text                      # 0.1 printed "2,992,500 DKK (exact; ...)"
    assert "the count arithmetic is exact" in text
    assert "grant 5,700,000 DKK (assumption)" in text and "risk premium 5.0% (assumption)" in text
    terms = json.loads(out.read_text())["terms"]
    assert {t["term"] for t in terms} == {"grant", "risk premium", "target completion", "target edu_work"}
    assert all(t["basis"] == "assumption" for t in terms)


def test_a_cited_term_counts_as_from_the_agreement(tmp_path, capsys):
    terms = tmp_path / "terms.toml"
    terms.write_text('[contract]\ngrant = 4000000\nsource = "signed agreement, section 4 [AGREEMENT-2025]"\n')
    out = tmp_path / "e.json"
    assert main(["evaluate", FINAL, "--scenario", "norddjurs_v1", str(terms), "--json", str(out)]) == 0
    res = json.loads(out.read_text())
    basis = {t["term"]: t["basis"] for t in res["terms"]}
    assert basis["grant"] == "from the agreement"
    # 78 of 95 completed (met, weight 0.5), 47 of 95 in education/work (not met): 0.5 × 4,000,000 × 1.05
    assert res["repayment_due"]["expected"] == 2_100_000.0


def test_run_to_a_file_on_a_cp1252_console_does_not_crash(tmp_path):
    """`simkit run > out.txt` on a Windows-1252 console crashed with UnicodeEncodeError on '−'."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "PYTHONIOENCODING": "cp1252"}
    r = subprocess.run([sys.executable, "-m", "simkit", "run", "--draws", "1024"], cwd=tmp_path, env=env,
                       capture_output=True, timeout=300)
    assert r.returncode == 0, r.stderr.decode("cp1252", "replace")[-500:]
    text = r.stdout.decode("cp1252")
    assert "costs not covered by the grant" in text and "\u2212" not in text


def test_terms_template_round_trip_and_a_filled_in_term(tmp_path, capsys):
    """The template reproduces the scenario's contract; a filled-in grant moves the repayment exactly:
    final example, completion met (weight 0.5), education/work not met: 0.5 × 4,000,000 × 1.05."""
    import simkit

    t = tmp_path / "terms.toml"
    assert main(["terms", "norddjurs_v1", "--template", "-o", str(t)]) == 0
    base = simkit.load_scenario("norddjurs_v1")   # the template below is layered on the 0.1 model
    same = simkit.load_scenario(["norddjurs_v1", t])
    assert same.contract == base.contract and same.terms == base.terms
    t.write_text(t.read_text().replace("grant = 5700000", "grant = 4000000").replace(
        'source = "assumption: replace with the agreement\'s clauses"', 'source = "agreement § 4 [AGREEMENT]"'))
    out = tmp_path / "e.json"
    assert main(["evaluate", FINAL, "--scenario", "norddjurs_v1", str(t), "--json", str(out)]) == 0
    res = json.loads(out.read_text())
    assert res["repayment_due"]["expected"] == 0.5 * 4_000_000 * 1.05
    basis = {x["term"]: x["basis"] for x in res["terms"]}
    assert basis["grant"] == "from the agreement" and basis["target completion"] == "assumption"
    # refuses to overwrite, and works for a declarative-model scenario too
    assert main(["terms", "--template", "-o", str(t)]) == 2
    capsys.readouterr()
    assert main(["terms", "aarhus_ratecard", "--template"]) == 0
    text = capsys.readouterr().out
    sc = simkit.load_scenario(["aarhus_ratecard", {}])
    import tomllib

    assert tomllib.loads(text)["contract"]["rate_card"][0]["price"] == sc.contract.rate_card[0].price
