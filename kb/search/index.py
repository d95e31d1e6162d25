"""The full-text indexes of every kind in kb.search.kinds, on SQLite and on PostgreSQL.

Each kind has two indexes over its document (its declared columns): one *stemmed* (Porter's
English stemmer: "refuses" and "refused" are one word), one *exact* (no stemming, for quoted
phrases). Both ignore case and accents, and split words as kb.search.text does.

- SQLite: FTS5 virtual tables `kb_search_<kind>_stem` (tokenizer `porter unicode61
  remove_diacritics 2`) and `kb_search_<kind>_exact` (`unicode61 remove_diacritics 2`), both
  with the columns head and document, and letters and digits only (`categories 'L* N*'`). They are
  external-content tables over the view `kb_search_<kind>` (the record's id, head and
  document), kept current by triggers on the kind's table: in the same transaction as any
  write, whatever makes it (the ORM, load_kb, the synthetic generator's bulk inserts).
- PostgreSQL: stored vectors, generated columns holding `to_tsvector('kb_stem' | 'kb_exact',
  <document>)` in the text search configurations of migration 0104 (unaccent, then Porter's
  stemmer or none), and a GIN index on each. Column and index names carry a hash of their
  definitions, so a changed declaration makes new ones.

Names: triggers on every table holding names change `kb_search_state.names_token`, which tells
each process when to load its kb.search.names book again.

`sync()` creates what the declarations ask for and drops what they no longer do. Migration
0104 runs it, and so does every `migrate` afterwards (post_migrate), so a kind declared later
gets its indexes; on SQLite, where Django rebuilds a table to alter it (dropping its triggers),
`migrate` drops the views before and rebuilds the FTS tables after when their triggers were lost.
"""

import hashlib

from django.db import connections
from django.db.models import JSONField

from kb.search.kinds import KINDS, NAMED_KINDS

STEM_CONFIG = "kb_stem"
EXACT_CONFIG = "kb_exact"
TOKEN_CHARACTERS = "categories 'L* N*'"
STEM_TOKENIZER = f"porter unicode61 remove_diacritics 2 {TOKEN_CHARACTERS}"
EXACT_TOKENIZER = f"unicode61 remove_diacritics 2 {TOKEN_CHARACTERS}"
STATE_TABLE = "kb_search_state"
# The values of a JSON list column (a source's authors) that are searched.
JSON_SLOTS = 10
PREFIX = "kb_search_"
# Migration 0104's function: a text's letters and digits, everything else a space.
WORDS_FUNCTION = "kb_search_words"


def stem_table(kind):
    return f"{PREFIX}{kind.name}_stem"


def exact_table(kind):
    return f"{PREFIX}{kind.name}_exact"


def view_name(kind):
    return f"{PREFIX}{kind.name}"


def _field(kind, attname):
    return next(field for field in kind.model._meta.concrete_fields if field.attname == attname)


def _pk_column(kind):
    return kind.model._meta.pk.column


# --- The text of a document, as SQL --------------------------------------------------------------


def sqlite_text(kind, columns, row=""):
    """The SQL text of `columns`, one per line, on SQLite; `row` is "new." or "old." in a trigger."""
    if not columns:
        return "''"
    parts = []
    for attname in columns:
        column = f'{row}"{_field(kind, attname).column}"'
        if isinstance(_field(kind, attname), JSONField):
            # A JSON list (of names): its first values, not its brackets and escapes. FTS5 reads
            # no table-valued function (json_each) in its content, hence the fixed slots.
            slots = " || ' ' || ".join(f"COALESCE(json_extract({column}, '$[{i}]'), '')" for i in range(JSON_SLOTS))
            parts.append(f"({slots})")
        else:
            parts.append(f"COALESCE({column}, '')")
    return " || char(10) || ".join(parts)


