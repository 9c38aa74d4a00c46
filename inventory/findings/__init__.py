"""Findings: evaluating the rule files over a source's files and assets, storing findings with the decisions people
made, and their read side.

May import store, register, owners and rules.
"""
