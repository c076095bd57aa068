"""`python -m vigil` is the `vigil` command."""

from vigil.cli.app import main

main()
