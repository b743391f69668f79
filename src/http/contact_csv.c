/* POST /api/v1/contacts/import: contacts from CSV, through the members' CSV reader (core/member_csv: RFC 4180,
 * byte order mark, limits). The whole body is parsed on the loop thread (bounded by the import limit) into one JSON
 * body per row, so a bad header or malformed CSV is answered 400 before anything queues. One write job then applies
 * each row through http_contact_apply_json in its own savepoint: a row with an external_ref that is stored updates
 * that contact, any other row creates one; a rejected row undoes nothing else and is listed with its line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/member_csv.h"
#include "http/http.h"

#define CONTACT_IMPORT_ROWS_MAX 100000
#define CONTACT_IMPORT_ERRORS_MAX 1000

static const char *const columns[] = {"kind",  "organisation", "department", "external_ref", "given_name",
                                      "family_name", "phone", "email", "locale", "time_zone",
                                      "consent_email", "consent_sms", NULL};

typedef struct contact_import {
    int col[MEMBER_CSV_COLUMNS_MAX]; /* index into columns[] of each position */
    int ncols;
    errlist header_errs;
    json_t *rows; /* [[line, body], ...] */
    bool too_many;
} contact_import;

static void import_free(void *p)
{
    contact_import *c = p;
    json_decref(c->rows);
    free(c);
}

static int map_header(contact_import *c, char *const *fields, const size_t *lens, int count)
{
    for (int i = 0; i < count && i < MEMBER_CSV_COLUMNS_MAX; i++) {
        int k = 0;
        while (columns[k] && (strlen(columns[k]) != lens[i] || strncasecmp(columns[k], fields[i], lens[i]) != 0))
            k++;
        char name[64];
        snprintf(name, sizeof(name), "%.*s", (int)(lens[i] < 60 ? lens[i] : 60), fields[i]);
        if (!columns[k])
            errlist_add(&c->header_errs, name, "is not a contact column");
        for (int j = 0; j < i && columns[k]; j++)
            if (c->col[j] == k)
                errlist_add(&c->header_errs, name, "appears twice");
        c->col[i] = k;
    }
    c->ncols = count;
    return c->header_errs.count;
}

/* A CSV cell as JSON: consent columns are yes/no words, the rest text; an empty cell is left out. */
static void set_cell(json_t *body, const char *name, const char *v, size_t len)
{
    char text[MEMBER_CSV_FIELD_MAX + 1];
    snprintf(text, sizeof(text), "%.*s", (int)len, v);
    if (strncmp(name, "consent_", 8) != 0) {
        json_object_set_new(body, name, json_stringn(text, strlen(text)));
        return;
    }
    json_t *consent = json_object_get(body, "consent");
    if (!consent)
        json_object_set_new(body, "consent", consent = json_object());
    bool yes = strcasecmp(text, "true") == 0 || strcasecmp(text, "yes") == 0 || strcmp(text, "1") == 0;
    bool no = strcasecmp(text, "false") == 0 || strcasecmp(text, "no") == 0 || strcmp(text, "0") == 0;
    json_object_set_new(consent, name + 8, yes ? json_true() : no ? json_false() : json_string(text));
}

static int on_record(char *const *fields, const size_t *lens, int count, int64_t record, void *arg)
{
    contact_import *c = arg;
    if (record == 1)
        return map_header(c, fields, lens, count);
    if (json_array_size(c->rows) >= CONTACT_IMPORT_ROWS_MAX) {
        c->too_many = true;
        return 1;
    }
    json_t *body = json_object();
    for (int i = 0; i < count && i < c->ncols; i++)
        if (lens[i] > 0)
            set_cell(body, columns[c->col[i]], fields[i], lens[i]);
    json_array_append_new(c->rows, json_pack("[I, o]", (json_int_t)record, body));
    return 0;
}

static void reject(json_t *errors, int64_t line, const errlist *e)
{
    for (int i = 0; i < e->count && i < ERRLIST_MAX && json_array_size(errors) < CONTACT_IMPORT_ERRORS_MAX; i++)
        json_array_append_new(errors, json_pack("{s:I, s:s, s:s}", "line", (json_int_t)line, "field",
                                                e->items[i].field[0] ? e->items[i].field : "row", "message",
                                                e->items[i].message));
}

