"""Thin command-line layer: parse, call a service function, render with Rich."""
