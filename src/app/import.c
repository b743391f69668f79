/* The member importer: rows validated where they are read and staged, and the write job that matches and stores
 * them. Why validate before the write: a fresh member's validation (the phone parse above all) does not depend on
 * the stored member, and the writer is the one thread every write of the database waits for; so the reading
 * side validates while the writer stores the batch before, and the writer only matches and writes. A staged row
 * keeps its texts in the batch's byte arena, so a batch costs about its CSV size (an HTTP import holds a whole
 * body of them). The scratch members and error lists are reused from row to row and batch to batch: the reading
 * side and the writer each have their own. */
#include "app/import.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/member_csv.h"
#include "core/text.h"

/* The member fields a row gives (member_csv_apply's bits); the rest stay as they are on an update. */
enum {
    SET_EXTERNAL_REF = 1u << MEMBER_CSV_EXTERNAL_REF,
    SET_GIVEN_NAME = 1u << MEMBER_CSV_GIVEN_NAME,
    SET_FAMILY_NAME = 1u << MEMBER_CSV_FAMILY_NAME,
    SET_PHONE = 1u << MEMBER_CSV_PHONE,
    SET_EMAIL = 1u << MEMBER_CSV_EMAIL,
    SET_BIRTHDAY = 1u << MEMBER_CSV_BIRTHDAY,
    SET_TIME_ZONE = 1u << MEMBER_CSV_TIME_ZONE,
    SET_LOCALE = 1u << MEMBER_CSV_LOCALE,
    SET_KIND = 1u << MEMBER_CSV_KIND,
    SET_CONSENT_EMAIL = 1u << MEMBER_CSV_CONSENT_EMAIL,
    SET_CONSENT_SMS = 1u << MEMBER_CSV_CONSENT_SMS,
    SET_ATTRIBUTES = 1u << MEMBER_CSV_ATTRIBUTES,
    ATTRIBUTES_NULL = MEMBER_CSV_ATTRIBUTES_NULL, /* with SET_ATTRIBUTES: the cell was empty */
};

/* The texts of a staged member, by their offset in the batch's arena. */
enum { TEXT_REF, TEXT_GIVEN, TEXT_FAMILY, TEXT_PHONE, TEXT_EMAIL, TEXT_TIME_ZONE, TEXT_ATTRIBUTES, TEXT_COUNT };

typedef struct staged_row {
    int64_t line;
    uint32_t text[TEXT_COUNT]; /* a valid row's texts, NUL-terminated */
    uint32_t errors;           /* a rejected row's errors: nerrors pairs "field\0message\0" */
    uint16_t nerrors;
    uint32_t sets; /* SET_* */
    char locale[3];
    unsigned char kind, calendar;
    bool has_birthday, consent_email, consent_sms;
    bool keys_check; /* an earlier row of the file may hold one of its keys: see "keys set aside" below */
    int birthday_y, birthday_m, birthday_d;
    int64_t consent_email_at, consent_sms_at;
} staged_row;

struct import_batch {
    importer *im;
    char *bytes; /* the arena: 32-bit offsets, as a batch holds at most one import body (<= 1 GiB) or one chunk */
    size_t bytes_len, bytes_cap;
    staged_row *rows;
    size_t nrows, rows_cap;
};

struct importer {
    member_rules rules;
    char phone_region[16], time_zone[MEMBER_TZ_MAX + 1], locale[8];
    store_actor actor;
    char actor_kind[16], actor_name[160];
    import_error_fn on_error;
    void *arg;
    member_csv_header header;
    import_counts counts;
    /* the reading side's scratch */
    member staging;
    errlist staging_errs;
    /* the reading side's keys staged so far, while keys_tracked (see "keys set aside" below) */
    bool keys_tracked;
    uint64_t *keys; /* open addressing, 0 = empty slot */
    size_t keys_cap, keys_count;
    /* the writer's scratch; consent: the new members' consent changes not written yet (see consent_flush) */
    member fresh, found;
    store_consent_event *consent;
    size_t nconsent, consent_cap;
    int64_t first_created; /* the chunk's first new member: their rows of aggregates come at its end */
    errlist errs;
    bool keys_aside; /* the writer's: members' unique indexes are set aside (not built yet) */
};
static void *xrealloc(void *p, size_t size)
{
    void *q = realloc(p, size ? size : 1);
    if (!q)
        abort(); /* out of memory: as h2o does */
    return q;
}

