"""``python -m recommender``: the ``segue-recommender`` command line."""

from recommender.cli import main

raise SystemExit(main())
