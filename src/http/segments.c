/* /api/v1/segments: saved groups of members. A dynamic segment is a filter (src/core/segment_filter.c, compiled
 * afresh at each read, since "within 30 days" moves with the clock); a static one is a list of members given
 * once, as ids or external references (JSON here, CSV in segment_csv.c). Bodies are checked on the loop thread;
 * the writer re-applies them to the current record inside its savepoint and audits the change in the same
 * transaction. Reads (a segment, the live count while editing, its members a page at a time) use the thread's
 * reader. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/timefmt.h"
#include "http/http.h"
#include "http/segments.h"

static const http_text_field segment_texts[] = {
    {"name", offsetof(store_segment, name), STORE_SEGMENT_NAME_MAX + 1, true, true},
    {"description", offsetof(store_segment, description), STORE_SEGMENT_TEXT_MAX + 1, false, false},
};

static const char *const segment_fields[] = {"name", "description", "kind", "filter", "members", "external_refs",
                                             NULL};

/* ---- what a segment's body says ---- */

typedef struct segment_change {
    json_t *body;
    int64_t id;
    /* a static segment's new list, when the body gives one (members, or external_refs resolved on the writer) */
    bool has_list;
    int64_t *ids;
    int n;
    json_t *refs; /* borrowed from body */
} segment_change;

static void change_free(void *p)
{
    segment_change *c = p;
    json_decref(c->body);
    free(c->ids);
    free(c);
}

/* The club's time zone, for birthdays; UTC when the programme cannot be read. */
static void club_zone(store_reader *reader, char *out, size_t cap)
{
    store_programme p;
    if (store_programme_read(reader, &p) == STORE_OK && p.time_zone[0])
        snprintf(out, cap, "%s", p.time_zone);
    else
        snprintf(out, cap, "UTC");
}

static bool filter_ok(const json_t *filter, int64_t now_ms, errlist *e)
{
    segment_context ctx = {now_ms, "UTC"};
    segment_sql s;
    int n = segment_filter_compile(filter, "filter", &ctx, &s, e);
    segment_sql_release(&s);
    if (n == 0) {
        char *dump = json_dumps(filter, JSON_COMPACT);
        size_t len = dump ? strlen(dump) : 0;
        free(dump);
        if (len > STORE_SEGMENT_FILTER_MAX) {
            errlist_add(e, "filter", "must be at most %d bytes as compact JSON", STORE_SEGMENT_FILTER_MAX);
            n = 1;
        }
    }
    return n == 0;
}

/* Reads "members" (ids) or "external_refs" (text) into c; errors name the field. */
static void list_apply(segment_change *c, json_t *body, errlist *e)
{
    json_t *ids = json_object_get(body, "members"), *refs = json_object_get(body, "external_refs");
    if (!ids && !refs)
        return;
    if (ids && refs) {
        errlist_add(e, "members", "give members or external_refs, not both");
        return;
    }
    json_t *list = ids ? ids : refs;
    const char *name = ids ? "members" : "external_refs";
    if (!json_is_array(list) || json_array_size(list) > STORE_SEGMENT_STATIC_MAX) {
        errlist_add(e, name, "must be a list of at most %d %s", STORE_SEGMENT_STATIC_MAX,
                    ids ? "member ids" : "external references");
        return;
    }
    c->has_list = true;
    if (refs) {
        for (size_t i = 0; i < json_array_size(refs); i++)
            if (!json_is_string(json_array_get(refs, i)) || json_string_length(json_array_get(refs, i)) == 0) {
                errlist_add(e, "external_refs", "item %zu must be a non-empty text", i);
                return;
            }
        c->refs = refs;
        return;
    }
    c->ids = calloc(json_array_size(ids) + 1, sizeof(*c->ids));
    if (!c->ids)
        abort();
    for (size_t i = 0; i < json_array_size(ids); i++) {
        json_t *v = json_array_get(ids, i);
        if (!json_is_integer(v) || json_integer_value(v) < 1) {
            errlist_add(e, "members", "item %zu must be a member id (a whole number above 0)", i);
            return;
        }
        c->ids[c->n++] = json_integer_value(v);
    }
}

