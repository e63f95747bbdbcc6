import os

import psycopg
import pytest

from etl.migrate import available, migrate


def test_migrations_are_idempotent_and_recorded(pg_url):
    with psycopg.connect(pg_url) as conn:
        assert migrate(conn) == []  # the template already applied them all
        versions = [v for (v,) in conn.execute("SELECT version FROM ops.schema_migration ORDER BY version")]
    assert versions == [m.version for m in available()]


@pytest.mark.parametrize("statement", [
    "UPDATE bronze.raw_record SET payload = '{}'::jsonb",
    "DELETE FROM bronze.raw_record",
    "TRUNCATE bronze.raw_record CASCADE",  # plain TRUNCATE stops earlier: bronze.file_record refers to it
    "UPDATE bronze.ingest_file SET path = 'q'",
    "TRUNCATE bronze.reject",
    "TRUNCATE bronze.provider_response",
    "UPDATE bronze.file_record SET position = 9",
    "DELETE FROM bronze.file_record",
    "TRUNCATE bronze.file_record",
])
def test_bronze_is_append_only(pg_url, statement):
    with psycopg.connect(pg_url) as conn:
        conn.execute(
            "INSERT INTO bronze.ingest_file (source, path, file_sha256, size_bytes, importer_version,"
            " records_read, records_new, records_rejected) VALUES ('t', 'p', 'h', 1, 'v', 1, 1, 0)"
        )
        conn.execute(
            "INSERT INTO bronze.raw_record (source, record_type, file_id, position, payload, content_hash,"
            " importer_version) SELECT 't', 'x', file_id, 0, '{}', 'h', 'v' FROM bronze.ingest_file"
        )
        conn.execute("INSERT INTO bronze.file_record (file_id, position, record_id)"
                     " SELECT file_id, position, record_id FROM bronze.raw_record")
        conn.commit()
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
            conn.execute(statement)
        conn.rollback()
        assert conn.execute("SELECT count(*) FROM bronze.raw_record").fetchone()[0] == 1
        assert conn.execute("SELECT count(*) FROM bronze.file_record").fetchone()[0] == 1


def test_every_bronze_table_has_append_only_triggers(pg_url):
    with psycopg.connect(pg_url) as conn:
        rows = conn.execute(
            """SELECT c.relname, count(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
               JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE n.nspname = 'bronze' AND c.relkind = 'r' AND NOT t.tgisinternal GROUP BY 1"""
        ).fetchall()
        tables = {r for (r,) in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'bronze'").fetchall()}
    assert dict(rows) == dict.fromkeys(tables, 2)


def test_attempt_rows_become_one_log_row_per_entity_and_read_back_unchanged(pg_server, monkeypatch):
    """010 folds the per-attempt rows of an existing database into enrichment.attempt_log; the
    enrichment.attempt view must give back every attempt exactly as it was, in the same order."""
    import etl.migrate as m
    from graphsvc.pg import drop_database, ensure_database

    name = f"mig010_{os.getpid()}"
    url = ensure_database(pg_server, name)
    try:
        with psycopg.connect(url) as conn:
            everything = available()
            monkeypatch.setattr(m, "available", lambda: [x for x in everything if x.version < 10])
            migrate(conn)
            columns = ("run_id, replay_id, entity_type, entity_id, field, provider, priority, input, output, "
                       "confidence, success, error")
            rows = [
                (1, None, "track", 7, "bpm", "rekordbox", 1, '{"observations": 0}', None, None, False, "no data"),
                (1, None, "track", 7, "bpm", "features", 2, '{"file": "x", "note": null}', '{"value": 128.0}', 0.298,
                 False, "confidence 0.30 below 0.70"),
                (1, None, "track", 7, "label", "mixesdb", 1, '{"record_id": 3}', '{"value": "Mute"}', 0.6, True, None),
                (1, None, "track", 8, "bpm", "rekordbox", 1, '{"observations": 1}', '{"value": 95.0}', 0.9, True, None),
                (2, 5, "track", 7, "bpm", "rekordbox", 1, '{"observations": 0}', None, None, False, "no data"),
            ]
            with conn.cursor() as cur:
                cur.executemany(f"INSERT INTO enrichment.attempt ({columns}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s,"
                                " %s, %s, %s, %s)", rows)
            before = conn.execute(f"SELECT {columns} FROM enrichment.attempt ORDER BY attempt_id").fetchall()
            conn.commit()
            monkeypatch.setattr(m, "available", lambda: everything)
            assert migrate(conn) == [v.version for v in everything if v.version >= 10]
            after = conn.execute(f"SELECT {columns} FROM enrichment.attempt ORDER BY attempt_id").fetchall()
            assert after == before
            # one log row per (run, replay, entity): 7 in run 1, 8 in run 1, 7 in replay 5
            assert conn.execute("SELECT entity_id, json_array_length(attempts) FROM enrichment.attempt_log"
                                " ORDER BY log_id").fetchall() == [(7, 3), (8, 1), (7, 1)]
    finally:
        drop_database(pg_server, name)
