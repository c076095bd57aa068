"""Stores stamped before the migrations were renumbered into the order they apply in.

Until then the history ran 0001 → 0004 → 0003 → 0005 → 0002 → 0006 → 0007 (revisions written on parallel
branches, re-chained when they landed). Now it runs 0001 → 0007 in order, and three ids changed meaning:

=========  ==============================  ==============================
stamped    old meaning (applied up to)     new meaning (applied up to)
=========  ==============================  ==============================
0002       logs (everything before 0006)   governance (right after 0001)
0004       governance                      web
0005       web                             logs
=========  ==============================  ==============================

A store at head (0007) or at 0001, 0003 or 0006 means the same under both. For the other three the schema
tells which numbering wrote the stamp: the table each old meaning lacks, or has, and the new one does not.
"""

from __future__ import annotations

from sqlalchemy import Connection, inspect, text

# stamped id → (table, whether the old meaning has it, the new id for the old meaning)
_AMBIGUOUS = {
    "0002": ("log_records", True, "0005"),
    "0004": ("alert_rule_states", False, "0002"),
    "0005": ("log_records", False, "0004"),
}


def restamp_old_numbering(conn: Connection) -> None:
    """Rewrite a stamp written under the old numbering to the same schema's new id."""
    tables = set(inspect(conn).get_table_names())
    if "alembic_version" not in tables:
        return  # a new store
    stamped = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    if stamped not in _AMBIGUOUS:
        return
    table, old_has_it, new_id = _AMBIGUOUS[stamped]
    if (table in tables) == old_has_it:  # otherwise the new numbering wrote it
        conn.execute(text("UPDATE alembic_version SET version_num = :new"), {"new": new_id})
