-- Secondary indexes of members that a bulk import into an empty members table dropped, to build each once at the
-- end instead of updating it row by row (store_import_begin in sqlite.c). The same transaction that drops an
-- index records its CREATE statement here, and the one that builds it again deletes its row, so an import that
-- crashes half-way leaves its indexes here and store_open builds them before anything else runs.
CREATE TABLE pending_indexes (
    name TEXT PRIMARY KEY,
    sql TEXT NOT NULL
) WITHOUT ROWID;