importer *import_new(const member_rules *rules, const store_actor *actor, import_error_fn on_error, void *arg)
{
    importer *im = xrealloc(NULL, sizeof(*im));
    memset(im, 0, sizeof(*im));
    im->rules = *rules;
    text_copy(im->phone_region, sizeof(im->phone_region), rules->phone_region);
    im->rules.phone_region = im->phone_region;
    if (rules->default_time_zone) {
        text_copy(im->time_zone, sizeof(im->time_zone), rules->default_time_zone);
        im->rules.default_time_zone = im->time_zone;
    }
    if (rules->default_locale) {
        text_copy(im->locale, sizeof(im->locale), rules->default_locale);
        im->rules.default_locale = im->locale;
    }
    text_copy(im->actor_kind, sizeof(im->actor_kind), actor->kind);
    text_copy(im->actor_name, sizeof(im->actor_name), actor->name);
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
    if (im) {
        free(im->keys);
        free(im->consent);
    }
    free(im);
}

int import_header(importer *im, char *const *fields, const size_t *lens, int count, errlist *errs)
{
    return member_csv_header_parse(&im->header, fields, lens, count, errs);
}

import_batch *import_batch_new(importer *im)
{
    import_batch *b = xrealloc(NULL, sizeof(*b));
    memset(b, 0, sizeof(*b));
    b->im = im;
    return b;
}

void import_batch_free(import_batch *b)
{
    if (!b)
        return;
    free(b->bytes);
    free(b->rows);
    free(b);
}

/* ---- the reading side: validation and staging ---- */

/* Copies len bytes and a NUL into the arena; returns their offset. */
static uint32_t arena_put(import_batch *b, const char *s, size_t len)
{
    if (b->bytes_len + len + 1 > UINT32_MAX)
        abort(); /* callers bound a batch far below this (import limit, chunk size) */
    if (b->bytes_len + len + 1 > b->bytes_cap) {
        b->bytes_cap = (b->bytes_len + len + 1) * 2;
        if (b->bytes_cap < 65536)
            b->bytes_cap = 65536;
        b->bytes = xrealloc(b->bytes, b->bytes_cap);
    }
    uint32_t off = (uint32_t)b->bytes_len;
    memcpy(b->bytes + off, s, len);
    b->bytes[off + len] = '\0';
    b->bytes_len += len + 1;
    return off;
}

static uint32_t arena_text(import_batch *b, const char *s) { return arena_put(b, s, strlen(s)); }

static staged_row *stage_row(import_batch *b, int64_t line)
{
    if (b->nrows == b->rows_cap) {
        b->rows_cap = b->rows_cap ? b->rows_cap * 2 : 256;
        b->rows = xrealloc(b->rows, b->rows_cap * sizeof(*b->rows));
    }
    staged_row *r = &b->rows[b->nrows++];
    memset(r, 0, sizeof(*r));
    r->line = line;
    return r;
}

/* A rejected row: its errors (the first ERRLIST_MAX, as they are reported), fields still JSON names. */
static void stage_rejected(import_batch *b, int64_t line, const errlist *e)
{
    staged_row *r = stage_row(b, line);
    int n = e->count < ERRLIST_MAX ? e->count : ERRLIST_MAX;
    for (int i = 0; i < n; i++) {
        uint32_t off = arena_text(b, e->items[i].field);
        arena_text(b, e->items[i].message);
        if (i == 0)
            r->errors = off;
    }
    r->nerrors = (uint16_t)(n > 0 ? n : 1);
    if (n == 0) { /* not expected: a rejection always says why */
        r->errors = arena_text(b, "row");
        arena_text(b, "is not valid");
    }
}

