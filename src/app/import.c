/* The member importer: a queue of CSV rows, and the write job that validates and stores them row by row.
 * Why a queue of raw cells rather than validated members: a queued row costs about its CSV size (an HTTP import
 * holds a whole body of them), and validation then happens once, inside the write, where the matched member is.
 * The scratch members, error list and queue buffers are reused from row to row and chunk to chunk. */
#include "app/import.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/member_csv.h"

typedef struct queued_row {
    int64_t line;
    size_t first; /* index of its first cell in cell_off/cell_len */
    int count;
} queued_row;

struct importer {
    member_rules rules;
    char phone_region[16], time_zone[MEMBER_TZ_MAX + 1], locale[8];
    store_actor actor;
    char actor_kind[16], actor_name[160];
    import_error_fn on_error;
    void *arg;
    member_csv_header header;
    /* the queue: cells NUL-terminated in bytes */
    char *bytes;
    size_t bytes_len, bytes_cap;
    uint32_t *cell_off, *cell_len; /* 32 bits: a queue holds at most one import body (<= 1 GiB) or one chunk */
    size_t ncells, cells_cap;
    queued_row *rows;
    size_t nrows, rows_cap;
    import_counts counts;
    /* scratch, reused for every row */
    member fresh, found;
    errlist errs;
};

static void *xrealloc(void *p, size_t size)
{
    void *q = realloc(p, size ? size : 1);
    if (!q)
        abort(); /* out of memory: as h2o does */
    return q;
}

static void copy_text(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src ? src : "");
}

importer *import_new(const member_rules *rules, const store_actor *actor, import_error_fn on_error, void *arg)
{
    importer *im = xrealloc(NULL, sizeof(*im));
    memset(im, 0, sizeof(*im));
    im->rules = *rules;
    copy_text(im->phone_region, sizeof(im->phone_region), rules->phone_region);
    im->rules.phone_region = im->phone_region;
    if (rules->default_time_zone) {
        copy_text(im->time_zone, sizeof(im->time_zone), rules->default_time_zone);
        im->rules.default_time_zone = im->time_zone;
    }
    if (rules->default_locale) {
        copy_text(im->locale, sizeof(im->locale), rules->default_locale);
        im->rules.default_locale = im->locale;
    }
    copy_text(im->actor_kind, sizeof(im->actor_kind), actor->kind);
    copy_text(im->actor_name, sizeof(im->actor_name), actor->name);
    im->actor.kind = im->actor_kind;
    im->actor.id = actor->id;
    im->actor.name = im->actor_name;
    im->on_error = on_error;
    im->arg = arg;
    for (int c = 0; c < MEMBER_CSV_COLUMN_COUNT; c++)
        im->header.pos[c] = -1;
    return im;
}

void import_free(importer *im)
{
    if (!im)
        return;
    free(im->bytes);
    free(im->cell_off);
    free(im->cell_len);
    free(im->rows);
    free(im);
}

int import_header(importer *im, char *const *fields, const size_t *lens, int count, errlist *errs)
{
    return member_csv_header_parse(&im->header, fields, lens, count, errs);
}

size_t import_queue(importer *im, char *const *fields, const size_t *lens, int count, int64_t line)
{
    size_t need = 0;
    for (int i = 0; i < count; i++)
        need += lens[i] + 1;
    if (im->bytes_len + need > UINT32_MAX)
        abort(); /* callers bound the queue far below this (import limit, chunk size) */
    if (im->bytes_len + need > im->bytes_cap) {
        im->bytes_cap = (im->bytes_len + need) * 2;
        im->bytes = xrealloc(im->bytes, im->bytes_cap);
    }
    if (im->ncells + (size_t)count > im->cells_cap) {
        im->cells_cap = (im->ncells + (size_t)count) * 2;
        im->cell_off = xrealloc(im->cell_off, im->cells_cap * sizeof(*im->cell_off));
        im->cell_len = xrealloc(im->cell_len, im->cells_cap * sizeof(*im->cell_len));
    }
    if (im->nrows == im->rows_cap) {
        im->rows_cap = im->rows_cap ? im->rows_cap * 2 : 256;
        im->rows = xrealloc(im->rows, im->rows_cap * sizeof(*im->rows));
    }
    im->rows[im->nrows++] = (queued_row){line, im->ncells, count};
    for (int i = 0; i < count; i++) {
        memcpy(im->bytes + im->bytes_len, fields[i], lens[i]);
        im->bytes[im->bytes_len + lens[i]] = '\0';
        im->cell_off[im->ncells] = (uint32_t)im->bytes_len;
        im->cell_len[im->ncells] = (uint32_t)lens[i];
        im->ncells++;
        im->bytes_len += lens[i] + 1;
    }
    return im->nrows;
}

