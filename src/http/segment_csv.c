/* A segment's members as CSV, both ways.
 * GET /api/v1/segments/{id}/export streams the members in the member export's format (member_csv_format, the same
 * columns as GET /api/v1/members/export): each time h2o asks for more, the next page of ids is read on the loop
 * thread's reader, the filter compiled once for the whole export so that the file is one consistent "now".
 * POST /api/v1/segments/{id}/members replaces a static segment's list from a CSV file with a column "id" (member
 * ids) or "external_ref"; it becomes the same patch as {"members": [...]} and takes the PATCH path. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/log.h"
#include "core/member_csv.h"
#include "http/segments.h"

#define EXPORT_PAGE_ROWS 1000

/* ---- export ---- */

typedef struct segment_export {
    h2o_generator_t super; /* first: h2o hands it back to the callbacks */
    http_request *r;
    http_segment_query q;
    int64_t last_id;
    bool header_sent;
    int64_t ids[EXPORT_PAGE_ROWS];
    char *buf; /* one page of lines, reused: h2o is done with it when it calls proceed again */
    size_t len, cap;
} segment_export;

static void export_dispose(void *p)
{
    segment_export *g = p;
    free(g->buf);
    g->buf = NULL;
    http_segment_query_close(&g->q);
}

static void reserve(segment_export *g, size_t more)
{
    if (g->cap - g->len >= more)
        return;
    g->cap = (g->len + more) * 2;
    g->buf = realloc(g->buf, g->cap);
    if (!g->buf)
        abort();
}

static void export_one(segment_export *g, int64_t id)
{
    member m;
    if (store_member_get(g->r->thread->reader, id, &m) != STORE_OK)
        return; /* erased since its id was read: no longer in the segment */
    reserve(g, MEMBER_CSV_LINE_MAX);
    long n = member_csv_format(&m, g->buf + g->len, g->cap - g->len);
    member_release(&m);
    if (n < 0) {
        log_msg(LOG_WARN, "export_skip", "member=%lld error=\"does not fit a CSV line\"", (long long)id);
        return;
    }
    g->len += (size_t)n;
}

static void export_proceed(h2o_generator_t *self, h2o_req_t *req)
{
    segment_export *g = (segment_export *)self;
    g->len = 0;
    if (!g->header_sent) {
        const char *header = member_csv_export_header();
        reserve(g, strlen(header));
        memcpy(g->buf, header, strlen(header));
        g->len = strlen(header);
        g->header_sent = true;
    }
    int n = 0;
    int status = store_segment_member_ids(g->r->thread->reader, &g->q.q, g->last_id, EXPORT_PAGE_ROWS, g->ids, &n);
    for (int i = 0; status == STORE_OK && i < n; i++)
        export_one(g, g->ids[i]);
    if (n > 0)
        g->last_id = g->ids[n - 1];
    h2o_send_state_t state = H2O_SEND_STATE_IN_PROGRESS;
    if (status != STORE_OK) {
        log_msg(LOG_ERROR, "segment_export_failed", "after_id=%lld", (long long)g->last_id);
        state = H2O_SEND_STATE_ERROR; /* the client sees a cut response, never a silently short file */
    } else if (n < EXPORT_PAGE_ROWS) {
        state = H2O_SEND_STATE_FINAL;
    }
    h2o_iovec_t chunk = h2o_iovec_init(g->buf, g->len);
    h2o_send(req, &chunk, chunk.len ? 1 : 0, state);
}

static void export_stop(h2o_generator_t *self, h2o_req_t *req)
{
    /* Nothing to cancel: pages are read synchronously, and the buffer is freed with the request's pool. */
}

void http_segment_export(http_request *r)
{
    static const char *const allowed[] = {NULL};
    if (!http_query_only(r, allowed))
        return;
    store_segment s;
    if (!http_segment_load(r, &s))
        return;
    h2o_req_t *req = r->req;
    segment_export *g = h2o_mem_alloc_shared(&req->pool, sizeof(*g), export_dispose);
    memset(g, 0, sizeof(*g));
    int rc = http_segment_query_open(r, &s, &g->q);
    store_segment_release(&s);
    if (rc != 0) {
        http_reply_problem(r, 500, "internal", "the segment's filter could not be read", NULL);
        return;
    }
    g->super.proceed = export_proceed;
    g->super.stop = export_stop;
    g->r = r;
    req->res.status = 200;
    req->res.reason = "OK";
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, H2O_STRLIT("text/csv; charset=utf-8"));
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_DISPOSITION, NULL,
                   H2O_STRLIT("attachment; filename=\"segment.csv\""));
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL, H2O_STRLIT("no-store"));
    h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("x-content-type-options"), 0, NULL,
                          H2O_STRLIT("nosniff"));
    http_metrics_record(r, 200); /* once, for the whole streamed answer */
    h2o_start_response(req, &g->super);
    export_proceed(&g->super, req);
}

