"""`python -m prospector` runs the CLI."""

from prospector.cli import main

main()