/* Counts the row as rejected and reports each of its errors. */
static void reject(importer *im, int64_t line, const errlist *e)
{
    im->counts.rejected++;
    if (!im->on_error)
        return;
    for (int i = 0; i < e->count && i < ERRLIST_MAX; i++) {
        const char *field = member_csv_field_name(e->items[i].field);
        im->on_error(line, field[0] ? field : "row", e->items[i].message, im->arg);
    }
}

static void reject_one(importer *im, int64_t line, const char *field, const char *message)
{
    errlist_init(&im->errs);
    errlist_add(&im->errs, field, "%s", message);
    reject(im, line, &im->errs);
}

/* True when a and b hold the same record, updated_at aside. */
static bool same_member(const member *a, const member *b)
{
    bool same_birthday = a->has_birthday == b->has_birthday &&
                         (!a->has_birthday || (a->birthday_calendar == b->birthday_calendar &&
                                               a->birthday_y == b->birthday_y && a->birthday_m == b->birthday_m &&
                                               a->birthday_d == b->birthday_d));
    return same_birthday && strcmp(a->external_ref, b->external_ref) == 0 &&
           strcmp(a->given_name, b->given_name) == 0 && strcmp(a->family_name, b->family_name) == 0 &&
           strcmp(a->phone, b->phone) == 0 && strcmp(a->email, b->email) == 0 &&
           strcmp(a->time_zone, b->time_zone) == 0 && strcmp(a->locale, b->locale) == 0 && a->kind == b->kind &&
           a->consent_email == b->consent_email && a->consent_sms == b->consent_sms &&
           a->consent_email_at == b->consent_email_at && a->consent_sms_at == b->consent_sms_at &&
           a->erased_at == b->erased_at && json_equal(a->attributes, b->attributes);
}

/* Reports a unique conflict (another member holds the row's phone, email or external_ref) as the row's error. */
static void report_conflict(importer *im, int64_t line, int status, const char *field)
{
    if (status == STORE_CONFLICT)
        reject_one(im, line, field && *field ? field : "row", "is already used by another member");
}

/* Copies one field that the row set from fresh (already validated by member_apply_json) into m. Returns false for
 * fields whose result depends on the stored member (attributes merge, consent times) or that it does not know. */
static bool copy_validated(member *m, const member *fresh, const char *key)
{
    static const struct {
        const char *key;
        size_t offset, size;
    } texts[] = {
        {"external_ref", offsetof(member, external_ref), sizeof(fresh->external_ref)},
        {"given_name", offsetof(member, given_name), sizeof(fresh->given_name)},
        {"family_name", offsetof(member, family_name), sizeof(fresh->family_name)},
        {"phone", offsetof(member, phone), sizeof(fresh->phone)},
        {"email", offsetof(member, email), sizeof(fresh->email)},
        {"time_zone", offsetof(member, time_zone), sizeof(fresh->time_zone)},
        {"locale", offsetof(member, locale), sizeof(fresh->locale)},
    };
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
        if (strcmp(key, texts[i].key) == 0) {
            memcpy((char *)m + texts[i].offset, (const char *)fresh + texts[i].offset, texts[i].size);
            return true;
        }
    if (strcmp(key, "kind") == 0) {
        m->kind = fresh->kind;
        return true;
    }
    if (strcmp(key, "birthday") == 0) {
        m->has_birthday = fresh->has_birthday;
        m->birthday_calendar = fresh->birthday_calendar;
        m->birthday_y = fresh->birthday_y;
        m->birthday_m = fresh->birthday_m;
        m->birthday_d = fresh->birthday_d;
        return true;
    }
    return false;
}

/* Applies the row (body, already validated into im->fresh) onto the stored member m as a merge patch.
 * Why not member_apply_json(m, body) alone: it would validate every cell a second time (a phone parse is the
 * dearest step of an import); a field whose value does not depend on the stored member is copied from fresh,
 * and only the rest (attributes, consent) goes through member_apply_json onto m, which also sets updated_at. */
static int merge_row(importer *im, member *m, json_t *body)
{
    json_t *rest = json_object();
    const char *key;
    json_t *v;
    json_object_foreach(body, key, v) {
        if (!copy_validated(m, &im->fresh, key))
            json_object_set(rest, key, v);
    }
    int errors = member_apply_json(m, rest, &im->rules, false, &im->errs);
    json_decref(rest);
    return errors;
}

