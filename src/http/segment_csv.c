/* A segment's members as CSV, both ways.
 * GET /api/v1/segments/{id}/export streams the members in the member export's format (member_csv_format, the same
 * columns as GET /api/v1/members/export, through csv_stream.c): each time h2o asks for more, the next page of ids
 * is read on the loop thread's reader, the filter compiled once for the whole export so that the file is one
 * consistent "now".
 * POST /api/v1/segments/{id}/members replaces a static segment's list from a CSV file with a column "id" (member
 * ids) or "external_ref"; it becomes the same patch as {"members": [...]} and takes the PATCH path. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/member_csv.h"
#include "http/csv_stream.h"
#include "http/segments.h"


/* ---- export ---- */

typedef struct segment_export {
    http_segment_query q; /* compiled once: the whole file is one consistent "now" */
    int64_t ids[CSV_STREAM_PAGE_ROWS];
} segment_export;

static void export_dispose(csv_stream *s) { http_segment_query_close(&((segment_export *)s->state)->q); }

static int export_page(csv_stream *s, bool *more)
{
    segment_export *g = s->state;
    int n = 0;
    int status = store_segment_member_ids(s->r->thread->reader, &g->q.q, s->last_id, CSV_STREAM_PAGE_ROWS, g->ids, &n);
    for (int i = 0; status == STORE_OK && i < n; i++) {
        member m;
        if (store_member_get(s->r->thread->reader, g->ids[i], &m) == STORE_OK) { /* else erased since: gone */
            csv_stream_member(s, &m);
            member_release(&m);
        }
    }
    if (n > 0)
        s->last_id = g->ids[n - 1];
    *more = n == CSV_STREAM_PAGE_ROWS;
    return status;
}

void http_segment_export(http_request *r)
{
    static const char *const allowed[] = {NULL};
    if (!http_query_only(r, allowed))
        return;
    store_segment s;
    if (!http_segment_load(r, &s))
        return;
    csv_stream *cs = csv_stream_new(r, "segment", sizeof(segment_export), export_page, export_dispose);
    int rc = http_segment_query_open(r, &s, &((segment_export *)cs->state)->q);
    store_segment_release(&s);
    if (rc != 0) {
        http_reply_problem(r, 500, "internal", "the segment's filter could not be read", NULL);
        return;
    }
    csv_stream_begin(cs, "segment.csv");
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
