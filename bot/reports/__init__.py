"""Reports from the store: the annual KIP report, the complaint recap, registers and the IKM.

Each report module aggregates in SQL and returns a `Document` (bot/reports/document.py); the
modules under `bot/reports/render/` turn a Document into text, CSV, JSON, Excel or HTML.
"""