def postgresql_text(kind, columns, column_sql=None):
    """The SQL text of `columns` on PostgreSQL, as plain words (kb_search_words), unless it is a
    column of words already (search_text, or the kind's `words`), which kb.search.text wrote. `column_sql(field)` writes a
    column reference (the query's, with its table alias); by default its bare quoted name."""
    column_sql = column_sql or (lambda field: f'"{field.column}"')
    if tuple(columns) in (("search_text",), (kind.words,)):
        return f"COALESCE({column_sql(_field(kind, columns[0]))}, '')"
    if not columns:
        return "''"
    parts = []
    for attname in columns:
        field = _field(kind, attname)
        reference = column_sql(field)
        if isinstance(field, JSONField):
            parts.append(
                "(" + " || ' ' || ".join(f"COALESCE({reference} ->> {i}, '')" for i in range(JSON_SLOTS)) + ")"
            )
        else:
            parts.append(f"COALESCE({reference}, '')")
    return f"{WORDS_FUNCTION}({' || chr(10) || '.join(parts)})"


def postgresql_raw(kind, columns):
    """The columns' own text, punctuation and all, for ts_headline to cut a passage from."""
    if not columns:
        return "''"
    parts = []
    for attname in columns:
        field = _field(kind, attname)
        cast = "::text" if isinstance(field, JSONField) else ""
        parts.append(f"COALESCE(\"{field.column}\"{cast}, '')")
    return " || chr(10) || ".join(parts)


def postgresql_vector(kind, config, column_sql=None):
    return f"to_tsvector('{config}'::regconfig, {postgresql_text(kind, kind.words_columns, column_sql)})"


def _digest(text):
    return hashlib.sha1(text.encode()).hexdigest()[:8]


def _config_name(config):
    return "stem" if config == STEM_CONFIG else "exact"


def postgresql_column(kind, config):
    """The kind's stored vector: a generated column that holds its document's `postgresql_vector`.

    Its name carries a hash of that expression, so a changed declaration makes a new column. Reading
    a stored vector costs a microsecond a row, computing it again tens: what a phrase's recheck, or
    a page that walks the order's index and tests each row, does for every row it reads."""
    return f"{PREFIX}{_config_name(config)}_{_digest(postgresql_vector(kind, config))}"


def postgresql_index_name(kind, config):
    return (
        f"{PREFIX}{kind.name}_{_config_name(config)}_{_digest(f'{kind.table}:gin:{postgresql_column(kind, config)}')}"
    )


# --- Names: the tables whose writes change the names token ------------------------------------------


def names_tables():
    """{table: columns whose change changes a name}: the named kinds' tables and their other names'."""
    from kb.models import OtherName

    tables = {kind.table: ["name", "slug"] for kind in NAMED_KINDS}
    owners = [
        field.column
        for field in OtherName._meta.concrete_fields
        if field.is_relation and field.related_model in {kind.model for kind in NAMED_KINDS}
    ]
    tables[OtherName._meta.db_table] = ["name", *owners]
    return tables


# --- SQLite ----------------------------------------------------------------------------------------


def _fts_insert(kind, row):
    stem, exact, pk = stem_table(kind), exact_table(kind), _pk_column(kind)
    head, document = sqlite_text(kind, kind.head, row), sqlite_text(kind, kind.document, row)
    return (
        f'INSERT INTO {stem}(rowid, head, document) VALUES ({row}"{pk}", {head}, {document}); '
        f'INSERT INTO {exact}(rowid, head, document) VALUES ({row}"{pk}", {head}, {document});'
    )


def _fts_delete(kind, row):
    """External-content FTS5 forgets a row when told the values it indexed."""
    stem, exact, pk = stem_table(kind), exact_table(kind), _pk_column(kind)
    head, document = sqlite_text(kind, kind.head, row), sqlite_text(kind, kind.document, row)
    return (
        f"INSERT INTO {stem}({stem}, rowid, head, document) VALUES ('delete', {row}\"{pk}\", {head}, {document}); "
        f"INSERT INTO {exact}({exact}, rowid, head, document) VALUES ('delete', {row}\"{pk}\", {head}, {document});"
    )


