"""On PostgreSQL, the database itself refuses a citation that does not quote its source, from any
path (raw SQL, a bulk load, a script), and a change of a source's text that would strand one.

- `kb_citation_quote_at_offsets`, before a citation is inserted, or its source, quote or offsets
  change: the source's text from `start` to `end` must be the quote. The source's row is read
  `FOR SHARE`, so a concurrent change of its text waits for this transaction (or this one for it,
  and then reads the new text).
- `kb_citation_outside_parts` (in the same function): the quote overlaps no part of its source
  that is not the publisher's (a reposter's header, reader comments); `kb_sourcepart_covers_no_citation`
  refuses a part laid over a citation.
- `kb_source_text_keeps_citations`, before a source's text changes: every citation of it must
  still read its quote at its offsets. The row is locked by the UPDATE itself; each statement of
  the check sees every citation committed before the lock was granted.

Offsets are in characters (code points) in Python and in PostgreSQL's `substr` alike. Refusals
are `check_violation` errors naming the trigger as their constraint, which the API turns into a
4xx naming the field (kb.conflicts). Other databases: no-op (kb.integrity checks every save).
"""

from django.db import migrations

CREATE = r"""
CREATE OR REPLACE FUNCTION kb_citation_quote_at_offsets() RETURNS trigger AS $$
DECLARE
    source_text text;
BEGIN
    SELECT text INTO source_text FROM kb_source WHERE id = NEW.source_id FOR SHARE;
    IF NOT FOUND THEN
        RETURN NEW;  -- the foreign key refuses it
    END IF;
    IF substr(source_text, NEW.start + 1, NEW."end" - NEW.start) IS DISTINCT FROM NEW.quote THEN
        RAISE EXCEPTION 'citation % does not quote source % at [%:%]', NEW.id, NEW.source_id, NEW.start, NEW."end"
            USING ERRCODE = 'check_violation', CONSTRAINT = 'kb_citation_quote_at_offsets',
                  TABLE = 'kb_citation', COLUMN = 'quote';
    END IF;
    IF EXISTS (SELECT 1 FROM kb_sourcepart p
               WHERE p.source_id = NEW.source_id AND p.start < NEW."end" AND NEW.start < p."end") THEN
        RAISE EXCEPTION 'citation % quotes a part of source % that is not the publisher''s', NEW.id, NEW.source_id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'kb_citation_outside_parts',
                  TABLE = 'kb_citation', COLUMN = 'quote';
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER kb_citation_quote_at_offsets
    BEFORE INSERT OR UPDATE OF source_id, quote, start, "end" ON kb_citation
    FOR EACH ROW EXECUTE FUNCTION kb_citation_quote_at_offsets();

CREATE OR REPLACE FUNCTION kb_source_text_keeps_citations() RETURNS trigger AS $$
DECLARE
    stranded bigint;
BEGIN
    IF NEW.text IS NOT DISTINCT FROM OLD.text THEN
        RETURN NEW;
    END IF;
    SELECT count(*) INTO stranded FROM kb_citation c
        WHERE c.source_id = NEW.id AND substr(NEW.text, c.start + 1, c."end" - c.start) IS DISTINCT FROM c.quote;
    IF stranded > 0 THEN
        RAISE EXCEPTION 'the new text of source % strands % citation(s)', NEW.id, stranded
            USING ERRCODE = 'check_violation', CONSTRAINT = 'kb_source_text_keeps_citations',
                  TABLE = 'kb_source', COLUMN = 'text';
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER kb_source_text_keeps_citations
    BEFORE UPDATE OF text ON kb_source
    FOR EACH ROW EXECUTE FUNCTION kb_source_text_keeps_citations();

CREATE OR REPLACE FUNCTION kb_sourcepart_covers_no_citation() RETURNS trigger AS $$
BEGIN
    PERFORM 1 FROM kb_source WHERE id = NEW.source_id FOR SHARE;
    IF EXISTS (SELECT 1 FROM kb_citation c
               WHERE c.source_id = NEW.source_id AND c.start < NEW."end" AND NEW.start < c."end") THEN
        RAISE EXCEPTION 'part % of source % covers a citation: evidence is never in it', NEW.id, NEW.source_id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'kb_sourcepart_covers_no_citation',
                  TABLE = 'kb_sourcepart', COLUMN = 'start';
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER kb_sourcepart_covers_no_citation
    BEFORE INSERT OR UPDATE OF source_id, start, "end" ON kb_sourcepart
    FOR EACH ROW EXECUTE FUNCTION kb_sourcepart_covers_no_citation();
"""

DROP = """
DROP TRIGGER IF EXISTS kb_sourcepart_covers_no_citation ON kb_sourcepart;
DROP FUNCTION IF EXISTS kb_sourcepart_covers_no_citation();
DROP TRIGGER IF EXISTS kb_source_text_keeps_citations ON kb_source;
DROP FUNCTION IF EXISTS kb_source_text_keeps_citations();
DROP TRIGGER IF EXISTS kb_citation_quote_at_offsets ON kb_citation;
DROP FUNCTION IF EXISTS kb_citation_quote_at_offsets();
"""


class PostgreSQLOnly(migrations.RunSQL):
    """RunSQL on PostgreSQL; nothing elsewhere."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):
    dependencies = [("kb", "0013_load_provenance")]

    operations = [PostgreSQLOnly(CREATE, DROP)]