/* Applies a create body or a merge patch to g; errors name the field. */
static void segment_apply_json(store_segment *g, segment_change *c, bool creating, int64_t now_ms, errlist *e)
{
    json_t *body = c->body;
    errlist_only_fields(e, body, segment_fields);
    for (size_t i = 0; i < sizeof(segment_texts) / sizeof(segment_texts[0]); i++) {
        const http_text_field *f = &segment_texts[i];
        json_t *v = json_object_get(body, f->name);
        if (v)
            http_apply_text(f, v, (char *)g + f->offset, e);
        else if (creating && f->required)
            errlist_add(e, f->name, "is required");
    }
    json_t *kind = json_object_get(body, "kind");
    if (kind && (!json_is_string(kind) || (strcmp(json_string_value(kind), "dynamic") != 0 &&
                                           strcmp(json_string_value(kind), "static") != 0)))
        errlist_add(e, "kind", "must be \"dynamic\" or \"static\"");
    else if (kind && !creating && strcmp(json_string_value(kind), g->kind) != 0)
        errlist_add(e, "kind", "cannot change: make a new segment");
    else if (kind)
        snprintf(g->kind, sizeof(g->kind), "%s", json_string_value(kind));
    json_t *filter = json_object_get(body, "filter");
    list_apply(c, body, e);
    if (creating && !kind)
        snprintf(g->kind, sizeof(g->kind), "%s", c->has_list ? "static" : "dynamic");
    bool dynamic = strcmp(g->kind, "dynamic") == 0;
    if (dynamic && c->has_list)
        errlist_add(e, json_object_get(body, "members") ? "members" : "external_refs",
                    "belongs to a static segment; a dynamic one has a filter");
    if (!dynamic && filter)
        errlist_add(e, "filter", "belongs to a dynamic segment; a static one has a list of members");
    if (dynamic && creating && !filter)
        errlist_add(e, "filter", "is required for a dynamic segment");
    if (dynamic && filter && filter_ok(filter, now_ms, e)) {
        free(g->filter);
        g->filter = json_dumps(filter, JSON_COMPACT | JSON_SORT_KEYS);
    }
}

static json_t *segment_json(const store_segment *g)
{
    json_t *filter = g->filter ? json_loads(g->filter, 0, NULL) : NULL;
    json_t *o = json_pack("{s:I, s:s, s:o, s:s, s:o, s:o, s:o}", "id", (json_int_t)g->id, "name", g->name,
                          "description", g->description[0] ? json_string(g->description) : json_null(), "kind",
                          g->kind, "filter", filter ? filter : json_null(), "created_at",
                          timefmt_json(g->created_at), "updated_at", timefmt_json(g->updated_at));
    if (strcmp(g->kind, "static") == 0)
        json_object_set_new(o, "member_count", json_integer(g->member_count));
    return o;
}

/* ---- writes ---- */

/* Stores c's list as g's members (resolving external references here, on the writer). The refs not found go to
 * missing (at most a hundred are named). */
static int list_store(store_tx *tx, store_segment *g, segment_change *c, json_t *missing, int64_t *missing_count)
{
    if (c->refs) {
        size_t n = json_array_size(c->refs);
        c->ids = calloc(n + 1, sizeof(*c->ids));
        if (!c->ids)
            abort();
        for (size_t i = 0; i < n; i++) {
            const char *ref = json_string_value(json_array_get(c->refs, i));
            int64_t id;
            int status = store_tx_member_id_by_ref(tx, ref, &id);
            if (status == STORE_OK) {
                c->ids[c->n++] = id;
            } else if (status == STORE_NOTFOUND) {
                if ((*missing_count)++ < 100)
                    json_array_append_new(missing, json_string(ref));
            } else {
                return status;
            }
        }
    }
    int64_t stored = 0;
    int status = store_tx_segment_members_set(tx, g->id, c->ids, c->n, &stored);
    g->member_count = stored;
    return status;
}

