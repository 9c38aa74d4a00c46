"""`python -m inventory` is the `steward` command."""

from inventory.cli.main import main

main()
