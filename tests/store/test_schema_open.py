"""Opening a store: Alembic runs only when the stamp is not the newest revision, and the newest revision
read from the migration files is Alembic's own head (so the fast path cannot drift from the history)."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import event

from vigil.store import Store
from vigil.store.db import MIGRATIONS
from vigil.store.revisions import head_revision, stamped_revision


def alembic_head() -> str | None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config).get_current_head()


def test_the_head_read_from_the_files_is_alembics_head() -> None:
    assert head_revision() is not None
    assert head_revision() == alembic_head()


REVISIONS = ["0001", "0002", "0003", "0004", "0005", "0006"]


@settings(max_examples=6, deadline=None)
@given(st.sampled_from(REVISIONS))
def test_a_store_below_head_is_migrated_on_open(at: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'v.db'}"
        old = Store(url, migrate=False)
        old.migrate(to=at)
        assert stamped_revision(old._reader) == at
        old.dispose()
        store = Store(url)
        assert stamped_revision(store._reader) == head_revision()
        store.dispose()


def test_a_new_store_has_no_stamp_and_is_migrated(db_url: str) -> None:
    bare = Store(db_url, migrate=False)
    assert stamped_revision(bare._reader) is None
    bare.dispose()
    store = Store(db_url)
    assert stamped_revision(store._reader) == head_revision()
    store.dispose()


def test_opening_a_store_at_head_writes_nothing(db_url: str) -> None:
    Store(db_url).dispose()
    statements: list[str] = []
    again = Store(db_url, migrate=False)
    for engine in {again._reader, again._writer}:
        event.listen(engine, "before_cursor_execute",
                     lambda _c, _cur, sql, *_rest: statements.append(sql.strip().split()[0].upper()))
    again.open_schema()
    assert statements and set(statements) <= {"SELECT", "BEGIN"}, statements
    again.dispose()


def test_opening_a_store_at_head_does_not_import_alembic() -> None:
    probe = ("import sys, tempfile\nfrom vigil.store import Store\n"
             "url = 'sqlite:///' + tempfile.mkdtemp() + '/v.db'\nStore(url).dispose()\n"
             "for m in [m for m in sys.modules if m.startswith('alembic')]:\n    del sys.modules[m]\n"
             "Store(url).dispose()\nprint('ALEMBIC', 'alembic' in sys.modules)\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120)
    assert "ALEMBIC False" in done.stdout
