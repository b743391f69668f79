/* h2o as a library: one event loop per thread, SO_REUSEPORT listeners, one handler that dispatches through
 * the route table (h2o routes by path prefix only), and a graceful stop: on SIGTERM/SIGINT the listeners close,
 * the loops run until every queued write has been answered, then the writer drains and the database closes. */
#include "http/server.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/log.h"
#include "base/thread.h"
#include "base/worker.h"
#include "jobs/jobs.h"

#define STOP_GRACE_MS 10000

http_settings http_config;
store *http_store;

static h2o_globalconf_t globalconf;
static volatile int stopping;

typedef struct loop_thread {
    http_thread t;
    pthread_t tid;
    int listen_fd;
    h2o_socket_t *listener;
    h2o_accept_ctx_t accept_ctx;
} loop_thread;

/* Matches a route's path pattern; fills *id for an "{id}" segment; a "{token}" segment is checked only. */
static bool path_matches(const char *pattern, const char *path, size_t len, int64_t *id)
{
    const char *p = path, *end = path + len;
    for (const char *q = pattern; *q; q++) {
        if (*q == '{' && strncmp(q, "{id}", 4) == 0) {
            int64_t v = 0;
            int digits = 0;
            for (; p < end && *p >= '0' && *p <= '9' && digits < 18; p++, digits++)
                v = v * 10 + (*p - '0');
            if (digits == 0 || (p < end && *p != '/'))
                return false;
            *id = v;
            q += 3;
        } else if (strncmp(q, "{token}", 7) == 0) {
            /* a survey link's token: 1 to 64 of A-Z a-z 0-9 - _ (the handler reads it from the path) */
            int n = 0;
            for (; p < end && n <= 64 && (isalnum((unsigned char)*p) || *p == '-' || *p == '_'); p++, n++)
                ;
            if (n == 0 || n > 64 || (p < end && *p != '/'))
                return false;
            q += 6;
        } else if (p >= end || *p++ != *q) {
            return false;
        }
    }
    return p == end;
}

/* Finds the route; -1 with *path_known set when only the method is wrong. */
static int find_route(h2o_req_t *req, int64_t *id, bool *path_known, char *allow, size_t allow_cap)
{
    size_t path_len = req->path_normalized.len;
    *path_known = false;
    allow[0] = '\0';
    for (int i = 0; i < http_routes_count; i++) {
        const http_route *rt = &http_routes[i];
        if (!path_matches(rt->path, req->path_normalized.base, path_len, id))
            continue;
        if (h2o_memis(req->method.base, req->method.len, rt->method, strlen(rt->method)))
            return i;
        *path_known = true;
        size_t used = strlen(allow);
        snprintf(allow + used, allow_cap - used, "%s%s", used ? ", " : "", rt->method);
    }
    return -1;
}

static bool is_write_method(const h2o_req_t *req) { return !h2o_memis(req->method.base, req->method.len, H2O_STRLIT("GET")); }

static int on_req(h2o_handler_t *self, h2o_req_t *req)
{
    http_thread *t = H2O_STRUCT_FROM_MEMBER(http_thread, ctx, req->conn->ctx);
    http_request *r = h2o_mem_alloc_pool(&req->pool, sizeof(*r));
    memset(r, 0, sizeof(*r));
    r->req = req;
    r->thread = t;
    r->now_ms = clock_now_ms();
    r->start_ns = http_metrics_now_ns();
    bool path_known;
    char allow[64];
    r->route_index = find_route(req, &r->id, &path_known, allow, sizeof(allow));
    if (r->route_index < 0) {
        if (path_known) {
            h2o_iovec_t v = h2o_strdup(&req->pool, allow, SIZE_MAX);
            h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_ALLOW, NULL, v.base, v.len);
            http_reply_problem(r, 405, "method-not-allowed", "this path does not take this method", NULL);
        } else {
            bool answered;
            if (http_static_take(r, &answered)) /* the web app's files: passed on to the file handler */
                return answered ? 0 : -1;
            http_reply_problem(r, 404, "not-found", "there is nothing at this path", NULL);
        }
        return 0;
    }
    r->route = &http_routes[r->route_index];
    if (r->route->perm != PERM_PUBLIC) {
        if (http_authenticate(r) != 0)
            return 0;
        if (!roles_allows(r->who.role, r->route->perm)) {
            http_reply_problem(r, 403, "forbidden", "your role may not do this", NULL);
            return 0;
        }
        if (is_write_method(req) && http_check_csrf(r) != 0)
            return 0;
    }
    r->route->handler(r);
    return 0;
}

static void on_accept(h2o_socket_t *listener, const char *err)
{
    if (err)
        return;
    loop_thread *lt = listener->data;
    h2o_socket_t *sock = h2o_evloop_socket_accept(listener);
    if (sock)
        h2o_accept(&lt->accept_ctx, sock);
}

