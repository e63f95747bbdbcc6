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
    "TRUNCATE bronze.raw_record",
    "UPDATE bronze.ingest_file SET path = 'q'",
    "TRUNCATE bronze.reject",
    "TRUNCATE bronze.provider_response",
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
        conn.commit()
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
            conn.execute(statement)
        conn.rollback()
        assert conn.execute("SELECT count(*) FROM bronze.raw_record").fetchone()[0] == 1


def test_every_bronze_table_has_append_only_triggers(pg_url):
    with psycopg.connect(pg_url) as conn:
        rows = conn.execute(
            """SELECT c.relname, count(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
               JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE n.nspname = 'bronze' AND c.relkind = 'r' AND NOT t.tgisinternal GROUP BY 1"""
        ).fetchall()
        tables = {r for (r,) in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'bronze'").fetchall()}
    assert dict(rows) == {t: 2 for t in tables}
