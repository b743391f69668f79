/* Request metrics (Prometheus text) and the access log (one JSON line per request).
 * Counters live per thread and are only written by their own loop, so counting takes no lock; /metrics sums
 * them with relaxed atomic loads. */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/log.h"
#include "core/timefmt.h"
#include "http/http.h"

#define ROUTES_MAX 64 /* route slots; the last counts unmatched paths */
static const int status_codes[] = {200, 201, 204, 400, 401, 403, 404, 405, 409, 413, 415, 429, 500, 503};
#define STATUS_SLOTS (sizeof(status_codes) / sizeof(status_codes[0]) + 1) /* + "other" */
static const double latency_bounds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5};
#define LATENCY_SLOTS (sizeof(latency_bounds) / sizeof(latency_bounds[0]) + 1)

typedef struct thread_metrics {
    uint64_t requests[ROUTES_MAX][STATUS_SLOTS];
    uint64_t latency[LATENCY_SLOTS];
    double latency_sum;
} thread_metrics;

static thread_metrics *metrics;
static int metrics_threads;
static int access_fd = -1;

void http_metrics_init(int threads, const char *access_log)
{
    metrics = calloc(threads, sizeof(*metrics));
    metrics_threads = threads;
    if (!access_log || strcmp(access_log, "off") == 0)
        access_fd = -1;
    else if (strcmp(access_log, "-") == 0)
        access_fd = STDOUT_FILENO;
    else if ((access_fd = open(access_log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640)) < 0)
        log_msg(LOG_WARN, "access_log", "path=%s error=\"cannot open; access log off\"", access_log);
}

static int status_slot(int status)
{
    for (size_t i = 0; i < STATUS_SLOTS - 1; i++)
        if (status_codes[i] == status)
            return (int)i;
    return STATUS_SLOTS - 1;
}


static void access_line(http_request *r, int status, double secs)
{
    char at[TIMEFMT_LEN];
    timefmt_rfc3339(r->now_ms, at);
    h2o_req_t *req = r->req;
    size_t path_len = req->query_at != SIZE_MAX ? req->query_at : req->path.len;
    json_t *line = json_pack("{s:s, s:s%, s:s%, s:s, s:i, s:f, s:s?, s:I}", "ts", at, "method", req->method.base,
                             req->method.len, "path", req->path.base, path_len, "route",
                             r->route ? r->route->path : "", "status", status, "duration_ms", secs * 1000.0, "actor",
                             r->who.kind ? r->who.key : NULL, "bytes_in", (json_int_t)req->entity.len);
    char *text = line ? json_dumps(line, JSON_COMPACT | JSON_REAL_PRECISION(6)) : NULL;
    json_decref(line);
    if (!text)
        return;
    size_t n = strlen(text);
    text[n] = '\n'; /* overwrite the NUL: one write of the whole line keeps lines whole */
    ssize_t w = write(access_fd, text, n + 1);
    (void)w;
    free(text);
}

void http_metrics_record(http_request *r, int status)
{
    double secs = (clock_mono_ns() - r->start_ns) / 1e9;
    thread_metrics *m = &metrics[r->thread->index];
    int route = r->route_index >= 0 && r->route_index < ROUTES_MAX - 1 ? r->route_index : ROUTES_MAX - 1;
    __atomic_fetch_add(&m->requests[route][status_slot(status)], 1, __ATOMIC_RELAXED);
    size_t b = 0;
    while (b < LATENCY_SLOTS - 1 && secs > latency_bounds[b])
        b++;
    __atomic_fetch_add(&m->latency[b], 1, __ATOMIC_RELAXED);
    m->latency_sum += secs;
    if (access_fd >= 0)
        access_line(r, status, secs);
}

uint64_t http_metrics_now_ns(void) { return clock_mono_ns(); }

