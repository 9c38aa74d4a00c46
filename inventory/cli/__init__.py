"""The `steward` command: the composition root. Each command module registers its commands on the group in `group.py`;
`main.py` imports them all. Nothing outside this package imports it.
"""
