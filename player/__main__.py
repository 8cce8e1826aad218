"""``python -m player``: the same as the ``segue`` command."""

from player.cli import main

raise SystemExit(main())