/* ---- upload ---- */

typedef struct upload {
    int column;   /* of the key in each row; -1 until the header is read */
    bool by_ref;  /* external_ref rather than id */
    json_t *list; /* ids or refs */
    errlist e;
} upload;

static int on_row(char *const *fields, const size_t *lens, int count, int64_t record, void *arg)
{
    upload *u = arg;
    if (record == 1) {
        for (int i = 0; i < count && u->column < 0; i++) {
            if ((lens[i] == 2 && strncmp(fields[i], "id", 2) == 0) ||
                (lens[i] == 9 && strncmp(fields[i], "member_id", 9) == 0))
                u->column = i;
            else if (lens[i] == 12 && strncmp(fields[i], "external_ref", 12) == 0)
                u->column = i, u->by_ref = true;
        }
        if (u->column < 0) {
            errlist_add(&u->e, "row", "line 1: the header must name a column id (or member_id) or external_ref");
            return 1;
        }
        return 0;
    }
    if (json_array_size(u->list) >= STORE_SEGMENT_STATIC_MAX) {
        errlist_add(&u->e, "row", "line %lld: a static segment holds at most %d members", (long long)record,
                    STORE_SEGMENT_STATIC_MAX);
        return 1;
    }
    const char *v = u->column < count ? fields[u->column] : "";
    size_t len = u->column < count ? lens[u->column] : 0;
    if (len == 0)
        return 0; /* a blank cell names no one */
    if (u->by_ref) {
        json_t *ref = len <= MEMBER_REF_MAX ? json_stringn(v, len) : NULL;
        if (!ref) {
            errlist_add(&u->e, "row", "line %lld: external_ref must be UTF-8 text of at most %d bytes",
                        (long long)record, MEMBER_REF_MAX);
            return 1;
        }
        json_array_append_new(u->list, ref);
        return 0;
    }
    int64_t id = 0;
    for (size_t i = 0; i < len && id >= 0; i++)
        id = v[i] >= '0' && v[i] <= '9' && id < INT64_MAX / 10 - 9 ? id * 10 + (v[i] - '0') : -1;
    if (id <= 0) {
        errlist_add(&u->e, "row", "line %lld: id must be a member id (a whole number above 0)", (long long)record);
        return 1;
    }
    json_array_append_new(u->list, json_integer(id));
    return 0;
}

static bool is_csv(http_request *r)
{
    size_t len;
    const char *ct = http_header(r, H2O_TOKEN_CONTENT_TYPE, &len);
    return ct && len >= 8 && strncasecmp(ct, "text/csv", 8) == 0 && (len == 8 || ct[8] == ';' || ct[8] == ' ');
}

void http_segment_upload(http_request *r)
{
    if (!is_csv(r)) {
        http_reply_problem(r, 415, "unsupported-media-type", "send the body as text/csv", NULL);
        return;
    }
    if (r->req->entity.len > http_config.import_limit) {
        char detail[96];
        snprintf(detail, sizeof(detail), "the body may be at most %zu bytes", http_config.import_limit);
        http_reply_problem(r, 413, "too-large", detail, NULL);
        return;
    }
    upload u = {.column = -1, .list = json_array()};
    errlist_init(&u.e);
    member_csv_reader *reader = member_csv_reader_new(on_row, &u);
    h2o_iovec_t body = r->req->entity;
    int rc = member_csv_reader_feed(reader, body.base ? body.base : "", body.len);
    if (rc == 0)
        rc = member_csv_reader_finish(reader);
    if (rc != 0 && u.e.count == 0)
        errlist_add(&u.e, "row", "line %lld: %s", (long long)member_csv_reader_records(reader) + 1,
                    member_csv_reader_error(reader));
    if (rc == 0 && u.column < 0)
        errlist_add(&u.e, "row", "the first row must name the column: id or external_ref");
    member_csv_reader_free(reader);
    if (u.e.count) {
        json_decref(u.list);
        http_reply_problem(r, 400, "validation", "the file is not a usable list of members; nothing was changed", &u.e);
        return;
    }
    json_t *patch = json_object();
    json_object_set_new(patch, u.by_ref ? "external_refs" : "members", u.list);
    http_segment_patch_json(r, patch);
}