/* The row matched im->found: merges it onto the stored member and writes it when anything changed. */
static int update_found(store_tx *tx, importer *im, json_t *body, int64_t line)
{
    member *m = &im->found;
    member before = *m; /* shallow: the consent log and the comparison read it */
    before.attributes = json_incref(m->attributes);
    errlist_init(&im->errs);
    int status = STORE_OK;
    if (m->erased_at) { /* erasure clears the keys, so no row should match one; never revive it */
        reject_one(im, line, "row", "matches an erased member");
        status = STORE_INVALID;
    } else if (merge_row(im, m, body) != 0) {
        reject(im, line, &im->errs);
        status = STORE_INVALID;
    } else if (same_member(&before, m)) {
        im->counts.updated++; /* nothing to write */
    } else {
        const char *field = NULL;
        status = store_tx_member_update(tx, m, &field);
        report_conflict(im, line, status, field);
        if (status == STORE_OK)
            status = store_tx_consent_log(tx, &before, m, im->actor.name);
        if (status == STORE_OK)
            im->counts.updated++;
    }
    json_decref(before.attributes);
    return status;
}

static int insert_fresh(store_tx *tx, importer *im, int64_t line)
{
    errlist_init(&im->errs);
    member_check_complete(&im->fresh, &im->errs);
    if (im->errs.count) {
        reject(im, line, &im->errs);
        return STORE_INVALID;
    }
    const char *field = NULL;
    int status = store_tx_member_insert(tx, &im->fresh, &field);
    report_conflict(im, line, status, field);
    if (status == STORE_OK)
        status = store_tx_consent_log(tx, NULL, &im->fresh, im->actor.name);
    if (status == STORE_OK)
        im->counts.created++;
    return status;
}

/* Matches and writes a valid row. A rejected row leaves nothing behind without a savepoint of its own: its only
 * write that can fail on bad input is one INSERT or UPDATE, which SQLite undoes alone (statement rollback);
 * the consent log after it fails only when the database does, and then the whole transaction is dropped.
 * Why no per-row savepoint: with savepoints open inside the chunk's transaction SQLite copies pages to its
 * sub-journal and, when it is in memory, walks it at each statement's end, so the cost of a row grows with the
 * rows before it in the chunk (measured: a 1M-row import fell below 1,000 rows/s). Returns STORE_ERROR only
 * when the database failed. */
static int store_row(store_tx *tx, importer *im, json_t *body, int64_t line)
{
    int status = store_tx_member_match(tx, &im->fresh, &im->found);
    if (status == STORE_OK) {
        status = update_found(tx, im, body, line);
        member_release(&im->found);
    } else if (status == STORE_NOTFOUND) {
        status = insert_fresh(tx, im, line);
    }
    return status == STORE_CONFLICT || status == STORE_INVALID ? STORE_OK : status;
}

/* One queued row: JSON, validation on a new member (which normalises the matching keys), then the store. */
static int write_row(store_tx *tx, importer *im, const queued_row *q)
{
    char *fields[MEMBER_CSV_COLUMNS_MAX];
    size_t lens[MEMBER_CSV_COLUMNS_MAX];
    int count = q->count < MEMBER_CSV_COLUMNS_MAX ? q->count : MEMBER_CSV_COLUMNS_MAX;
    for (int i = 0; i < count; i++) {
        fields[i] = im->bytes + im->cell_off[q->first + (size_t)i];
        lens[i] = im->cell_len[q->first + (size_t)i];
    }
    errlist_init(&im->errs);
    json_t *body = member_csv_row_json(&im->header, fields, lens, count, &im->errs);
    if (!body) {
        reject(im, q->line, &im->errs);
        return STORE_OK;
    }
    member_init(&im->fresh, &im->rules);
    int status = STORE_OK;
    if (member_apply_json(&im->fresh, body, &im->rules, true, &im->errs) != 0)
        reject(im, q->line, &im->errs);
    else if (!im->fresh.external_ref[0] && !im->fresh.phone[0] && !im->fresh.email[0])
        reject_one(im, q->line, "row", "a row needs external_ref, phone or email");
    else
        status = store_row(tx, im, body, q->line);
    member_release(&im->fresh);
    json_decref(body);
    return status;
}

int import_write(store_tx *tx, void *arg)
{
    importer *im = arg;
    int status = STORE_OK;
    for (size_t i = 0; i < im->nrows && status == STORE_OK; i++)
        status = write_row(tx, im, &im->rows[i]);
    im->nrows = im->ncells = im->bytes_len = 0;
    return status;
}

int import_audit(store_tx *tx, void *arg)
{
    importer *im = arg;
    json_t *after = json_pack("{s:I, s:I, s:I}", "created", (json_int_t)im->counts.created, "updated",
                              (json_int_t)im->counts.updated, "rejected", (json_int_t)im->counts.rejected);
    return store_tx_audit(tx, &im->actor, im->rules.now_ms, "member.import", "member", 0, NULL, after);
}

int import_write_last(store_tx *tx, void *arg)
{
    int status = import_write(tx, arg);
    return status == STORE_OK ? import_audit(tx, arg) : status;
}

import_counts import_get_counts(const importer *im) { return im->counts; }