/* A valid row: the new member m as validation left it, and which fields the row gave. */
static void stage_valid(import_batch *b, int64_t line, const member *m, unsigned sets, const char *attributes)
{
    uint32_t text[TEXT_COUNT] = {
        arena_text(b, m->external_ref), arena_text(b, m->given_name), arena_text(b, m->family_name),
        arena_text(b, m->phone),        arena_text(b, m->email),      arena_text(b, m->time_zone),
        arena_text(b, attributes ? attributes : "{}"),
    };
    staged_row *r = stage_row(b, line);
    memcpy(r->text, text, sizeof(text));
    r->sets = sets;
    memcpy(r->locale, m->locale, sizeof(r->locale));
    r->kind = (unsigned char)m->kind;
    r->has_birthday = m->has_birthday;
    r->calendar = (unsigned char)m->birthday_calendar;
    r->birthday_y = m->birthday_y;
    r->birthday_m = m->birthday_m;
    r->birthday_d = m->birthday_d;
    r->consent_email = m->consent_email;
    r->consent_sms = m->consent_sms;
    r->consent_email_at = m->consent_email_at;
    r->consent_sms_at = m->consent_sms_at;
}

/* ---- keys set aside ----
 * A bulk import into an empty members table runs without members' unique indexes (store_import_begin,
 * keys_aside) for as long as no row can take a key (external_ref, phone or email) that an earlier row holds:
 * every row is then a new member, which is just what the insert would have found with the indexes. The reading
 * side sees that on its own, as the table held nothing before the file: it keeps a set of 64-bit hashes of the
 * keys of the rows it staged as valid, and the first row with a key already in the set (a duplicate or, rarely,
 * a hash collision) is marked keys_check and ends the tracking. The writer builds the unique indexes before it
 * writes that row (store_tx_import_keys_build, in the same transaction), and from there on every row is matched
 * as in any import. So a collision only builds the indexes earlier; the counts, errors and stored members are
 * those an import with the indexes gives. A row rejected while staging writes nothing and is not in the set; a row
 * the writer rejects is in it, which only makes the check earlier. */

#define KEYS_MIN_CAP 4096
#define KEYS_MAX_GUESS ((size_t)1 << 26) /* slots sized from a guess: 512 MiB at most; beyond, the set grows */

/* SipHash-2-4 (libsodium's short hash) of the key under a fixed hash key that differs by the key's kind (tag):
 * the set only needs the values spread, and a file made to collide only brings the unique indexes back sooner. */
static uint64_t key_hash(char tag, const char *s)
{
    unsigned char hash_key[crypto_shorthash_KEYBYTES] = "bashgah.import."; /* 15 bytes, the 16th the tag */
    unsigned char out[crypto_shorthash_BYTES];
    uint64_t h;
    hash_key[sizeof(hash_key) - 1] = (unsigned char)tag;
    crypto_shorthash(out, (const unsigned char *)s, strlen(s), hash_key);
    memcpy(&h, out, sizeof(h));
    return h ? h : 1;
}

/* The slot of h: where it is, or the empty one where it goes. keys_cap is a power of two, at most half full. */
static size_t key_slot(const importer *im, uint64_t h)
{
    size_t mask = im->keys_cap - 1, i = (size_t)h & mask;
    while (im->keys[i] && im->keys[i] != h)
        i = (i + 1) & mask;
    return i;
}

/* An empty set of cap slots (a power of two) in place of the one im had, which the caller frees. */
static void keys_alloc(importer *im, size_t cap)
{
    im->keys_cap = cap;
    im->keys = calloc(cap, sizeof(*im->keys));
    if (!im->keys)
        abort(); /* out of memory */
}

static void keys_grow(importer *im)
{
    uint64_t *old = im->keys;
    size_t old_cap = im->keys_cap;
    keys_alloc(im, old_cap ? old_cap * 2 : KEYS_MIN_CAP);
    for (size_t i = 0; i < old_cap; i++)
        if (old[i])
            im->keys[key_slot(im, old[i])] = old[i];
    free(old);
}

void import_keys_aside(importer *im, size_t expected_rows)
{
    im->keys_aside = true;
    im->keys_tracked = true;
    /* Room for three keys a row at most half full: each doubling would move every key again, to a random place. */
    size_t cap = KEYS_MIN_CAP;
    while (cap < expected_rows * 3 * 2 && cap < KEYS_MAX_GUESS)
        cap *= 2;
    free(im->keys);
    keys_alloc(im, cap);
}