/* Appends printf-style text to a growing buffer. */
static void out(h2o_mem_pool_t *pool, h2o_iovec_t *buf, size_t *cap, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void out(h2o_mem_pool_t *pool, h2o_iovec_t *buf, size_t *cap, const char *fmt, ...)
{
    va_list ap;
    for (;;) {
        va_start(ap, fmt);
        int n = vsnprintf(buf->base + buf->len, *cap - buf->len, fmt, ap);
        va_end(ap);
        if (n >= 0 && buf->len + n < *cap) {
            buf->len += n;
            return;
        }
        size_t ncap = *cap * 2 + (n > 0 ? n : 0);
        char *nb = h2o_mem_alloc_pool(pool, ncap);
        memcpy(nb, buf->base, buf->len);
        buf->base = nb;
        *cap = ncap;
    }
}

static const char *status_label(size_t slot, char tmp[8])
{
    if (slot == STATUS_SLOTS - 1)
        return "other";
    snprintf(tmp, 8, "%d", status_codes[slot]);
    return tmp;
}

void http_metrics_render(http_request *r)
{
    h2o_mem_pool_t *pool = &r->req->pool;
    size_t cap = 16384;
    h2o_iovec_t buf = {h2o_mem_alloc_pool(pool, cap), 0};
    out(pool, &buf, &cap, "# HELP bashgah_http_requests_total HTTP requests by route, method and status.\n"
                          "# TYPE bashgah_http_requests_total counter\n");
    for (int route = 0; route < ROUTES_MAX; route++) {
        for (size_t s = 0; s < STATUS_SLOTS; s++) {
            uint64_t n = 0;
            for (int t = 0; t < metrics_threads; t++)
                n += __atomic_load_n(&metrics[t].requests[route][s], __ATOMIC_RELAXED);
            if (n == 0)
                continue;
            char tmp[8];
            const http_route *rt = route < http_routes_count ? &http_routes[route] : NULL;
            out(pool, &buf, &cap, "bashgah_http_requests_total{route=\"%s\",method=\"%s\",status=\"%s\"} %llu\n",
                rt ? rt->path : "unmatched", rt ? rt->method : "", status_label(s, tmp), (unsigned long long)n);
        }
    }
    out(pool, &buf, &cap, "# HELP bashgah_http_request_duration_seconds Time from request to answer.\n"
                          "# TYPE bashgah_http_request_duration_seconds histogram\n");
    uint64_t cumulative = 0;
    double sum = 0;
    for (int t = 0; t < metrics_threads; t++)
        sum += metrics[t].latency_sum;
    for (size_t b = 0; b < LATENCY_SLOTS; b++) {
        for (int t = 0; t < metrics_threads; t++)
            cumulative += __atomic_load_n(&metrics[t].latency[b], __ATOMIC_RELAXED);
        if (b < LATENCY_SLOTS - 1)
            out(pool, &buf, &cap, "bashgah_http_request_duration_seconds_bucket{le=\"%g\"} %llu\n", latency_bounds[b],
                (unsigned long long)cumulative);
        else
            out(pool, &buf, &cap, "bashgah_http_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n",
                (unsigned long long)cumulative);
    }
    out(pool, &buf, &cap, "bashgah_http_request_duration_seconds_sum %f\nbashgah_http_request_duration_seconds_count %llu\n",
        sum, (unsigned long long)cumulative);
    uint64_t buckets[STORE_BATCH_BUCKETS], jobs, batches;
    static const char *batch_bounds[STORE_BATCH_BUCKETS] = {"1", "7", "63", "511", "+Inf"};
    store_writer_stats(http_store, buckets, &jobs, &batches);
    out(pool, &buf, &cap, "# HELP bashgah_writer_batch_size Writes committed together in one transaction.\n"
                          "# TYPE bashgah_writer_batch_size histogram\n");
    cumulative = 0;
    for (int b = 0; b < STORE_BATCH_BUCKETS; b++) {
        cumulative += buckets[b];
        out(pool, &buf, &cap, "bashgah_writer_batch_size_bucket{le=\"%s\"} %llu\n", batch_bounds[b],
            (unsigned long long)cumulative);
    }
    out(pool, &buf, &cap, "bashgah_writer_batch_size_sum %llu\nbashgah_writer_batch_size_count %llu\n",
        (unsigned long long)jobs, (unsigned long long)batches);
    store_io_histogram io[STORE_IO_STEPS];
    store_io_stats(http_store, io);
    out(pool, &buf, &cap,
        "# HELP bashgah_store_step_seconds Time of each step of durable writes: wal_sync (every write's "
        "answer waits for one), commit, writer_checkpoint (every write waits), checkpoint, "
        "checkpoint_flush.\n# TYPE bashgah_store_step_seconds histogram\n");
    for (int i = 0; i < STORE_IO_STEPS; i++) {
        const char *step = store_io_step_names[i];
        cumulative = 0;
        for (int b = 0; b < STORE_IO_BUCKETS; b++) {
            cumulative += io[i].buckets[b];
            if (b < STORE_IO_BUCKETS - 1)
                out(pool, &buf, &cap, "bashgah_store_step_seconds_bucket{step=\"%s\",le=\"%g\"} %llu\n", step,
                    store_io_bucket_seconds[b], (unsigned long long)cumulative);
            else
                out(pool, &buf, &cap, "bashgah_store_step_seconds_bucket{step=\"%s\",le=\"+Inf\"} %llu\n", step,
                    (unsigned long long)cumulative);
        }
        out(pool, &buf, &cap, /* the count is the buckets' total, so that it always equals the +Inf bucket */
            "bashgah_store_step_seconds_sum{step=\"%s\"} %.6f\n"
            "bashgah_store_step_seconds_count{step=\"%s\"} %llu\n",
            step, io[i].sum_ns / 1e9, step, (unsigned long long)cumulative);
    }
    out(pool, &buf, &cap, "# HELP bashgah_db_size_bytes Size of the database file.\n# TYPE bashgah_db_size_bytes gauge\n"
                          "bashgah_db_size_bytes %lld\n", (long long)store_db_size_bytes(r->thread->reader));
    http_send(r, 200, "text/plain; version=0.0.4", buf.base, buf.len, NULL, false);
}

void http_healthz(http_request *r) { http_reply_json(r, 200, json_pack("{s:s}", "status", "ok")); }
void http_metrics(http_request *r) { http_metrics_render(r); }