static void *loop_main(void *arg)
{
    loop_thread *lt = arg;
    h2o_context_init(&lt->t.ctx, h2o_evloop_create(), &globalconf);
    http_write_thread_init(&lt->t);
    http_offload_thread_init(&lt->t);
    lt->accept_ctx.ctx = &lt->t.ctx;
    lt->accept_ctx.hosts = globalconf.hosts;
    lt->listener = h2o_evloop_socket_create(lt->t.ctx.loop, lt->listen_fd, H2O_SOCKET_FLAG_DONT_READ);
    lt->listener->data = lt;
    h2o_socket_read_start(lt->listener, on_accept);
    /* The loop's reads share one read transaction per turn of the loop (renewed when a commit lands), ended
     * before the loop waits again: see store_reader_hold. */
    store_reader_hold(lt->t.reader);
    while (!stopping) {
        h2o_evloop_run(lt->t.ctx.loop, 100);
        store_reader_release(lt->t.reader);
        if (lt->t.index == 0)
            jobs_tick(http_store, clock_now_ms());
    }
    /* Stop taking connections; answer what is in flight. */
    h2o_socket_read_stop(lt->listener);
    h2o_socket_close(lt->listener);
    int64_t deadline = clock_now_ms() + STOP_GRACE_MS;
    while (lt->t.pending > 0 && clock_now_ms() < deadline) {
        h2o_evloop_run(lt->t.ctx.loop, 10);
        store_reader_release(lt->t.reader);
    }
    for (int i = 0; i < 10; i++) { /* let the last answers reach their sockets */
        h2o_evloop_run(lt->t.ctx.loop, 10);
        store_reader_release(lt->t.reader);
    }
    return NULL;
}

static int open_listener(const char *host, int port)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE}, *res;
    char portstr[16];
    snprintf(portstr, sizeof(portstr), "%d", port);
    int rc = getaddrinfo(host, portstr, &hints, &res);
    if (rc != 0) {
        log_msg(LOG_ERROR, "listen", "host=%s error=\"%s\"", host, gai_strerror(rc));
        return -1;
    }
    int fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0), on = 1;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) != 0 ||
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on)) != 0 ||
        bind(fd, res->ai_addr, res->ai_addrlen) != 0 || listen(fd, SOMAXCONN) != 0) {
        log_msg(LOG_ERROR, "listen", "host=%s port=%d error=\"%s\"", host, port, strerror(errno));
        if (fd >= 0)
            close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    return fd;
}

/* A port bound by another program is refused, even with SO_REUSEPORT: check it is free first. */
static int check_port_free(const char *host, int port)
{
    int fd = open_listener(host, port);
    if (fd < 0)
        return -1;
    close(fd);
    return 0;
}

int http_serve(store *s, const http_serve_config *cfg)
{
    http_config = cfg->settings;
    http_store = s;
    int n = cfg->threads;
    h2o_config_init(&globalconf);
    /* h2o refuses bodies above its limit with a plain-text 413; a margin above ours lets the handlers answer
     * the usual over-limit body with problem+json naming the limit. */
    size_t largest = cfg->settings.import_limit > cfg->settings.body_limit ? cfg->settings.import_limit
                                                                          : cfg->settings.body_limit;
    globalconf.max_request_entity_size = largest + (1u << 20);
    globalconf.http1.req_timeout = cfg->read_timeout_ms;
    globalconf.server_name = h2o_iovec_init(H2O_STRLIT("bashgah"));
    h2o_hostconf_t *host = h2o_config_register_host(&globalconf, h2o_iovec_init(H2O_STRLIT("default")), 65535);
    h2o_pathconf_t *path = h2o_config_register_path(host, "/", 0);
    h2o_handler_t *handler = h2o_create_handler(path, sizeof(*handler));
    handler->on_req = on_req;
    http_static_register(path, cfg->settings.web_dir);
    http_metrics_init(n, cfg->access_log);

    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);

    if (check_port_free(cfg->host, cfg->port) != 0 || store_writer_start(s) != STORE_OK ||
        worker_start(n) != 0 || delivery_start(s, &cfg->delivery) != 0)
        return -1;
    loop_thread *threads = calloc(n, sizeof(*threads));
    for (int i = 0; i < n; i++) {
        threads[i].t.index = i;
        threads[i].t.reader = store_reader_open(s);
        threads[i].listen_fd = open_listener(cfg->host, cfg->port);
        if (!threads[i].t.reader || threads[i].listen_fd < 0)
            return -1;
    }
    /* Said before the loops start, so whoever sees an answer has already seen this line. */
    printf("bashgah listening on http://%s:%d\n", cfg->host, cfg->port);
    fflush(stdout);
    for (int i = 0; i < n; i++)
        if (pthread_create(&threads[i].tid, NULL, loop_main, &threads[i]) == 0)
            thread_name(threads[i].tid, "loop", i);
    log_msg(LOG_INFO, "listening", "host=%s port=%d threads=%d", cfg->host, cfg->port, n);

    int sig = 0;
    sigwait(&sigs, &sig);
    log_msg(LOG_INFO, "stopping", "signal=%d", sig);
    __atomic_store_n(&stopping, 1, __ATOMIC_SEQ_CST);
    for (int i = 0; i < n; i++)
        pthread_join(threads[i].tid, NULL);
    delivery_stop(); /* before the writer stops: it records its last batch */
    worker_stop();
    for (int i = 0; i < n; i++)
        store_reader_close(threads[i].t.reader);
    free(threads);
    log_msg(LOG_INFO, "stopped", "signal=%d", sig);
    return 0;
}
