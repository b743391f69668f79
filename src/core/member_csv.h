/* Members as CSV: the column set of import and export, a header row's mapping, a data row turned into the JSON
 * that member_apply_json takes (so a CSV row is validated exactly like an API body), a member written as one
 * CSV line, and a streaming reader over libcsv that hands over one record at a time.
 * Invariant: every error names a CSV column ("birthday", "consent_email"), never a JSON path.
 * Pure: no files, clocks or globals; callers (src/app/import.c, the CLI, the HTTP export) do the I/O. */
#ifndef BASHGAH_MEMBER_CSV_H
#define BASHGAH_MEMBER_CSV_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/errlist.h"
#include "core/member.h"

#define MEMBER_CSV_FIELD_MAX 8192 /* bytes of one cell */
#define MEMBER_CSV_COLUMNS_MAX 64 /* cells of one record */
/* Longest line member_csv_format writes: every text field at its limit, quoted with every byte doubled. */
#define MEMBER_CSV_LINE_MAX (2 * (MEMBER_REF_MAX + 2 * MEMBER_NAME_MAX + MEMBER_PHONE_MAX + MEMBER_EMAIL_MAX +      \
                                  MEMBER_TZ_MAX + 2 * MEMBER_ATTRIBUTES_MAX) + 512)

typedef enum member_csv_column {
    MEMBER_CSV_ID, /* id, created_at, updated_at: written by export, accepted and ignored by import */
    MEMBER_CSV_CREATED_AT,
    MEMBER_CSV_UPDATED_AT,
    MEMBER_CSV_EXTERNAL_REF,
    MEMBER_CSV_GIVEN_NAME,
    MEMBER_CSV_FAMILY_NAME,
    MEMBER_CSV_PHONE,
    MEMBER_CSV_EMAIL,
    MEMBER_CSV_BIRTHDAY,
    MEMBER_CSV_BIRTHDAY_CALENDAR,
    MEMBER_CSV_TIME_ZONE,
    MEMBER_CSV_LOCALE,
    MEMBER_CSV_KIND,
    MEMBER_CSV_CONSENT_EMAIL,
    MEMBER_CSV_CONSENT_SMS,
    MEMBER_CSV_ATTRIBUTES,
    MEMBER_CSV_COLUMN_COUNT
} member_csv_column;

/* Where each column of a file is. */
typedef struct member_csv_header {
    int ncols;
    unsigned char col[MEMBER_CSV_COLUMNS_MAX]; /* the member_csv_column at each position */
    int pos[MEMBER_CSV_COLUMN_COUNT];          /* the position of each column, or -1 when absent */
} member_csv_header;

/* The column's name as written in a header ("external_ref"). */
const char *member_csv_column_name(member_csv_column c);

/* Maps a header row. Unknown, duplicate and unnamed columns are errors (field: the column as written);
 * returns the number of errors. Column order is free; no column is required. */
int member_csv_header_parse(member_csv_header *h, char *const *fields, const size_t *lens, int count, errlist *errs);

/* Turns a data row into a new JSON object for member_apply_json: an empty cell clears its field (null), except
 * consent_*, time_zone, locale and kind, where it leaves the field as it is. consent_* take true/false/1/0/yes/no;
 * birthday and birthday_calendar become {"date", "calendar"}; attributes is JSON text of an object. Returns NULL
 * with errors (naming columns, or "row" for a wrong number of cells) when the row cannot be turned into JSON. */
json_t *member_csv_row_json(const member_csv_header *h, char *const *fields, const size_t *lens, int count,
                            errlist *errs);

/* In member_csv_apply's *given, beside a bit (1u << column) for each field the row gives: the attributes cell is
 * empty (the JSON form's "attributes": null, which on an update clears them all). */
#define MEMBER_CSV_ATTRIBUTES_NULL (1u << MEMBER_CSV_COLUMN_COUNT)

/* Applies a data row onto m, a new member (member_init), as member_apply_json(m, member_csv_row_json(row),
 * creating) does, with the same errors, but straight from the cells through the same field validators
 * (member_put_*), without building the JSON. *given gets 1u << column for each field the row's JSON form would
 * hold (external_ref to email, birthday and attributes when their column is there; time_zone, locale, kind and
 * consent_* when their cell is not empty), and MEMBER_CSV_ATTRIBUTES_NULL. *attributes_text gets the attributes as
 * compact JSON when the row has an attributes column (free it), else NULL. Returns the number of errors. */
int member_csv_apply(member *m, const member_csv_header *h, char *const *fields, const size_t *lens, int count,
                     const member_rules *r, unsigned *given, char **attributes_text, errlist *errs);

/* The CSV column a member_apply_json error field belongs to ("birthday.date" -> "birthday",
 * "consent.sms" -> "consent_sms"); other fields are returned as they are. */
const char *member_csv_field_name(const char *json_field);

/* The export's header line, newline included: id,created_at,updated_at and then every import column. */
const char *member_csv_export_header(void);
/* Writes m as one export line (newline included, no NUL) into out. Returns its length, or -1 when it does not
 * fit cap (never with cap >= MEMBER_CSV_LINE_MAX for a member that passed validation). */
long member_csv_format(const member *m, char *out, size_t cap);

/* ---- streaming reader ---- */

/* Called once per record with its cells (each NUL-terminated, valid until the callback returns) and its number:
 * record 1 is the header. Blank lines are not records. Return 0 to go on, anything else to stop the reader. */
typedef int (*member_csv_row_fn)(char *const *fields, const size_t *lens, int count, int64_t record, void *arg);

typedef struct member_csv_reader member_csv_reader;

/* RFC 4180 with CRLF or LF line ends, quoted newlines, and a UTF-8 byte order mark at the start skipped.
 * Out of memory aborts; the reader never holds more than one record (MEMBER_CSV_COLUMNS_MAX cells of at most
 * MEMBER_CSV_FIELD_MAX bytes). */
member_csv_reader *member_csv_reader_new(member_csv_row_fn fn, void *arg);
void member_csv_reader_free(member_csv_reader *r);
/* Feeds the next len bytes of the file (any chunk size). Returns 0, or -1 when the file is not valid CSV, breaks
 * a limit (see member_csv_reader_error) or the callback stopped the reader (error ""). Once -1, always -1. */
int member_csv_reader_feed(member_csv_reader *r, const void *data, size_t len);
/* The end of the file: delivers a last record without a line end. Returns as member_csv_reader_feed. */
int member_csv_reader_finish(member_csv_reader *r);
/* Why the reader failed ("" when it did not, or when the callback stopped it). */
const char *member_csv_reader_error(const member_csv_reader *r);
/* Records delivered so far; after a failure, the failing record is this plus one. */
int64_t member_csv_reader_records(const member_csv_reader *r);

#endif
