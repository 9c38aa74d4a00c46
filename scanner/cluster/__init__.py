"""Scans on Dask distributed: the coordinator's executor (``executor``) and the worker's plugin and task (``worker``).

Importing this package imports ``distributed``; the local engine never does.
"""

from scanner.cluster.executor import ClusterUnavailable, DaskExecutor, connect

__all__ = ["ClusterUnavailable", "DaskExecutor", "connect"]
