"""``python -m vigil``: the same entry point as the ``vigil`` command."""

from vigil.cli.app import main

if __name__ == "__main__":
    main()
