"""``python -m smpolicy``."""

from .cli import main

main()