static bool apply_on_writer(http_write *w, store_segment *g, segment_change *c, bool creating)
{
    errlist e;
    errlist_init(&e);
    segment_apply_json(g, c, creating, w->now_ms, &e);
    if (e.count == 0)
        return true;
    http_write_answer_problem(w, 400, "validation", "some fields are not valid", &e);
    return false;
}

/* Answers with the segment, and for a new list how many of its members were not found. */
static void answer(http_write *w, int status, const store_segment *g, segment_change *c, json_t *missing,
                   int64_t missing_count, const char *location)
{
    json_t *o = segment_json(g);
    if (c->has_list) {
        json_object_set_new(o, "not_found", json_integer(missing_count + (c->refs ? 0 : c->n - g->member_count)));
        json_object_set_new(o, "not_found_refs", json_incref(missing));
    }
    http_write_answer_json(w, status, o, location);
}

static int create_write(store_tx *tx, http_write *w)
{
    segment_change *c = w->arg;
    store_segment g = {0};
    g.created_at = g.updated_at = w->now_ms;
    if (!apply_on_writer(w, &g, c, true)) {
        store_segment_release(&g);
        return STORE_INVALID;
    }
    json_t *missing = json_array();
    int64_t missing_count = 0;
    int status = store_tx_segment_insert(tx, &g);
    if (status == STORE_OK && strcmp(g.kind, "static") == 0)
        status = list_store(tx, &g, c, missing, &missing_count);
    if (status == STORE_OK)
        status = store_tx_segment_update(tx, &g);
    store_actor actor = http_actor(&w->who);
    if (status == STORE_OK)
        status = store_tx_audit(tx, &actor, w->now_ms, "segment.create", "segment", g.id, NULL, segment_json(&g));
    char location[64];
    snprintf(location, sizeof(location), "/api/v1/segments/%lld", (long long)g.id);
    if (status == STORE_OK)
        answer(w, 201, &g, c, missing, missing_count, location);
    json_decref(missing);
    store_segment_release(&g);
    return status;
}

static int update_write(store_tx *tx, http_write *w)
{
    segment_change *c = w->arg;
    store_segment g, before;
    int status = http_write_found(w, store_tx_segment_get(tx, c->id, &g), "segment");
    if (status != STORE_OK)
        return status;
    status = store_tx_segment_get(tx, c->id, &before);
    json_t *missing = json_array();
    int64_t missing_count = 0;
    if (status == STORE_OK && !apply_on_writer(w, &g, c, false))
        status = STORE_INVALID;
    g.updated_at = w->now_ms;
    if (status == STORE_OK && c->has_list)
        status = list_store(tx, &g, c, missing, &missing_count);
    if (status == STORE_OK)
        status = store_tx_segment_update(tx, &g);
    store_actor actor = http_actor(&w->who);
    if (status == STORE_OK)
        status = store_tx_audit(tx, &actor, w->now_ms, "segment.update", "segment", g.id, segment_json(&before),
                                segment_json(&g));
    if (status == STORE_OK)
        answer(w, 200, &g, c, missing, missing_count, NULL);
    json_decref(missing);
    store_segment_release(&g);
    store_segment_release(&before);
    return status;
}

static int delete_write(store_tx *tx, http_write *w)
{
    segment_change *c = w->arg;
    store_segment g;
    int status = http_write_found(w, store_tx_segment_get(tx, c->id, &g), "segment");
    if (status != STORE_OK)
        return status;
    status = store_tx_segment_delete(tx, c->id);
    store_actor actor = http_actor(&w->who);
    if (status == STORE_OK)
        status = store_tx_audit(tx, &actor, w->now_ms, "segment.delete", "segment", g.id, segment_json(&g), NULL);
    store_segment_release(&g);
    w->status = 204;
    return status;
}

