"""``python -m riskscope.cli`` (used by tests that run the CLI in a subprocess)."""

from riskscope.cli import main

main()
