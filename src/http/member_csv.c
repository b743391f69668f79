/* POST /api/v1/members/import and GET /api/v1/members/export: members from and to CSV over HTTP.
 * Import parses and validates the whole body on the loop thread (bounded by the import limit), answering 400 for a
 * bad header or malformed CSV before anything is queued; then one write job matches and stores every staged row
 * (app/import.c) and the answer lists the rejected rows. Export streams through csv_stream.c, a page of members at
 * a time read on the loop thread's reader. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "app/import.h"
#include "core/member_csv.h"
#include "http/csv_stream.h"
#include "http/http.h"

#define IMPORT_ERRORS_MAX 1000 /* rejected rows listed in the answer; the rest are counted */

/* ---- import ---- */

typedef struct import_job {
    importer *im;
    import_batch *batch;
    json_t *errors; /* [{"line","field","message"}], filled on the writer thread */
    bool truncated;
    bool header_seen;
    errlist header_errs;
} import_job;

static void import_job_free(void *p)
{
    import_job *j = p;
    import_batch_free(j->batch);
    import_free(j->im);
    json_decref(j->errors);
    free(j);
}

static void collect_error(int64_t line, const char *field, const char *message, void *arg)
{
    import_job *j = arg;
    if (json_array_size(j->errors) >= IMPORT_ERRORS_MAX) {
        j->truncated = true;
        return;
    }
    json_array_append_new(j->errors,
                          json_pack("{s:I, s:s, s:s}", "line", (json_int_t)line, "field", field, "message", message));
}

/* The CSV reader's callback on the loop thread: maps the header, validates and stages the rows. */
static int on_record(char *const *fields, const size_t *lens, int count, int64_t record, void *arg)
{
    import_job *j = arg;
    if (record > 1) {
        import_stage(j->im, j->batch, fields, lens, count, record);
        return 0;
    }
    if (import_header(j->im, fields, lens, count, &j->header_errs) != 0)
        return 1;
    j->header_seen = true;
    return 0;
}

/* Writer thread: every row, the audit entry, and the answer. */
static int import_rows(store_tx *tx, http_write *w)
{
    import_job *j = w->arg;
    int status = import_write_last(tx, j->batch);
    if (status != STORE_OK)
        return status; /* no answer: write.c replies 500 */
    import_counts n = import_get_counts(j->im);
    json_t *answer = json_pack("{s:I, s:I, s:I, s:O, s:b}", "created", (json_int_t)n.created, "updated",
                               (json_int_t)n.updated, "rejected", (json_int_t)n.rejected, "errors", j->errors,
                               "errors_truncated", j->truncated);
    http_write_answer_json(w, 200, answer, NULL);
    return STORE_OK;
}

/* True when the Content-Type is text/csv, with or without parameters. */
static bool is_csv(http_request *r)
{
    size_t len;
    const char *ct = http_header(r, H2O_TOKEN_CONTENT_TYPE, &len);
    return ct && len >= 8 && strncasecmp(ct, "text/csv", 8) == 0 && (len == 8 || ct[8] == ';' || ct[8] == ' ');
}

/* Parses the body into j; replies 400 and returns false when it is not a usable CSV file. */
static bool parse_body(http_request *r, import_job *j)
{
    h2o_iovec_t body = r->req->entity;
    member_csv_reader *reader = member_csv_reader_new(on_record, j);
    int rc = member_csv_reader_feed(reader, body.base ? body.base : "", body.len);
    if (rc == 0)
        rc = member_csv_reader_finish(reader);
    errlist e;
    errlist_init(&e);
    char detail[192];
    if (j->header_errs.count > 0) {
        http_reply_problem(r, 400, "validation", "the header row is not valid; nothing was imported", &j->header_errs);
    } else if (rc != 0) {
        snprintf(detail, sizeof(detail), "line %lld: %s; nothing was imported",
                 (long long)member_csv_reader_records(reader) + 1, member_csv_reader_error(reader));
        errlist_add(&e, "row", "line %lld: %s", (long long)member_csv_reader_records(reader) + 1,
                    member_csv_reader_error(reader));
        http_reply_problem(r, 400, "validation", detail, &e);
    } else if (!j->header_seen) {
        errlist_add(&e, "row", "the first row must name the columns");
        http_reply_problem(r, 400, "validation", "the body is empty; a header row is required", &e);
    }
    member_csv_reader_free(reader);
    return rc == 0 && j->header_seen;
}

void http_member_import(http_request *r)
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
    member_rules rules = http_member_rules(r->now_ms);
    store_actor actor = http_actor(&r->who);
    import_job *j = calloc(1, sizeof(*j));
    if (!j)
        abort();
    j->errors = json_array();
    errlist_init(&j->header_errs);
    j->im = import_new(&rules, &actor, collect_error, j);
    j->batch = import_batch_new(j->im);
    if (!parse_body(r, j)) {
        import_job_free(j);
        return;
    }
    http_write_submit(r, import_rows, j, import_job_free);
}

/* ---- export ---- */

/* The kind filter: NULL, "member" or "prospect" (static strings). */
typedef struct export_state {
    const char *kind;
} export_state;

static void export_one(const member *m, void *arg) { csv_stream_member(arg, m); }

static int export_page(csv_stream *s, bool *more)
{
    export_state *e = s->state;
    store_member_filter f = {NULL, e->kind, NULL, s->last_id, CSV_STREAM_PAGE_ROWS};
    int count = 0;
    int status = store_member_list(s->r->thread->reader, &f, http_config.phone_region, export_one, s, &count);
    *more = count == CSV_STREAM_PAGE_ROWS;
    return status;
}

/* Reads the kind filter; replies 400 and returns false when the query is bad. */
static bool export_kind(http_request *r, const char **kind)
{
    static const char *const allowed[] = {"kind", NULL};
    if (!http_query_only(r, allowed))
        return false;
    char value[16];
    member_kind k;
    errlist e;
    errlist_init(&e);
    *kind = NULL;
    if (http_query(r, "kind", value, sizeof(value), &e) && value[0]) {
        if (member_kind_from_name(value, &k) == 0)
            *kind = member_kind_name(k);
        else
            errlist_add(&e, "kind", "must be \"member\" or \"prospect\"");
    }
    if (e.count == 0)
        return true;
    http_reply_problem(r, 400, "validation", "the query has invalid values", &e);
    return false;
}

void http_member_export(http_request *r)
{
    const char *kind;
    if (!export_kind(r, &kind))
        return;
    csv_stream *s = csv_stream_new(r, "members", sizeof(export_state), export_page, NULL);
    ((export_state *)s->state)->kind = kind;
    csv_stream_begin(s, "members.csv");
}
