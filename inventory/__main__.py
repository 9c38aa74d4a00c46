"""`python -m inventory` is the `steward` command."""

from inventory.cli import main

main()
