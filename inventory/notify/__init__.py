"""Telling people: e-mail digests for Information Asset Owners (weekly) and the SIRO (monthly) over SMTP, each
recorded in the audit log so nobody is sent the same digest twice and a failed send is tried again next run.

May import store, register, findings, risks and web (accounts, scope, views); only the CLI and the service import it.
"""