/* One row in its own savepoint: 1 created, 2 updated, 0 rejected, -1 the database failed. */
static int import_row(store_tx *tx, http_write *w, json_t *body, int64_t line, json_t *errors)
{
    member_rules rules = http_member_rules(w->now_ms);
    store_contact c = {0};
    const char *ref = json_string_value(json_object_get(body, "external_ref"));
    int found = ref ? store_tx_contact_by_ref(tx, ref, &c) : STORE_NOTFOUND;
    if (found != STORE_OK && found != STORE_NOTFOUND)
        return -1;
    if (found == STORE_NOTFOUND)
        member_init(&c.person, &rules);
    errlist e;
    errlist_init(&e);
    http_contact_apply_json(&c, body, &rules, found == STORE_NOTFOUND, &e);
    int status = STORE_INVALID;
    if (e.count == 0 && store_tx_savepoint(tx) == STORE_OK) {
        status = found == STORE_OK ? store_tx_contact_update(tx, &c) : store_tx_contact_insert(tx, &c);
        if (status == STORE_OK)
            store_tx_release(tx);
        else
            store_tx_rollback(tx);
    }
    if (status == STORE_CONFLICT)
        errlist_add(&e, "external_ref", "is taken by another contact");
    if (status != STORE_OK && status != STORE_ERROR)
        reject(errors, line, &e);
    store_contact_release(&c);
    return status == STORE_OK ? (found == STORE_OK ? 2 : 1) : status == STORE_ERROR ? -1 : 0;
}

static int import_rows(store_tx *tx, http_write *w)
{
    contact_import *c = w->arg;
    json_t *errors = json_array();
    int64_t n[3] = {0}; /* rejected, created, updated */
    size_t i;
    json_t *row;
    json_array_foreach(c->rows, i, row) {
        int r = import_row(tx, w, json_array_get(row, 1), json_integer_value(json_array_get(row, 0)), errors);
        if (r < 0) {
            json_decref(errors);
            return STORE_ERROR;
        }
        n[r]++;
    }
    json_t *counts = json_pack("{s:I, s:I, s:I}", "created", (json_int_t)n[1], "updated", (json_int_t)n[2],
                               "rejected", (json_int_t)n[0]);
    store_actor actor = http_actor(&w->who);
    int status = store_tx_audit(tx, &actor, w->now_ms, "contact.import", "contact", 0, NULL, json_incref(counts));
    json_object_set_new(counts, "errors", errors);
    if (status == STORE_OK)
        http_write_answer_json(w, 200, counts, NULL);
    else
        json_decref(counts);
    return status;
}

void http_contact_import(http_request *r)
{
    size_t len;
    const char *ct = http_header(r, H2O_TOKEN_CONTENT_TYPE, &len);
    if (!ct || len < 8 || strncasecmp(ct, "text/csv", 8) != 0 || (len > 8 && ct[8] != ';' && ct[8] != ' ')) {
        http_reply_problem(r, 415, "unsupported-media-type", "send the body as text/csv", NULL);
        return;
    }
    if (r->req->entity.len > http_config.import_limit) {
        http_reply_problem(r, 413, "too-large", "the body is larger than the import limit", NULL);
        return;
    }
    contact_import *c = calloc(1, sizeof(*c));
    if (!c)
        abort();
    c->rows = json_array();
    errlist_init(&c->header_errs);
    member_csv_reader *reader = member_csv_reader_new(on_record, c);
    int rc = member_csv_reader_feed(reader, r->req->entity.base ? r->req->entity.base : "", r->req->entity.len);
    if (rc == 0)
        rc = member_csv_reader_finish(reader);
    errlist e;
    errlist_init(&e);
    if (c->header_errs.count)
        http_reply_problem(r, 400, "validation", "the header row is not valid; nothing was imported", &c->header_errs);
    else if (c->too_many)
        errlist_add(&e, "row", "at most %d rows in one import", CONTACT_IMPORT_ROWS_MAX);
    else if (rc != 0)
        errlist_add(&e, "row", "line %lld: %s", (long long)member_csv_reader_records(reader) + 1,
                    member_csv_reader_error(reader));
    else if (c->ncols == 0)
        errlist_add(&e, "row", "the first row must name the columns");
    member_csv_reader_free(reader);
    if (e.count)
        http_reply_problem(r, 400, "validation", "the file is not usable; nothing was imported", &e);
    if (e.count || c->header_errs.count) {
        import_free(c);
        return;
    }
    http_write_submit(r, import_rows, c, import_free);
}
