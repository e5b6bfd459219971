"""``python -m coopzone``: the command line."""

from coopzone.cli.main import main

if __name__ == "__main__":
    main()
