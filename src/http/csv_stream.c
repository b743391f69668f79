/* Streamed member CSV answers (csv_stream.h). */
#include "http/csv_stream.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "core/member_csv.h"

static void reserve(csv_stream *s, size_t more)
{
    if (s->cap - s->len >= more)
        return;
    s->cap = (s->len + more) * 2;
    s->buf = realloc(s->buf, s->cap);
    if (!s->buf)
        abort();
}

/* The request's pool is going away (sent, or the client left): the buffer and the caller's state go with it. */
static void on_dispose(void *p)
{
    csv_stream *s = p;
    if (s->dispose)
        s->dispose(s);
    free(s->buf);
    s->buf = NULL;
}

void csv_stream_member(csv_stream *s, const member *m)
{
    s->last_id = m->id;
    reserve(s, MEMBER_CSV_LINE_MAX);
    long n = member_csv_format(m, s->buf + s->len, s->cap - s->len);
    if (n < 0) {
        log_msg(LOG_WARN, "export_skip", "member=%lld error=\"does not fit a CSV line\"", (long long)m->id);
        return;
    }
    s->len += (size_t)n;
}

static void on_proceed(h2o_generator_t *self, h2o_req_t *req)
{
    csv_stream *s = (csv_stream *)self;
    s->len = 0;
    if (!s->header_sent) {
        const char *header = member_csv_export_header();
        reserve(s, strlen(header));
        memcpy(s->buf, header, strlen(header));
        s->len = strlen(header);
        s->header_sent = true;
    }
    bool more = false;
    int64_t after = s->last_id;
    h2o_send_state_t state = H2O_SEND_STATE_IN_PROGRESS;
    if (s->page(s, &more) != STORE_OK) {
        log_msg(LOG_ERROR, "export_failed", "export=%s after_id=%lld", s->what, (long long)after);
        state = H2O_SEND_STATE_ERROR; /* the client sees a cut response, never a silently short file */
    } else if (!more) {
        state = H2O_SEND_STATE_FINAL;
    }
    h2o_iovec_t chunk = h2o_iovec_init(s->buf, s->len);
    h2o_send(req, &chunk, chunk.len ? 1 : 0, state);
}

static void on_stop(h2o_generator_t *self, h2o_req_t *req)
{
    /* Nothing to cancel: pages are read synchronously, and the buffer is freed with the request's pool. */
}

csv_stream *csv_stream_new(http_request *r, const char *what, size_t state_size, csv_stream_page_fn page,
                           void (*dispose)(csv_stream *s))
{
    csv_stream *s = h2o_mem_alloc_shared(&r->req->pool, sizeof(*s) + state_size, on_dispose);
    memset(s, 0, sizeof(*s) + state_size);
    s->super.proceed = on_proceed;
    s->super.stop = on_stop;
    s->r = r;
    s->what = what;
    s->page = page;
    s->dispose = dispose;
    s->state = s + 1;
    return s;
}

void csv_stream_begin(csv_stream *s, const char *filename)
{
    h2o_req_t *req = s->r->req;
    req->res.status = 200;
    req->res.reason = "OK";
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, H2O_STRLIT("text/csv; charset=utf-8"));
    char disposition[128];
    int n = snprintf(disposition, sizeof(disposition), "attachment; filename=\"%s\"", filename);
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_DISPOSITION, NULL,
                   h2o_strdup(&req->pool, disposition, (size_t)n).base, (size_t)n);
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL, H2O_STRLIT("no-store"));
    h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("x-content-type-options"), 0, NULL,
                          H2O_STRLIT("nosniff"));
    http_metrics_record(s->r, 200); /* once, for the whole streamed answer */
    h2o_start_response(req, &s->super);
    on_proceed(&s->super, req);
}
