/* /api/v1/competitors: dated notes of what competitors offer (the offer, the day it was seen, where), by
 * competitor; marketers and managers read and write them. docs/budget.md. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/calendar.h"
#include "core/timefmt.h"
#include "http/http.h"

static const http_text_field note_texts[] = {
    {"competitor", offsetof(store_competitor_note, competitor), STORE_COMPETITOR_NAME_MAX + 1, true, true},
    {"offer", offsetof(store_competitor_note, offer), STORE_COMPETITOR_TEXT_MAX + 1, true, false},
    {"source", offsetof(store_competitor_note, source), STORE_COMPETITOR_TEXT_MAX + 1, false, false},
};

static json_t *note_json(const store_competitor_note *n)
{
    return json_pack("{s:I, s:s, s:s, s:s, s:o, s:s, s:o, s:o}", "id", (json_int_t)n->id, "competitor", n->competitor,
                     "offer", n->offer, "observed_on", n->observed_on, "source",
                     n->source[0] ? json_string(n->source) : json_null(), "written_by", n->written_by, "created_at",
                     timefmt_json(n->created_at), "updated_at", timefmt_json(n->updated_at));
}

/* Applies a create body or a merge patch to n; errors name the field. */
static void note_apply_json(store_competitor_note *n, json_t *body, bool creating, errlist *e)
{
    static const char *const fields[] = {"competitor", "offer", "observed_on", "source", NULL};
    if (!json_is_object(body)) {
        errlist_add(e, "", "the body must be a JSON object");
        return;
    }
    errlist_only_fields(e, body, fields);
    json_t *v;
    for (size_t i = 0; i < sizeof(note_texts) / sizeof(note_texts[0]); i++) {
        const http_text_field *f = &note_texts[i];
        if ((v = json_object_get(body, f->name)))
            http_apply_text(f, v, (char *)n + f->offset, e);
        else if (creating && f->required)
            errlist_add(e, f->name, "is required");
    }
    v = json_object_get(body, "observed_on");
    int y, m, d;
    if (!v) {
        if (creating)
            errlist_add(e, "observed_on", "is required");
    } else if (!json_is_string(v) || json_string_length(v) != 10 ||
               calendar_date_parse(json_string_value(v), 10, CALENDAR_GREGORIAN, &y, &m, &d, NULL) != 0) {
        errlist_add(e, "observed_on", "must be a date (YYYY-MM-DD)");
    } else {
        snprintf(n->observed_on, sizeof(n->observed_on), "%04d-%02d-%02d", y, m, d);
    }
}

typedef struct note_change {
    json_t *body;
    int64_t id;
} note_change;

static void change_free(void *p)
{
    note_change *c = p;
    json_decref(c->body);
    free(c);
}

static int create_write(store_tx *tx, http_write *w)
{
    note_change *c = w->arg;
    store_competitor_note n;
    memset(&n, 0, sizeof(n));
    errlist e;
    errlist_init(&e);
    note_apply_json(&n, c->body, true, &e);
    if (e.count) {
        http_write_answer_problem(w, 400, "validation", "some fields are not valid", &e);
        return STORE_INVALID;
    }
    snprintf(n.written_by, sizeof(n.written_by), "%s", w->who.name);
    n.created_at = n.updated_at = w->now_ms;
    int status = store_tx_competitor_note_insert(tx, &n);
    if (status == STORE_OK)
        status = http_write_created(tx, w, "competitor_note.create", "competitor_note", n.id, "/api/v1/competitors",
                                    note_json(&n));
    return status;
}

static int get_or_404(store_tx *tx, http_write *w, int64_t id, store_competitor_note *n)
{
    return http_write_found(w, store_tx_competitor_note_get(tx, id, n), "competitor note");
}

static int update_write(store_tx *tx, http_write *w)
{
    note_change *c = w->arg;
    store_competitor_note n;
    int status = get_or_404(tx, w, c->id, &n);
    if (status != STORE_OK)
        return status;
    json_t *before = note_json(&n);
    errlist e;
    errlist_init(&e);
    note_apply_json(&n, c->body, false, &e);
    if (e.count) {
        json_decref(before);
        http_write_answer_problem(w, 400, "validation", "some fields are not valid", &e);
        return STORE_INVALID;
    }
    n.updated_at = w->now_ms;
    status = store_tx_competitor_note_update(tx, &n);
    if (status == STORE_OK)
        status = http_write_updated(tx, w, "competitor_note.update", "competitor_note", n.id, before, note_json(&n));
    else
        json_decref(before);
    return status;
}

static int delete_write(store_tx *tx, http_write *w)
{
    note_change *c = w->arg;
    store_competitor_note n;
    int status = get_or_404(tx, w, c->id, &n);
    if (status == STORE_OK)
        status = store_tx_competitor_note_delete(tx, n.id);
    if (status == STORE_OK)
        status = http_write_deleted(tx, w, "competitor_note.delete", "competitor_note", n.id, note_json(&n));
    return status;
}

static note_change *change_new(http_request *r, json_t *body)
{
    note_change *c = calloc(1, sizeof(*c));
    if (!c)
        abort();
    c->body = body;
    c->id = r->id;
    return c;
}

static void submit(http_request *r, bool creating, http_write_fn fn)
{
    json_t *body = http_body_json(r);
    if (!body)
        return;
    store_competitor_note *scratch = h2o_mem_alloc_pool(&r->req->pool, sizeof(*scratch));
    memset(scratch, 0, sizeof(*scratch));
    errlist e;
    errlist_init(&e);
    note_apply_json(scratch, body, creating, &e);
    if (e.count) {
        json_decref(body);
        http_reply_problem(r, 400, "validation", "some fields are not valid", &e);
        return;
    }
    http_write_submit(r, fn, change_new(r, body), change_free);
}

void http_competitor_create(http_request *r) { submit(r, true, create_write); }
void http_competitor_update(http_request *r) { submit(r, false, update_write); }
void http_competitor_delete(http_request *r) { http_write_submit(r, delete_write, change_new(r, NULL), change_free); }

static void append_note(const store_competitor_note *n, void *items) { json_array_append_new(items, note_json(n)); }

/* GET /api/v1/competitors?competitor=&limit=: newest observation first. */
void http_competitor_list(http_request *r)
{
    static const char *const allowed[] = {"competitor", "limit", "cursor", NULL};
    int limit;
    int64_t after_id;
    if (!http_query_only(r, allowed) || !http_page_params(r, &limit, &after_id))
        return;
    errlist e;
    errlist_init(&e);
    char competitor[STORE_COMPETITOR_NAME_MAX + 1];
    bool has = http_query(r, "competitor", competitor, sizeof(competitor), &e);
    if (e.count) {
        http_reply_problem(r, 400, "validation", "some query parameters are not valid", &e);
        return;
    }
    json_t *items = json_array();
    store_reader_version(r->thread->reader); /* see every commit acknowledged before this request */
    if (store_competitor_notes(r->thread->reader, has && competitor[0] ? competitor : NULL, after_id, limit + 1,
                               append_note, items) != STORE_OK) {
        json_decref(items);
        http_reply_problem(r, 500, "internal", "the competitor notes could not be read", NULL);
        return;
    }
    json_t *next = http_page_next(items, limit);
    http_reply_json(r, 200, json_pack("{s:o, s:o}", "items", items, "next_cursor", next));
}
