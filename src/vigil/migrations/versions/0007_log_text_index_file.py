"""logs: the SQLite full-text index moves to a file of its own, fed by an outbox of deleted lines

Revision ID: 0007
Revises: 0006

On SQLite the FTS5 index of log lines leaves the store for ``<store>-fts``, built by an indexer connection
in parallel with ingest (see ``vigil.store.logtext_sqlite``; the index file rebuilds itself from the rows
the first time the store is opened after this upgrade). In the store:
- log_records becomes AUTOINCREMENT: an id is never reused, so an index entry never stands for another line;
- log_fts_pending, filled by a trigger, holds deleted lines until the indexer has removed them;
- log_fts_owner holds a random token that binds an index file to this store.
PostgreSQL keeps its trigram index, updated with the rows: nothing changes there.
"""

import secrets
from collections.abc import Sequence

from alembic import op

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None

_TOKENIZER = "tokenize=\"unicode61 remove_diacritics 0 tokenchars '_'\""


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute("DROP TRIGGER log_records_fts_delete")
    op.execute("DROP TABLE log_fts")
    with op.batch_alter_table("log_records", recreate="always",
                              table_kwargs={"sqlite_autoincrement": True}):
        pass
    op.execute("CREATE TABLE log_fts_pending (seq INTEGER PRIMARY KEY AUTOINCREMENT, id INTEGER NOT NULL, "
               "raw TEXT NOT NULL)")
    op.execute("CREATE TRIGGER log_records_fts_pending AFTER DELETE ON log_records BEGIN "
               "INSERT INTO log_fts_pending (id, raw) VALUES (old.id, old.raw); END")
    op.execute("CREATE TABLE log_fts_owner (token TEXT NOT NULL)")
    op.execute(f"INSERT INTO log_fts_owner (token) VALUES ('{secrets.token_hex(16)}')")


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute("DROP TRIGGER log_records_fts_pending")
    op.execute("DROP TABLE log_fts_pending")
    op.execute("DROP TABLE log_fts_owner")
    with op.batch_alter_table("log_records", recreate="always"):
        pass
    # 0005's index inside the store, filled again from the rows.
    op.execute("CREATE VIRTUAL TABLE log_fts USING fts5(raw, content='log_records', content_rowid='id', "
               f"{_TOKENIZER}, columnsize=0)")
    op.execute("INSERT INTO log_fts(log_fts) VALUES ('rebuild')")
    op.execute("CREATE TRIGGER log_records_fts_delete AFTER DELETE ON log_records BEGIN "
               "INSERT INTO log_fts(log_fts, rowid, raw) VALUES ('delete', old.id, old.raw); END")
