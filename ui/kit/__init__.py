"""Shared building blocks of the report and list windows (export, printing, charts)."""
