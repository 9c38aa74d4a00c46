"""Ownership and access: the directory of people, owner inference from evidence, the decisions people make about
owners, and who can read and write each asset.

May import store and register.
"""
