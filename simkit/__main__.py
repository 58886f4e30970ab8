"""``python -m simkit``: the command line, as the ``simkit`` command."""

from simkit.cli import main

raise SystemExit(main())
