"""Developer helper: autogenerate the next Alembic revision.

Usage: PYTHONPATH=src python scripts/new_migration.py sqlite:////tmp/x.db "add alerts" 0002
"""
import sys
from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine
from pathlib import Path
url, msg, rev = sys.argv[1], sys.argv[2], sys.argv[3]
eng = create_engine(url)
cfg = Config(); cfg.set_main_option("script_location", "src/vigil/migrations")
with eng.begin() as conn:
    cfg.attributes["connection"] = conn
    command.upgrade(cfg, "head")
    command.revision(cfg, message=msg, autogenerate=True, rev_id=rev)
