"""Reports for people outside Steward's own pages, built from several features at once: the migration triage
(register, findings) and the governance board's evidence pack.

May import store, register, owners, findings, rules and risks; only the CLI imports it.
"""