/* True when one of m's keys may be held by an earlier row; else records them. */
static bool keys_seen(importer *im, const member *m)
{
    const char tags[3] = {'r', 'p', 'e'};
    const char *values[3] = {m->external_ref, m->phone, m->email};
    uint64_t h[3];
    int n = 0;
    for (int i = 0; i < 3; i++) {
        if (!values[i][0])
            continue;
        h[n] = key_hash(tags[i], values[i]);
        for (int j = 0; j < n; j++)
            if (h[j] == h[n]) /* the same hash twice in one row: only a collision can do it; be careful */
                return true;
        n++;
    }
    if ((im->keys_count + (size_t)n) * 2 > im->keys_cap)
        keys_grow(im);
    /* The slots are far apart in a set of millions: their loads are started together rather than one by one. */
    for (int i = 0; i < n; i++)
        __builtin_prefetch(&im->keys[(size_t)h[i] & (im->keys_cap - 1)]);
    for (int i = 0; i < n; i++)
        if (im->keys[key_slot(im, h[i])])
            return true;
    for (int i = 0; i < n; i++)
        im->keys[key_slot(im, h[i])] = h[i];
    im->keys_count += (size_t)n;
    return false;
}

/* Once a row may collide, the writer builds the indexes and the set is no longer needed. */
static void keys_check(importer *im, import_batch *b)
{
    staged_row *r = &b->rows[b->nrows - 1];
    if (!keys_seen(im, &im->staging))
        return;
    r->keys_check = true;
    im->keys_tracked = false;
    free(im->keys);
    im->keys = NULL;
    im->keys_cap = im->keys_count = 0;
}

size_t import_stage(importer *im, import_batch *b, char *const *fields, const size_t *lens, int count,
                    int64_t line)
{
    errlist *e = &im->staging_errs;
    errlist_init(e);
    member *m = &im->staging;
    member_init(m, &im->rules);
    unsigned sets;
    char *attributes;
    if (member_csv_apply(m, &im->header, fields, lens, count, &im->rules, &sets, &attributes, e) != 0) {
        stage_rejected(b, line, e);
    } else if (!m->external_ref[0] && !m->phone[0] && !m->email[0]) {
        errlist_add(e, "row", "a row needs external_ref, phone or email");
        stage_rejected(b, line, e);
    } else {
        stage_valid(b, line, m, sets, attributes);
        if (im->keys_tracked)
            keys_check(im, b);
    }
    free(attributes);
    member_release(m);
    return b->nrows;
}

/* ---- the writer: matching and storing ---- */

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

