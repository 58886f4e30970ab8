"""Issue 9, duplicated validation pieces: one of each, every old import path still works."""

from __future__ import annotations

from simkit import _schema
from simkit.errors import Problem


def test_schema_issue_is_problem():
    """The schema's problem triple is the errors module's Problem, under both names."""
    assert _schema.Issue is Problem
    issue = _schema.Issue("agreement.cohort_size", -1, "a whole number >= 1")
    assert issue.where == "agreement.cohort_size"
    assert (issue.value, issue.expected) == (-1, "a whole number >= 1")
    assert str(issue) == "agreement.cohort_size: got -1; expected a whole number >= 1"
