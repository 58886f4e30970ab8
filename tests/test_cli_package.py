"""The command-line package: an explicit table of commands, a light parser, an example per command.

Building the parser (``simkit --help``, ``simkit COMMAND --help``) must not
import numpy, pandas, scipy or matplotlib, nor any command's module; each
command's help lists its options and an example that parses; a command can be
added from outside the package (ARCHITECTURE.md, "How to add … a command").
"""

from __future__ import annotations

import argparse
import importlib
import shlex
import subprocess
import sys
import textwrap

import pytest

from simkit.cli import COMMANDS, Command, build_parser, main

HEAVY = ("numpy", "pandas", "scipy", "matplotlib", "numba")




@pytest.mark.parametrize("argv", [[], *[[c.name] for c in COMMANDS]])
def test_help_imports_no_heavy_module_and_no_command(argv):
    """Was: building the parser imported simkit.sensitivity and with it pandas and scipy (2.6-4.9 s)."""
    code = textwrap.dedent(f"""
        import sys
        from simkit.cli import main
        try:
            main({[*argv, "--help"]!r})
        except SystemExit as exc:
            assert exc.code == 0, exc.code
        heavy = [m for m in {HEAVY!r} if m in sys.modules]
        commands = [m for m in sys.modules if m.startswith("simkit.cli.") and not m.startswith("simkit.cli._")]
        print(heavy, commands, file=sys.stderr)
        sys.exit(1 if heavy or commands else 0)
    """)
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "--help" in r.stdout


def test_commands_are_listed_once_and_each_module_has_execute():
    names = [c.name for c in COMMANDS]
    assert names == ["run", "validate", "evaluate", "synth", "sensitivity", "design", "terms", "report"]
    for c in COMMANDS:
        assert callable(importlib.import_module(f"simkit.cli.{c.module}").execute), c.name


@pytest.mark.parametrize("cmd", COMMANDS, ids=lambda c: c.name)
def test_each_help_has_its_options_and_an_example_that_parses(cmd, capsys):
    parser = build_parser()
    with pytest.raises(SystemExit):
        parser.parse_args([cmd.name, "--help"])
    text = capsys.readouterr().out
    sub = argparse.ArgumentParser()
    cmd.add(sub)
    for action in sub._actions:  # every option declared is in the help
        for flag in action.option_strings:
            assert flag in text, (cmd.name, flag)
    assert "example:" in text
    for line in cmd.example.splitlines():
        argv = shlex.split(line.strip())
        assert argv[:2] == ["simkit", cmd.name] and line.strip() in text
        args = parser.parse_args(argv[1:])
        assert args._command is cmd


def test_a_command_added_from_outside_the_package(tmp_path, monkeypatch, capsys):
    (tmp_path / "greetings").mkdir()
    (tmp_path / "greetings" / "__init__.py").write_text("")
    (tmp_path / "greetings" / "command.py").write_text(textwrap.dedent("""
        from simkit.errors import InputError, Problem

        def execute(args):
            if not args.name.isalpha():
                raise InputError(Problem("--name", args.name, "letters only"))
            print(f"hello {args.name}")
            return 0
    """))
    monkeypatch.syspath_prepend(str(tmp_path))

    def add(p: argparse.ArgumentParser) -> None:
        p.add_argument("--name", required=True)

    greet = Command("greet", "Say hello.", add, "greetings.command", "simkit greet --name Ada")
    commands = [*COMMANDS, greet]
    assert main(["greet", "--name", "Ada"], commands=commands) == 0
    assert capsys.readouterr().out == "hello Ada\n"
    assert main(["greet", "--name", "4da"], commands=commands) == 2  # a user error: one message, code 2
    err = capsys.readouterr().err
    assert err.startswith("simkit greet: error:") and "4da" in err and "letters only" in err
    with pytest.raises(SystemExit):
        main(["--help"], commands=commands)
    assert "Say hello." in capsys.readouterr().out