/* A row rejected while staging: reported now, in line order with the rows written around it. */
static void reject_staged(importer *im, const import_batch *b, const staged_row *r)
{
    im->counts.rejected++;
    const char *p = b->bytes + r->errors;
    for (int i = 0; i < r->nerrors; i++) {
        const char *field = p, *message = p + strlen(p) + 1;
        p = message + strlen(message) + 1;
        if (im->on_error) {
            const char *csv = member_csv_field_name(field);
            im->on_error(r->line, csv[0] ? csv : "row", message, im->arg);
        }
    }
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

static void copy_staged_text(char *dst, size_t cap, const import_batch *b, uint32_t off)
{
    size_t n = strnlen(b->bytes + off, cap - 1);
    memcpy(dst, b->bytes + off, n);
    dst[n] = '\0';
}

/* The new member the row was validated into, as staging left it; its attributes stay NULL (they are the staged
 * text, TEXT_ATTRIBUTES). */
static void unstage(member *m, const import_batch *b, const staged_row *r, const member_rules *rules)
{
    memset(m, 0, sizeof(*m));
    copy_staged_text(m->external_ref, sizeof(m->external_ref), b, r->text[TEXT_REF]);
    copy_staged_text(m->given_name, sizeof(m->given_name), b, r->text[TEXT_GIVEN]);
    copy_staged_text(m->family_name, sizeof(m->family_name), b, r->text[TEXT_FAMILY]);
    copy_staged_text(m->phone, sizeof(m->phone), b, r->text[TEXT_PHONE]);
    copy_staged_text(m->email, sizeof(m->email), b, r->text[TEXT_EMAIL]);
    copy_staged_text(m->time_zone, sizeof(m->time_zone), b, r->text[TEXT_TIME_ZONE]);
    memcpy(m->locale, r->locale, sizeof(m->locale));
    m->kind = (member_kind)r->kind;
    m->has_birthday = r->has_birthday;
    m->birthday_calendar = (calendar_kind)r->calendar;
    m->birthday_y = r->birthday_y;
    m->birthday_m = r->birthday_m;
    m->birthday_d = r->birthday_d;
    m->consent_email = r->consent_email;
    m->consent_sms = r->consent_sms;
    m->consent_email_at = r->consent_email_at;
    m->consent_sms_at = r->consent_sms_at;
    m->created_at = m->updated_at = rules->now_ms;
}

/* Applies the row onto the stored member m as a merge patch. Fields whose value does not depend on the stored
 * member are copied from the validated fresh member; consent (its times) and attributes (merged key by key) go
 * through member_apply_json onto m, which also sets updated_at. */
static int merge_row(importer *im, member *m, const import_batch *b, const staged_row *r)
{
    const member *fresh = &im->fresh;
    static const struct {
        unsigned bit;
        size_t offset, size;
    } texts[] = {
        {SET_EXTERNAL_REF, offsetof(member, external_ref), sizeof(((member *)0)->external_ref)},
        {SET_GIVEN_NAME, offsetof(member, given_name), sizeof(((member *)0)->given_name)},
        {SET_FAMILY_NAME, offsetof(member, family_name), sizeof(((member *)0)->family_name)},
        {SET_PHONE, offsetof(member, phone), sizeof(((member *)0)->phone)},
        {SET_EMAIL, offsetof(member, email), sizeof(((member *)0)->email)},
        {SET_TIME_ZONE, offsetof(member, time_zone), sizeof(((member *)0)->time_zone)},
        {SET_LOCALE, offsetof(member, locale), sizeof(((member *)0)->locale)},
    };
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
        if (r->sets & texts[i].bit)
            memcpy((char *)m + texts[i].offset, (const char *)fresh + texts[i].offset, texts[i].size);
    if (r->sets & SET_KIND)
        m->kind = fresh->kind;
    if (r->sets & SET_BIRTHDAY) {
        m->has_birthday = fresh->has_birthday;
        m->birthday_calendar = fresh->birthday_calendar;
        m->birthday_y = fresh->birthday_y;
        m->birthday_m = fresh->birthday_m;
        m->birthday_d = fresh->birthday_d;
    }
    json_t *rest = json_object();
    if (r->sets & (SET_CONSENT_EMAIL | SET_CONSENT_SMS)) {
        json_t *consent = json_object();
        if (r->sets & SET_CONSENT_EMAIL)
            json_object_set_new(consent, "email", json_boolean(r->consent_email));
        if (r->sets & SET_CONSENT_SMS)
            json_object_set_new(consent, "sms", json_boolean(r->consent_sms));
        json_object_set_new(rest, "consent", consent);
    }
    if (r->sets & SET_ATTRIBUTES) {
        json_t *attrs = r->sets & ATTRIBUTES_NULL ? json_null() : json_loads(b->bytes + r->text[TEXT_ATTRIBUTES], 0, NULL);
        json_object_set_new(rest, "attributes", attrs ? attrs : json_object());
    }
    int errors = member_apply_json(m, rest, &im->rules, false, &im->errs);
    json_decref(rest);
    return errors;
}

/* The row matched im->found: merges it onto the stored member and writes it when anything changed. */
static int update_found(store_tx *tx, importer *im, const import_batch *b, const staged_row *r)
{
    member *m = &im->found;
    member before = *m; /* shallow: the consent log and the comparison read it */
    before.attributes = json_incref(m->attributes);
    errlist_init(&im->errs);
    int status = STORE_OK;
    if (m->erased_at) { /* erasure clears the keys, so no row should match one; never revive it */
        reject_one(im, r->line, "row", "matches an erased member");
        status = STORE_INVALID;
    } else if (merge_row(im, m, b, r) != 0) {
        reject(im, r->line, &im->errs);
        status = STORE_INVALID;
    } else if (same_member(&before, m)) {
        im->counts.updated++; /* nothing to write */
    } else {
        const char *field = NULL;
        status = store_tx_member_update(tx, m, &field);
        report_conflict(im, r->line, status, field);
        if (status == STORE_OK)
            status = store_tx_consent_log(tx, &before, m, im->actor.name);
        if (status == STORE_OK)
            im->counts.updated++;
    }
    json_decref(before.attributes);
    return status;
}

/* The new members' consent changes are written together, several rows a statement (store_tx_consent_log_many):
 * at the end of the batch, and before anything else writes consent, so each member's changes keep their order. */
static int consent_flush(store_tx *tx, importer *im)
{
    int status = im->nconsent ? store_tx_consent_log_many(tx, im->consent, im->nconsent, im->actor.name) : STORE_OK;
    im->nconsent = 0;
    return status;
}

static void consent_queue(importer *im, const member *m)
{
    if (im->nconsent + 2 > im->consent_cap) {
        im->consent_cap = im->consent_cap ? im->consent_cap * 2 : 1024;
        im->consent = xrealloc(im->consent, im->consent_cap * sizeof(*im->consent));
    }
    im->nconsent += (size_t)store_consent_events(NULL, m, im->consent + im->nconsent);
}

/* The row's member inserted; STORE_CONFLICT (nothing written) when one of its keys is taken. */
static int insert_fresh(store_tx *tx, importer *im, const import_batch *b, const staged_row *r, const char **field)
{
    errlist_init(&im->errs);
    member_check_complete(&im->fresh, &im->errs);
    if (im->errs.count) {
        reject(im, r->line, &im->errs);
        return STORE_INVALID;
    }
    int status = store_tx_member_insert_text(tx, &im->fresh, b->bytes + r->text[TEXT_ATTRIBUTES], field);
    if (status == STORE_OK) {
        consent_queue(im, &im->fresh);
        if (!im->first_created)
            im->first_created = im->fresh.id;
        im->counts.created++;
    }
    return status;
}

/* Matches and writes a staged row. A rejected row leaves nothing behind without a savepoint of its own: its only
 * write that can fail on bad input is one INSERT or UPDATE, which SQLite undoes alone (statement rollback);
 * the consent log after it fails only when the database does, and then the whole transaction is dropped.
 * Why no per-row savepoint: with savepoints open inside the chunk's transaction SQLite copies pages to its
 * sub-journal and, when it is in memory, walks it at each statement's end, so the cost of a row grows with the
 * rows before it in the chunk (measured: a 1M-row import fell below 1,000 rows/s).
 * Why insert first: a row whose member is stored has its matching key (external_ref, else phone, else email)
 * taken, so its INSERT fails on that unique index before writing anything; only then is the member looked up and
 * updated. A new row, the common case of a large import, so costs no lookup. When a key is taken by a member
 * other than the row's match, the row is refused naming that key, as an insert after a lookup would.
 * Returns STORE_ERROR only when the database failed. */
static int store_row(store_tx *tx, importer *im, const import_batch *b, const staged_row *r)
{
    if (r->nerrors) {
        reject_staged(im, b, r);
        return STORE_OK;
    }
    if (r->keys_check && im->keys_aside) {
        if (store_tx_import_keys_build(tx) != STORE_OK)
            return STORE_ERROR;
        im->keys_aside = false;
    }
    unstage(&im->fresh, b, r, &im->rules);
    const char *field = NULL;
    int status = insert_fresh(tx, im, b, r, &field);
    if (status == STORE_CONFLICT) {
        /* The match reads members with their aggregates: this chunk's new ones get theirs first. */
        if (consent_flush(tx, im) != STORE_OK || store_tx_import_stats_add(tx, im->first_created) != STORE_OK)
            return STORE_ERROR;
        im->first_created = 0;
        int match = store_tx_member_match(tx, &im->fresh, &im->found);
        if (match == STORE_OK) {
            status = update_found(tx, im, b, r);
            member_release(&im->found);
        } else if (match == STORE_NOTFOUND) {
            report_conflict(im, r->line, status, field);
        } else {
            status = match;
        }
    }
    return status == STORE_CONFLICT || status == STORE_INVALID ? STORE_OK : status;
}

int import_write(store_tx *tx, void *arg)
{
    import_batch *b = arg;
    int status = STORE_OK;
    b->im->nconsent = 0;
    b->im->first_created = 0;
    for (size_t i = 0; i < b->nrows && status == STORE_OK; i++)
        status = store_row(tx, b->im, b, &b->rows[i]);
    if (status == STORE_OK)
        status = consent_flush(tx, b->im);
    if (status == STORE_OK)
        status = store_tx_import_stats_add(tx, b->im->first_created);
    b->nrows = b->bytes_len = 0;
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
    import_batch *b = arg;
    int status = import_write(tx, b);
    return status == STORE_OK ? import_audit(tx, b->im) : status;
}

import_counts import_get_counts(const importer *im) { return im->counts; }
