/* The member importer, shared by `bashgah member import` and POST /api/v1/members/import.
 * The caller parses CSV (core/member_csv) and hands over the header and then the data rows; rows are copied into
 * a queue, and import_write, run as a store write job, turns each queued row into JSON, validates it through
 * member_apply_json, matches it to a stored member (external_ref, else phone, else email) and updates that member
 * or creates a new one. A rejected row never undoes the others (import.c's store_row says how).
 * A row that equals the stored member is counted as updated and not written (its updated_at stays).
 * Errors name CSV columns and carry the row's record number (the header is 1). */
#ifndef BASHGAH_APP_IMPORT_H
#define BASHGAH_APP_IMPORT_H

#include <stddef.h>
#include <stdint.h>

#include "core/errlist.h"
#include "core/member.h"
#include "store/store.h"

/* Rows per write transaction for the CLI; the HTTP import writes all of a body in one job. Why this many: each
 * commit writes every page it dirtied (the three unique indexes, the name index) to the WAL and syncs it, and
 * random keys dirty nearly as many index pages for 2,000 rows as for 50,000, so bigger chunks write far less
 * per row; a crash loses at most the chunk in flight, and its queue stays under 10 MB for ordinary rows. */
#define IMPORT_CHUNK_ROWS 50000

typedef struct import_counts {
    int64_t created, updated, rejected;
} import_counts;

/* Called for each rejected row, in line order. field is a CSV column, or "row" for the row as a whole. */
typedef void (*import_error_fn)(int64_t line, const char *field, const char *message, void *arg);

typedef struct importer importer;

/* rules and actor are copied (rules->phone_region and the actor's strings too). Out of memory aborts. */
importer *import_new(const member_rules *rules, const store_actor *actor, import_error_fn on_error, void *arg);
void import_free(importer *im);

/* The header row: maps the columns. Returns the number of errors added to errs (field: the column as written). */
int import_header(importer *im, char *const *fields, const size_t *lens, int count, errlist *errs);
/* Copies a data row into the queue. Returns the number of rows now queued. */
size_t import_queue(importer *im, char *const *fields, const size_t *lens, int count, int64_t line);

/* A store_write_fn (arg: the importer): writes the queued rows and empties the queue. Rejected rows are reported
 * and counted; returns STORE_OK unless the database failed (then the caller's transaction must not commit). */
int import_write(store_tx *tx, void *importer);
/* A store_write_fn: the one audit entry of the whole import (action member.import, after: its counts). */
int import_audit(store_tx *tx, void *importer);
/* import_write and then import_audit, for the last transaction of an import. */
int import_write_last(store_tx *tx, void *importer);

import_counts import_get_counts(const importer *im);

#endif
