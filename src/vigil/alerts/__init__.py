"""Alerts: rules evaluated over metric series, Alertmanager in, notifications and communications out."""