/* Reads the body, checks it on a scratch segment (a patch's checks that need the record wait for the writer), then
 * queues fn. */
static void submit_segment_json(http_request *r, json_t *body, bool creating, http_write_fn fn)
{
    segment_change *c = calloc(1, sizeof(*c));
    if (!c)
        abort();
    c->body = body;
    c->id = creating ? 0 : r->id;
    store_segment scratch = {0};
    snprintf(scratch.kind, sizeof(scratch.kind), "%s", "dynamic");
    if (!creating) {
        /* The kind decides which fields may come: read it now (the writer checks again). */
        store_segment cur;
        int status = store_segment_get(r->thread->reader, r->id, &cur);
        if (status != STORE_OK) {
            change_free(c);
            http_reply_problem(r, status == STORE_NOTFOUND ? 404 : 500,
                               status == STORE_NOTFOUND ? "not-found" : "internal",
                               status == STORE_NOTFOUND ? "there is no segment with this id"
                                                        : "the segment could not be read",
                               NULL);
            return;
        }
        snprintf(scratch.kind, sizeof(scratch.kind), "%s", cur.kind);
        store_segment_release(&cur);
    }
    errlist e;
    errlist_init(&e);
    segment_apply_json(&scratch, c, creating, r->now_ms, &e);
    store_segment_release(&scratch);
    /* The writer reads the list again from the body. */
    free(c->ids);
    c->ids = NULL;
    c->n = 0;
    c->has_list = false;
    c->refs = NULL;
    if (e.count) {
        change_free(c);
        http_reply_problem(r, 400, "validation", "some fields are not valid", &e);
        return;
    }
    http_write_submit(r, fn, c, change_free);
}

static void submit_segment_body(http_request *r, bool creating, http_write_fn fn)
{
    json_t *body = http_body_json(r);
    if (body)
        submit_segment_json(r, body, creating, fn);
}

void http_segment_create(http_request *r) { submit_segment_body(r, true, create_write); }
void http_segment_update(http_request *r) { submit_segment_body(r, false, update_write); }
void http_segment_patch_json(http_request *r, json_t *body) { submit_segment_json(r, body, false, update_write); }

void http_segment_delete(http_request *r)
{
    segment_change *c = calloc(1, sizeof(*c));
    if (!c)
        abort();
    c->id = r->id;
    http_write_submit(r, delete_write, c, change_free);
}

/* ---- reads ---- */

int http_segment_query_open(http_request *r, const store_segment *g, http_segment_query *q)
{
    memset(q, 0, sizeof(*q));
    segment_sql_init(&q->sql);
    if (strcmp(g->kind, "static") == 0) {
        q->q.static_id = g->id;
        return 0;
    }
    json_t *filter = g->filter ? json_loads(g->filter, 0, NULL) : NULL;
    char zone[64];
    club_zone(r->thread->reader, zone, sizeof(zone));
    segment_context ctx = {r->now_ms, zone};
    errlist e;
    errlist_init(&e);
    int n = filter ? segment_filter_compile(filter, "filter", &ctx, &q->sql, &e) : 1;
    json_decref(filter);
    q->q.sql = &q->sql;
    return n == 0 ? 0 : -1;
}

void http_segment_query_close(http_segment_query *q) { segment_sql_release(&q->sql); }

/* Reads segment r->id; replies 404 or 500 and returns false when it cannot. */
bool http_segment_load(http_request *r, store_segment *g)
{
    int status = store_segment_get(r->thread->reader, r->id, g);
    if (status == STORE_OK)
        return true;
    if (status == STORE_NOTFOUND)
        http_reply_problem(r, 404, "not-found", "there is no segment with this id", NULL);
    else
        http_reply_problem(r, 500, "internal", "the segment could not be read", NULL);
    return false;
}

