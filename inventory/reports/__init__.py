"""Renderings of the registers: exports (CSV, XLSX, JSON, JSON lines)."""