def _sqlite_objects():
    """[(kind name or None, object type, name, SQL)] that SQLite should have."""
    objects = [
        (
            None,
            "table",
            STATE_TABLE,
            f"CREATE TABLE {STATE_TABLE} (id INTEGER PRIMARY KEY CHECK (id = 1), names_token INTEGER NOT NULL)",
        )
    ]
    for kind in KINDS.values():
        table, pk = kind.table, _pk_column(kind)
        stem, exact, view = stem_table(kind), exact_table(kind), view_name(kind)
        objects.append(
            (
                kind.name,
                "view",
                view,
                f'CREATE VIEW {view} AS SELECT "{pk}" AS id, {sqlite_text(kind, kind.head)} AS head, '
                f'{sqlite_text(kind, kind.document)} AS document FROM "{table}"',
            )
        )
        objects.append(
            (
                kind.name,
                "table",
                stem,
                f"CREATE VIRTUAL TABLE {stem} USING fts5(head, document, content='{view}', content_rowid='id', "
                f'tokenize="{STEM_TOKENIZER}")',
            )
        )
        objects.append(
            (
                kind.name,
                "table",
                exact,
                f"CREATE VIRTUAL TABLE {exact} USING fts5(head, document, content='{view}', content_rowid='id', "
                f'tokenize="{EXACT_TOKENIZER}")',
            )
        )

        columns = ", ".join(f'"{_field(kind, name).column}"' for name in dict.fromkeys(kind.head + kind.document))
        for suffix, event, body in (
            ("insert", "INSERT", _fts_insert(kind, "new.")),
            ("delete", "DELETE", _fts_delete(kind, "old.")),
            ("update", f"UPDATE OF {columns}", _fts_delete(kind, "old.") + " " + _fts_insert(kind, "new.")),
        ):
            name = f"{PREFIX}{kind.name}_{suffix}"
            objects.append(
                (kind.name, "trigger", name, f'CREATE TRIGGER {name} AFTER {event} ON "{table}" BEGIN {body} END')
            )
    for table, columns in names_tables().items():
        change = f"UPDATE {STATE_TABLE} SET names_token = random();"
        quoted = ", ".join(f'"{column}"' for column in columns)
        for suffix, event in (("insert", "INSERT"), ("delete", "DELETE"), ("update", f"UPDATE OF {quoted}")):
            name = f"{PREFIX}names_{table}_{suffix}"
            objects.append(
                (None, "trigger", name, f'CREATE TRIGGER {name} AFTER {event} ON "{table}" BEGIN {change} END')
            )
    return objects


def _sqlite_sync(connection, rebuild=False):
    with connection.cursor() as cursor:
        cursor.execute("SELECT type, name, sql FROM sqlite_master WHERE name LIKE 'kb\\_search\\_%' ESCAPE '\\'")
        existing = {name: (object_type, sql) for object_type, name, sql in cursor.fetchall()}
        tables = set(connection.introspection.table_names(cursor))
        wanted = [item for item in _sqlite_objects() if item[0] is None or KINDS[item[0]].table in tables]
        wanted_names = {name for _, _, name, _ in wanted}
        # What the declarations no longer ask for. An FTS table's shadow tables (plain CREATE
        # TABLE) go with it; only views, triggers and virtual tables are ours to drop.
        for name, (object_type, sql) in sorted(existing.items()):
            ours = object_type in ("view", "trigger") or (sql or "").startswith("CREATE VIRTUAL TABLE")
            if ours and name not in wanted_names:
                cursor.execute(f"DROP {object_type.upper()} IF EXISTS {name}")
        stale_kinds = set()
        for kind_name, object_type, name, sql in wanted:
            if name in existing and existing[name][1] == sql:
                continue
            if name in existing:
                cursor.execute(f"DROP {object_type.upper()} IF EXISTS {name}")
            cursor.execute(sql)
            if kind_name is not None and (object_type != "view" or name in existing):
                stale_kinds.add(kind_name)
        cursor.execute(f"INSERT OR IGNORE INTO {STATE_TABLE} (id, names_token) VALUES (1, 0)")
        for kind in KINDS.values():
            if kind.table in tables and (rebuild or kind.name in stale_kinds):
                for fts in (stem_table(kind), exact_table(kind)):
                    cursor.execute(f"INSERT INTO {fts}({fts}) VALUES('rebuild')")


