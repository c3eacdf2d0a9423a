"""A bigram index for two-character searches (db/search.py), PostgreSQL only.

A two-character query (漏水, 退款, 发票: most Chinese words) has no trigram, so the pg_trgm
indexes of migration 2026-12-03 cannot answer it. complaint_bigrams(text) gives every
overlapping pair of characters of a text, lower-cased, leaving out pairs with a blank (a query
is trimmed and its blanks collapsed, so two characters never contain one); the GIN index
complaint_text_bigrams holds the pairs of the searched columns joined by blanks, and
`complaint_bigrams(<the same expression>) @> ARRAY[lower(q)]` finds every complaint that
contains the two characters, old ones included. db/search.py BIGRAM_SOURCE must stay the same
expression as the one below, or the planner will not use the index (a test checks the plan).

Measured at 1,000,000 complaints (bench/README.md): about a minute to build (and two seconds
to ANALYZE), the table locked against writes meanwhile: Piccolo runs a migration in a
transaction, where CREATE INDEX CONCURRENTLY cannot run. Where writes cannot stop for that
long, create the function and the index CONCURRENTLY by hand first; IF NOT EXISTS then skips
the build here.

The planner knows the frequency of the commonest pairs only (hence the COST, PARALLEL UNSAFE
and ANALYZE below, and the strpos of db/search.py). Should a rare pair ever be planned as a
walk of the whole table (texts far longer than today's, millions more complaints), give the
index more statistics: ALTER INDEX complaint_text_bigrams ALTER COLUMN 1 SET STATISTICS 1000
(ANALYZE of complaint then ~10x slower; bench/README.md, Search).

SQLite: nothing; its search reads every row with LIKE."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-05T06:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "bigram index for two-character searches"

INDEX = "complaint_text_bigrams"
SOURCE = ('"complaint"."customer_name" || \' \' || "complaint"."product" || \' \' || '
          '"complaint"."order_no" || \' \' || "complaint"."description" || \' \' || '
          '"complaint"."demand"')
# COST 1000: computing the pairs takes about 40 µs a row (measured), a thousand simple
# operators; with the default (100) the planner thinks walking the primary key newest first
# and computing the pairs row by row is cheap, and picks that walk for a rare pair whose
# frequency it overestimates (it knows only the commonest pairs): the whole table, over a
# second at 1,000,000. PARALLEL UNSAFE on purpose (it is safe): a search reads a few rows,
# and a parallel plan costs more to start (~20 ms) than that, while the cheaper-looking
# parallel walk of the primary key brought back the same whole-table reads.
FUNCTION = r"""
CREATE OR REPLACE FUNCTION complaint_bigrams(t text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL UNSAFE COST 1000 AS $$
  SELECT coalesce(array_agg(pair), ARRAY[]::text[])
  FROM (SELECT substr(s, i, 2) AS pair
        FROM (SELECT lower(t) AS s) AS lowered, generate_series(1, char_length(s) - 1) AS i
       ) AS pairs
  WHERE pair !~ '[[:space:]]'
$$
"""


async def forwards():
    from db.tables import Complaint
    from db.transactions import is_sqlite

    manager = MigrationManager(migration_id=ID, app_name="db", description=DESCRIPTION)

    async def create_index():
        if is_sqlite():
            return
        await Complaint.raw(FUNCTION)
        await Complaint.raw(f"CREATE INDEX IF NOT EXISTS {INDEX} ON complaint "
                            f"USING gin (complaint_bigrams({SOURCE}))")
        # Statistics of the indexed pairs (which are common): without them the planner reads a
        # common pair through the index too, every matching complaint (seconds at 1,000,000).
        await Complaint.raw("ANALYZE complaint")

    async def drop_index():
        if is_sqlite():
            return
        await Complaint.raw(f"DROP INDEX IF EXISTS {INDEX}")
        await Complaint.raw("DROP FUNCTION IF EXISTS complaint_bigrams(text)")

    manager.add_raw(create_index)
    manager.add_raw_backwards(drop_index)
    return manager
