/* The member importer, shared by `bashgah member import` and POST /api/v1/members/import.
 * The caller parses CSV (core/member_csv) and hands over the header and then the data rows. import_stage validates
 * each row into a new member on the caller's thread (member_csv_apply: the validators of member_apply_json, straight
 * from the cells), and packs the result (or the row's errors) into a batch; import_write, run as a store write job, only matches each
 * staged member to a stored one (external_ref, else phone, else email) and updates that member or creates a new
 * one. So the reading side (file reader, request thread) and the writer work at the same time.
 * A rejected row never undoes the others (import.c's store_row says how).
 * A row that equals the stored member is counted as updated and not written (its updated_at stays).
 * Errors name CSV columns and carry the row's record number (the header is 1); they are reported by import_write
 * in line order, validation errors and write conflicts alike. */
#ifndef BASHGAH_APP_IMPORT_H
#define BASHGAH_APP_IMPORT_H

#include <stddef.h>
#include <stdint.h>

#include "core/errlist.h"
#include "core/member.h"
#include "store/store.h"

/* Rows per write transaction for the CLI (its first chunks are smaller: cli/member_csv.c); the HTTP import writes all of a body in one job. Why this many: each
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
/* Rows staged for one write job. */
typedef struct import_batch import_batch;

/* rules and actor are copied (rules->phone_region and the actor's strings too). Out of memory aborts. */
importer *import_new(const member_rules *rules, const store_actor *actor, import_error_fn on_error, void *arg);
void import_free(importer *im);

/* Tells im that members' unique indexes are set aside (store_import_begin's keys_aside): its rows then carry what
 * import_write needs to build them before the first row that might take an earlier row's key (import.c, "keys
 * set aside"). Call it before the first row is staged; expected_rows is a guess of how many will come (0 when
 * unknown), so the set of keys is sized once instead of growing. */
void import_keys_aside(importer *im, size_t expected_rows);
/* The header row: maps the columns. Returns the number of errors added to errs (field: the column as written). */
int import_header(importer *im, char *const *fields, const size_t *lens, int count, errlist *errs);
/* An empty batch of im's rows. Out of memory aborts. */
import_batch *import_batch_new(importer *im);
void import_batch_free(import_batch *b);
/* Validates a data row and stages it (or its errors) into b. Returns the number of rows now in b.
 * One thread at a time may stage (it uses scratch space of the importer), and only into a batch that no write job
 * is working on; staging may run while import_write works on another batch of the same importer. */
size_t import_stage(importer *im, import_batch *b, char *const *fields, const size_t *lens, int count,
                    int64_t line);

/* A store_write_fn (arg: a batch): writes its rows and empties it. Rejected rows are reported and counted; returns
 * STORE_OK unless the database failed (then the caller's transaction must not commit). */
int import_write(store_tx *tx, void *batch);
/* A store_write_fn: the one audit entry of the whole import (action member.import, after: its counts). */
int import_audit(store_tx *tx, void *importer);
/* import_write and then import_audit, for the last transaction of an import (arg: a batch). */
int import_write_last(store_tx *tx, void *batch);

import_counts import_get_counts(const importer *im);

#endif
