"""Issue 9, duplicated validation pieces: one of each, every old import path still works."""

from __future__ import annotations

import difflib

from hypothesis import given
from hypothesis import strategies as st

from simkit.contract import Target
from simkit.errors import Problem, ScenarioError, did_you_mean
from simkit.spec import _schema as _schema

_NAMES = st.text(alphabet="abcdefgh_", min_size=1, max_size=8)


def test_schema_issue_is_problem():
    """The schema's problem triple is the errors module's Problem, under both names."""
    assert _schema.Issue is Problem
    issue = _schema.Issue("agreement.cohort_size", -1, "a whole number >= 1")
    assert issue.where == "agreement.cohort_size"
    assert (issue.value, issue.expected) == (-1, "a whole number >= 1")
    assert str(issue) == "agreement.cohort_size: got -1; expected a whole number >= 1"


@given(name=_NAMES, options=st.lists(_NAMES, max_size=6), cutoff=st.sampled_from([0.5, 0.6]))
def test_did_you_mean_suggests_an_option(name, options, cutoff):
    hint = did_you_mean(name, options, cutoff=cutoff)
    if name in options:
        assert hint == ""  # a known name gets no suggestion
        return
    close = difflib.get_close_matches(name, options, n=1, cutoff=cutoff)
    # the text every call site built by hand before
    assert hint == (f" (did you mean {close[0]!r}?)" if close else "")
    if hint:
        assert any(hint == f" (did you mean {o!r}?)" for o in options)
    semi = did_you_mean(name, options, cutoff=cutoff, sep="; ")
    assert semi == (f"; did you mean {close[0]!r}?" if close else "")


def test_did_you_mean_messages_unchanged():
    """Both punctuations, end to end, word for word as before."""
    table = _schema.Table({"premium": _schema.Str(), "size": _schema.Str(choices=["small", "large"])})
    issues: list = []
    table.check({"premum": "x", "size": "smal"}, "contract", issues)
    assert [str(i) for i in issues] == [
        "contract.premum: got 'x'; expected no such key; did you mean 'premium'? (valid keys: premium, size)",
        "contract.size: got 'smal'; expected one of 'small', 'large' (did you mean 'small'?)",
    ]
    try:
        Target("t1", "completion", threshold=0.8, weight=1.0, rule="prorata")
    except ScenarioError as exc:
        assert str(exc) == ("target.rule: got 'prorata'; expected one of 'threshold', 'pro_rata', "
                            "'graduated' (did you mean 'pro_rata'?)")
    else:
        raise AssertionError("an unknown rule was accepted")
