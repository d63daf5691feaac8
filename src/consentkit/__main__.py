"""``python -m consentkit``: the command line."""

from consentkit._cli import main

raise SystemExit(main())
