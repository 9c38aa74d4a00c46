"""Runs: the one scan orchestrator (full scans, resumed runs, schedule, watch, single-path re-reads), the recorder,
progress, the service and `steward status`.

May import store, register, owners, findings, risks and `scanner`; nothing but the CLI and the web imports it.
"""