def _sqlite_drop_views(connection):
    with connection.cursor() as cursor:
        for kind in KINDS.values():
            cursor.execute(f"DROP VIEW IF EXISTS {view_name(kind)}")


def _sqlite_drop_all(connection):
    with connection.cursor() as cursor:
        for _, object_type, name, _ in reversed(_sqlite_objects()):
            cursor.execute(f"DROP {object_type.upper()} IF EXISTS {name}")


# --- PostgreSQL ------------------------------------------------------------------------------------

NAMES_FUNCTION = "kb_search_names_changed"


def _search_columns(cursor, table):
    """The stored vectors a table has (kb.search's generated columns)."""
    cursor.execute(
        "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped "
        "AND attname LIKE %s",
        [f'"{table}"', "kb\\_search\\_%"],
    )
    return {name for (name,) in cursor.fetchall()}


def _postgresql_sync(connection, rebuild=False):
    with connection.cursor() as cursor:
        tables = set(connection.introspection.table_names(cursor))
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {STATE_TABLE} "
            "(id integer PRIMARY KEY CHECK (id = 1), names_token bigint NOT NULL)"
        )
        cursor.execute(f"INSERT INTO {STATE_TABLE} (id, names_token) VALUES (1, 0) ON CONFLICT (id) DO NOTHING")
        # The stored vectors first (a column dropped takes its index along), then their indexes.
        for kind in KINDS.values():
            if kind.table not in tables:
                continue
            wanted_columns = {postgresql_column(kind, config): config for config in (STEM_CONFIG, EXACT_CONFIG)}
            existing_columns = _search_columns(cursor, kind.table)
            for column in sorted(existing_columns - set(wanted_columns)):
                cursor.execute(f'ALTER TABLE "{kind.table}" DROP COLUMN "{column}"')
            added = [
                f'ADD COLUMN "{column}" tsvector GENERATED ALWAYS AS ({postgresql_vector(kind, config)}) STORED'
                for column, config in wanted_columns.items()
                if column not in existing_columns
            ]
            if added:  # one rewrite of the table for both
                cursor.execute(f'ALTER TABLE "{kind.table}" ' + ", ".join(added))
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND indexname LIKE %s "
            "AND tablename <> %s AND indexname NOT IN (SELECT conname FROM pg_constraint)",
            ["kb\\_search\\_%", STATE_TABLE],
        )
        existing = {name for (name,) in cursor.fetchall()}
        wanted = {}
        for kind in KINDS.values():
            if kind.table not in tables:
                continue
            for config in (STEM_CONFIG, EXACT_CONFIG):
                wanted[postgresql_index_name(kind, config)] = (
                    f'CREATE INDEX {postgresql_index_name(kind, config)} ON "{kind.table}" '
                    f'USING gin ("{postgresql_column(kind, config)}")'
                )
        for name in sorted(existing - set(wanted)):
            cursor.execute(f"DROP INDEX IF EXISTS {name}")
        for name, sql in wanted.items():
            if rebuild and name in existing:
                cursor.execute(f"DROP INDEX {name}")
            if rebuild or name not in existing:
                cursor.execute(sql)
        cursor.execute(
            f"CREATE OR REPLACE FUNCTION {NAMES_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"UPDATE {STATE_TABLE} SET names_token = floor(random() * 9007199254740991)::bigint; RETURN NULL; END $$"
        )
        for table, columns in names_tables().items():
            if table not in tables:
                continue
            quoted = ", ".join(f'"{column}"' for column in columns)
            cursor.execute(f'DROP TRIGGER IF EXISTS {PREFIX}names ON "{table}"')
            cursor.execute(
                f'CREATE TRIGGER {PREFIX}names AFTER INSERT OR DELETE OR UPDATE OF {quoted} OR TRUNCATE ON "{table}" '
                f"FOR EACH STATEMENT EXECUTE FUNCTION {NAMES_FUNCTION}()"
            )


