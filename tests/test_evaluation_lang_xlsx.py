"""Danish and English evaluation output (labels, numbers, dates) and the xlsx workbook (issue 11, item 5)."""

from __future__ import annotations

import json
import re
import string
import tomllib
from importlib import resources
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from simkit.cli import main

FINAL = "data/examples/norddjurs_final.csv"              # the 0.1 one-row format, final
ONEROW_INTERIM = "data/examples/norddjurs_onerow_interim_2026-11-01.csv"


def _fields(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


def test_every_evaluation_phrase_has_both_languages_with_the_same_fields():
    data = tomllib.loads(resources.files("simkit").joinpath("labels.toml").read_text(encoding="utf-8"))
    phrases = data["evaluation"]
    assert len(phrases) > 40
    for key, entry in phrases.items():
        assert entry.get("da") and entry.get("en"), key
        assert _fields(entry["da"]) == _fields(entry["en"]), key


def _hand_counts():
    """Completion from the file itself: every row is referred before the measurement date; a
    course counts when its status is 'completed' (hand rule of the 0.1 format)."""
    df = pd.read_csv(FINAL)
    return int((df["course_status"] == "completed").sum()), len(df), list(df["id"])


def test_danish_text_of_the_example_file(capsys):
    assert main(["evaluate", FINAL, "--scenario", "norddjurs_v1", "--lang", "da"]) == 0
    text = capsys.readouterr().out
    a, n, ids = _hand_counts()
    share = f"{100 * a / n:.1f}".replace(".", ",")
    assert f"Gennemførelse af forløbet: {a} af {n} henviste ({share} %)" in text
    assert "Opgjort pr. 30. april 2028 (på målingsdatoen)." in text          # Danish long date
    # the default contract: grant 5,700,000 × (1 + 5 %) × weight 50 % for the one target met
    assert "Tilbagebetaling: 2.992.500 kr." in text
    assert "mål 80,0 %: opfyldt" in text and "ikke opfyldt" in text
    assert "'Opfyldt' betyder, at målet er nået uanset" in text
    assert "tilskud 5,700,000 DKK (antagelse)" in text and "risikopræmie 5.0% (antagelse)" in text
    assert "P(opfyldt på målingsdatoen)" in text
    assert not [pid for pid in ids if pid in text]


def test_english_is_the_default_and_lang_en_says_the_same(capsys):
    assert main(["evaluate", FINAL, "--scenario", "norddjurs_v1"]) == 0
    default = capsys.readouterr().out
    assert main(["evaluate", FINAL, "--scenario", "norddjurs_v1", "--lang", "en"]) == 0
    en = capsys.readouterr().out
    a, n, _ = _hand_counts()
    assert f"Course completion: {a} of {n} referred ({100 * a / n:.1f} %)" in en
    assert "As of 2028-04-30 (at the measurement date)." in default
    assert "grant 5,700,000 DKK (assumption)" in default
    assert "Course completion" in default


def test_small_counts_are_suppressed_in_danish_too(capsys):
    assert main(["evaluate", FINAL, "--scenario", "norddjurs_v1", "--lang", "da", "--min-cell", "100"]) == 0
    text = capsys.readouterr().out
    a, n, _ = _hand_counts()
    assert "<100 af <100 henviste;" in text                 # the share behind hidden counts is not shown
    assert not re.search(rf"\b{a}\b af", text) and f" {n} " not in text.split("Betalingsmål")[1].split("\n\n")[0]


def test_danish_text_of_the_version_2_path(capsys):
    assert main(["evaluate", ONEROW_INTERIM, "--scenario", "norddjurs", "norddjurs_threshold", "--as-of",
                 "2026-11-01", "--forecast-draws", "0", "--lang", "da"]) == 0
    text = capsys.readouterr().out
    st = pd.read_csv(ONEROW_INTERIM, sep=";", encoding="utf-8-sig")["course_status"].value_counts()
    done, ongoing, n = int(st["completed"]), int(st["ongoing"]), int(st.sum())
    share = f"{100 * done / n:.1f}".replace(".", ",")
    assert f"Gennemførelse af forløbet: {done} af {n} henviste ({share} %; 95 %-KI" in text
    # pending: the courses still ongoing; not yet referred: the cohort of 95 less the rows in the file
    assert f"mål 80,0 % -> uafgjort ({ongoing} verserende, {95 - n} endnu ikke henvist)" in text
    assert text.startswith("Evaluering pr. 1. november 2026 (midtvejs: løbende sager er verserende)")
    assert "henvist senest på opgørelsesdatoen: 70" in text   # the file's 70 rows (data/examples/README.md)
    assert "(antagelse)" in text and "(assumption)" not in text
    assert main(["evaluate", ONEROW_INTERIM, "--as-of", "2026-11-01", "--forecast-draws", "0"]) == 0
    assert capsys.readouterr().out.startswith("Evaluation as of 2026-11-01 (interim: running cases pending)")


def _sheets(path):
    wb = openpyxl.load_workbook(path)
    return {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets}


def test_xlsx_reads_back_as_the_json(tmp_path, capsys):
    js, xl = tmp_path / "e.json", tmp_path / "e.xlsx"
    assert main(["evaluate", FINAL, "--scenario", "norddjurs_v1", "--json", str(js), "--xlsx", str(xl)]) == 0
    assert "wrote" in capsys.readouterr().out
    d = json.loads(js.read_text(encoding="utf-8"))
    s = _sheets(xl)
    assert list(s) == ["targets", "repayment", "terms", "notes", "provenance"]
    head, *rows = s["targets"]
    by_id = {r[0]: dict(zip(head, r, strict=True)) for r in rows}
    assert set(by_id) == set(d["targets"])
    for tid, t in d["targets"].items():
        x = by_id[tid]
        for k in ("achieved", "failed", "pending", "denominator", "status", "threshold"):
            assert x[k] == t[k], (tid, k)
        assert x["rate"] == pytest.approx(t["rate"]) and x["CI low"] == pytest.approx(t["ci_low"])
        assert x["P(met at measurement)"] == pytest.approx(t["p_met_final"])
    rep = dict(s["repayment"][1:])
    assert rep["expected"] == pytest.approx(d["repayment_due"]["expected"])
    assert [tuple(r) for r in s["terms"][1:]] == [(t["term"], t["value"], t["basis"]) for t in d["terms"]]
    prov = dict(s["provenance"][1:])
    assert prov["scenario.sha256"] == d["provenance"]["scenario"]["sha256"]
    assert prov["data.content_sha256"] == d["provenance"]["data"]["content_sha256"]
    assert prov["seed"] == d["provenance"]["seed"]


def test_xlsx_suppresses_small_counts_and_speaks_danish(tmp_path, capsys):
    xl = tmp_path / "e.xlsx"
    assert main(["evaluate", ONEROW_INTERIM, "--as-of", "2026-11-01", "--forecast-draws", "0",
                 "--min-cell", "100", "--lang", "da", "--xlsx", str(xl)]) == 0
    capsys.readouterr()
    s = _sheets(xl)
    assert list(s) == ["mål", "tilbagebetaling", "vilkår", "bemærkninger", "oprindelse"]
    head, *rows = s["mål"]
    col = dict(zip(head, range(len(head)), strict=True))
    for r in rows:
        assert r[col["achieved"]] in (0, "<100") and r[col["denominator"]] == "<100"
        assert r[col["andel"]] == "suppressed"
    assert {r[2] for r in s["vilkår"][1:]} == {"antagelse"}
    ids = list(pd.read_csv(ONEROW_INTERIM, sep=";", encoding="utf-8-sig")["id"])
    cells = " ".join(str(c) for rows_ in s.values() for r in rows_ for c in r)
    assert not [pid for pid in ids if pid in cells]


def test_xlsx_onto_an_input_is_refused_and_nothing_is_written(tmp_path, capsys):
    data = tmp_path / "d.csv"
    data.write_bytes(Path(FINAL).read_bytes())
    before = data.read_bytes()
    assert main(["evaluate", str(data), "--scenario", "norddjurs_v1", "--xlsx", str(data)]) == 2
    err = capsys.readouterr().err
    assert "--xlsx" in err and "Traceback" not in err
    assert data.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["d.csv"]


def test_frame_columns_in_both_languages_and_ids_by_default():
    import simkit
    from simkit.evaluation import evaluate

    sc = simkit.load_scenario("norddjurs_v1")
    res = evaluate(FINAL, sc, scenario_draws=64, predictive_draws=64)
    ids = res.to_frame()
    da, en = res.to_frame(lang="da"), res.to_frame(lang="en")
    assert "achieved" in ids.columns and "opnået" in da.columns and "achieved" in en.columns
    assert len(set(da.columns)) == len(ids.columns) == len(set(en.columns))
    pd.testing.assert_frame_equal(da.set_axis(ids.columns, axis=1).rename_axis("target"), ids)  # relabelled only
    pub = res.publication_table(lang="da")
    assert pub.index.name == "mål" and "Gennemførelse af forløbet" in pub.index


def test_version_2_result_is_a_result_and_its_workbook_reads_back_as_the_json(tmp_path, capsys):
    import datetime as dt

    import simkit
    from simkit.model.observed import evaluate_spells, read_participants
    from simkit.results.base import Result

    sc = simkit.load_scenario(["norddjurs", "norddjurs_threshold"])   # payment targets (the default: a rate card)
    df, fmt = read_participants(sc, ONEROW_INTERIM)
    res = evaluate_spells(sc, df, as_of=dt.date(2026, 11, 1), data_format=fmt)
    assert isinstance(res, Result)
    d = res.to_dict()
    frame = res.to_frame()
    assert {i: int(frame.loc[i, "achieved"]) for i in frame.index} == \
        {i: t["achieved"] for i, t in d["targets"].items()}
    assert "opnået" in res.to_frame(lang="da").columns

    js, xl = tmp_path / "e.json", tmp_path / "e.xlsx"
    assert set(d["targets"]) == {"completion", "edu_work"}
    assert main(["evaluate", ONEROW_INTERIM, "--scenario", "norddjurs", "norddjurs_threshold", "--as-of",
                 "2026-11-01", "--forecast-draws", "0", "--min-cell", "1", "--json", str(js), "--xlsx", str(xl)]) == 0
    capsys.readouterr()
    d = json.loads(js.read_text(encoding="utf-8"))
    head, *rows = _sheets(xl)["targets"]
    by_id = {r[0]: dict(zip(head, r, strict=True)) for r in rows}
    assert set(by_id) == set(d["targets"])
    for tid, t in d["targets"].items():
        for k in ("achieved", "denominator", "pending", "status", "threshold"):
            assert by_id[tid][k] == t[k], (tid, k)
    assert dict(_sheets(xl)["repayment"][1:])["value"] == pytest.approx(d["repayment_due"]["value"])


def test_the_environment_sets_the_default_language_and_a_bad_value_is_refused(monkeypatch, capsys):
    monkeypatch.setenv("SIMKIT_LANG", "da")
    assert main(["evaluate", FINAL, "--scenario", "norddjurs_v1"]) == 0
    assert "Opgjort pr. 30. april 2028" in capsys.readouterr().out
    assert main(["evaluate", FINAL, "--scenario", "norddjurs_v1", "--lang", "en"]) == 0
    assert "As of 2028-04-30" in capsys.readouterr().out
    monkeypatch.setenv("SIMKIT_LANG", "fr")
    assert main(["evaluate", FINAL, "--scenario", "norddjurs_v1"]) == 2
    err = capsys.readouterr().err
    assert "SIMKIT_LANG" in err and "'fr'" in err and "Traceback" not in err


def test_notes_are_written_in_the_language_asked_for(capsys):
    """An interim evaluation's notes: Danish with --lang da (dates in the long form), the English text
    (which the JSON keeps, with exact counts) otherwise."""
    interim = "data/examples/norddjurs_interim_2026-11-01.csv"
    args = ["evaluate", interim, "--scenario", "norddjurs_v1", "--as-of", "2026-11-01"]
    assert main([*args, "--lang", "da"]) == 0
    da = capsys.readouterr().out
    assert ("Midtvejsevaluering: status pr. 1. november 2026; en tom slutdato eller et igangværende forløb "
            "læses som stadig sådan den 1. november 2026") in da
    assert "Interim evaluation:" not in da
    assert main(args) == 0
    en = capsys.readouterr().out
    assert ("Interim evaluation: statuses as of 2026-11-01; a blank end date or an ongoing course is read "
            "as still so on 2026-11-01 (pass the date the data were extracted).") in en
