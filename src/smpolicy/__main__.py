"""``python -m smpolicy``."""

from smpolicy.cli import main

main()