def _postgresql_drop_all(connection):
    with connection.cursor() as cursor:
        tables = set(connection.introspection.table_names(cursor))
        for table in names_tables():
            if table in tables:
                cursor.execute(f'DROP TRIGGER IF EXISTS {PREFIX}names ON "{table}"')
        cursor.execute(f"DROP FUNCTION IF EXISTS {NAMES_FUNCTION}()")
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND indexname LIKE %s "
            "AND tablename <> %s AND indexname NOT IN (SELECT conname FROM pg_constraint)",
            ["kb\\_search\\_%", STATE_TABLE],
        )
        for (name,) in cursor.fetchall():
            cursor.execute(f"DROP INDEX IF EXISTS {name}")
        _drop_search_columns(cursor, [kind for kind in KINDS.values() if kind.table in tables])
        cursor.execute(f"DROP TABLE IF EXISTS {STATE_TABLE}")


def _drop_search_columns(cursor, kinds):
    for kind in kinds:
        columns = sorted(_search_columns(cursor, kind.table))
        if columns:
            cursor.execute(f'ALTER TABLE "{kind.table}" ' + ", ".join(f'DROP COLUMN "{column}"' for column in columns))


# --- Entry points ----------------------------------------------------------------------------------


def installed(connection):
    """Whether migration 0104 has set search up on this database (its state table exists)."""
    with connection.cursor() as cursor:
        return STATE_TABLE in connection.introspection.table_names(cursor)


def sync(connection, rebuild=False):
    """Create the indexes, views and triggers the declarations ask for; drop those they no longer do.
    `rebuild`: fill every index again from the tables."""
    if connection.vendor == "postgresql":
        _postgresql_sync(connection, rebuild)
    else:
        _sqlite_sync(connection, rebuild)


def drop(connection):
    if connection.vendor == "postgresql":
        _postgresql_drop_all(connection)
    else:
        _sqlite_drop_all(connection)


def before_migrate(sender, using="default", plan=None, **kwargs):
    """SQLite checks every view when Django renames a rebuilt table: views of a column a migration
    removes would stop it. They are dropped for the migration and made again after it.

    PostgreSQL refuses to drop, or change the type of, a column that a stored vector is computed
    from: the vectors of a kind whose searched fields the migration touches are dropped for it,
    and made again after it (after_migrate)."""
    connection = connections[using]
    if not plan or not installed(connection):
        return
    if connection.vendor == "sqlite":
        _sqlite_drop_views(connection)
        return
    touched = [kind for kind in KINDS.values() if any(_touches(migration, kind) for migration, _ in plan)]
    if touched:
        with connection.cursor() as cursor:
            tables = set(connection.introspection.table_names(cursor))
            _drop_search_columns(cursor, [kind for kind in touched if kind.table in tables])


def _touches(migration, kind):
    """Whether a migration alters, renames or removes a field that `kind`'s stored vectors read."""
    model = kind.model._meta.model_name
    fields = {_field(kind, attname).name for attname in kind.words_columns}
    for operation in getattr(migration, "operations", ()):
        if getattr(operation, "model_name", None) != model:
            continue
        names = {getattr(operation, "name", None), getattr(operation, "old_name", None)}
        if names & fields:
            return True
    return False


def after_migrate(sender, using="default", **kwargs):
    connection = connections[using]
    if installed(connection):
        sync(connection)


def names_token(using):
    with connections[using].cursor() as cursor:
        cursor.execute(f"SELECT names_token FROM {STATE_TABLE} WHERE id = 1")
        row = cursor.fetchone()
    return row[0] if row else None