void http_segment_get(http_request *r)
{
    store_segment g;
    if (!http_segment_load(r, &g))
        return;
    http_segment_query q;
    int64_t count = 0;
    int ok = http_segment_query_open(r, &g, &q) == 0 && store_segment_count(r->thread->reader, &q.q, &count) == STORE_OK;
    http_segment_query_close(&q);
    json_t *o = segment_json(&g);
    store_segment_release(&g);
    if (!ok) {
        json_decref(o);
        http_reply_problem(r, 500, "internal", "the segment's members could not be counted", NULL);
        return;
    }
    json_object_set_new(o, "count", json_integer(count));
    http_reply_json(r, 200, o);
}

static void append_segment(const store_segment *g, void *items) { json_array_append_new(items, segment_json(g)); }

static int list_segments(store_reader *rd, int64_t after_id, int want, json_t *items, void *arg)
{
    int count;
    return store_segment_list(rd, after_id, want, append_segment, items, &count);
}

void http_segment_list(http_request *r) { http_reply_list(r, list_segments, NULL, "the segments"); }

/* POST /api/v1/segments/count {"filter": ...}: the live count while a filter is edited. */
void http_segment_count(http_request *r)
{
    static const char *const allowed[] = {"filter", NULL};
    errlist e;
    json_t *body = http_body_fields(r, allowed, &e);
    if (!body)
        return;
    json_t *filter = json_object_get(body, "filter");
    if (!filter)
        errlist_add(&e, "filter", "is required");
    char zone[64];
    club_zone(r->thread->reader, zone, sizeof(zone));
    segment_context ctx = {r->now_ms, zone};
    segment_sql s;
    segment_sql_init(&s);
    if (e.count == 0)
        segment_filter_compile(filter, "filter", &ctx, &s, &e);
    json_decref(body);
    if (e.count) {
        segment_sql_release(&s);
        http_reply_problem(r, 400, "validation", "the filter is not valid", &e);
        return;
    }
    store_segment_query q = {&s, 0};
    int64_t count = 0;
    int status = store_segment_count(r->thread->reader, &q, &count);
    segment_sql_release(&s);
    if (status != STORE_OK) {
        http_reply_problem(r, 500, "internal", "the members could not be counted", NULL);
        return;
    }
    http_reply_json(r, 200, json_pack("{s:I}", "count", (json_int_t)count));
}

/* GET /api/v1/segments/{id}/members: a page of the segment's members, as /api/v1/members pages. */
void http_segment_members(http_request *r)
{
    static const char *const allowed[] = {"limit", "cursor", NULL};
    int limit;
    int64_t after_id = 0;
    if (!http_query_only(r, allowed) || !http_page_params(r, &limit, &after_id))
        return;
    store_segment g;
    if (!http_segment_load(r, &g))
        return;
    http_segment_query q;
    int64_t *ids = calloc((size_t)limit + 1, sizeof(*ids));
    if (!ids)
        abort();
    int n = 0;
    int ok = http_segment_query_open(r, &g, &q) == 0 &&
             store_segment_member_ids(r->thread->reader, &q.q, after_id, limit + 1, ids, &n) == STORE_OK;
    http_segment_query_close(&q);
    store_segment_release(&g);
    json_t *items = json_array();
    for (int i = 0; ok && i < n; i++) {
        member m;
        if (store_member_get(r->thread->reader, ids[i], &m) != STORE_OK)
            continue; /* erased or gone since the id was read: not in the segment any more */
        json_array_append_new(items, member_to_json(&m));
        member_release(&m);
    }
    free(ids);
    if (!ok) {
        json_decref(items);
        http_reply_problem(r, 500, "internal", "the segment's members could not be read", NULL);
        return;
    }
    json_t *next = http_page_next(items, limit);
    http_reply_json(r, 200, json_pack("{s:o, s:o}", "items", items, "next_cursor", next));
}
