/*
 * bench/bare.c: the ceiling that `make bench` measures bashgah against.
 *
 * A bare libh2o (evloop) server doing nothing but HTTP: one event loop per thread, each with its own
 * listening socket bound with SO_REUSEPORT (so the kernel spreads connections across loops, as bashgah
 * does), answering every request, whatever its method or path, with one fixed JSON body the size of a
 * member record. Whatever bashgah adds on top (routing, auth, SQLite, JSON encoding) shows as the gap
 * between this and its own figure.
 *
 * Usage: bench_bare [--listen HOST:PORT] [--threads N]      (defaults 127.0.0.1:8090, 2 threads)
 * Prints "bench_bare listening on http://HOST:PORT" once every loop listens; SIGTERM/SIGINT stop it, exit 0.
 *
 * Shutdown: the loop threads never see the signals (blocked before they start); the main thread takes
 * them with sigwait, raises a flag and wakes each loop through its context's multithread queue.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "h2o.h"
#include "h2o/http1.h"

enum { THREADS_MAX = 64, LISTEN_BACKLOG = 4096 };

/* Shaped like GET /api/v1/members/{id} would answer (about 490 bytes). */
static const char member_body[] =
    "{\"id\":123456,\"external_ref\":\"C-0123456\",\"given_name\":\"\xd8\xb3\xd8\xa7\xd8\xb1\xd8\xa7\","
    "\"family_name\":\"\xd8\xa7\xd8\xad\xd9\x85\xd8\xaf\xdb\x8c\",\"phone\":\"+989120123456\","
    "\"email\":\"sara.ahmadi.123456@example.com\",\"birthday\":{\"date\":\"1370-01-05\",\"calendar\":\"persian\"},"
    "\"time_zone\":\"Asia/Tehran\",\"locale\":\"fa\",\"kind\":\"member\",\"consent\":{\"email\":true,\"sms\":false},"
    "\"consent_at\":{\"email\":\"2026-01-02T10:00:00.000Z\",\"sms\":null},\"attributes\":{\"city\":\"Tehran\"},"
    "\"created_at\":\"2026-01-02T10:00:00.000Z\",\"updated_at\":\"2026-01-02T10:00:00.000Z\",\"erased_at\":null}";

struct loop_thread {
    pthread_t tid;
    h2o_context_t ctx;
    h2o_accept_ctx_t accept_ctx;
    h2o_multithread_receiver_t wake;
    int listen_fd;
};

static h2o_globalconf_t config;
static atomic_int stopping;

static int on_req(h2o_handler_t *self, h2o_req_t *req)
{
    static h2o_generator_t generator = {NULL, NULL};
    h2o_iovec_t body = h2o_iovec_init(member_body, sizeof(member_body) - 1);

    req->res.status = 200;
    req->res.reason = "OK";
    req->res.content_length = body.len;
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, H2O_STRLIT("application/json"));
    h2o_start_response(req, &generator);
    h2o_send(req, &body, 1, 1);
    return 0;
}

static void on_accept(h2o_socket_t *listener, const char *err)
{
    struct loop_thread *lt = listener->data;
    h2o_socket_t *sock;

    if (err != NULL)
        return;
    if ((sock = h2o_evloop_socket_accept(listener)) == NULL)
        return;
    h2o_accept(&lt->accept_ctx, sock);
}

/* The wake-up message carries nothing: the loop only has to return from its poll and see `stopping`. */
static void on_wake(h2o_multithread_receiver_t *receiver, h2o_linklist_t *messages)
{
}

static int open_listener(const struct addrinfo *ai)
{
    int fd, on = 1;

    if ((fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol)) == -1)
        return -1;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) != 0 ||
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on)) != 0 ||
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on)) != 0 || bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 ||
        listen(fd, LISTEN_BACKLOG) != 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

static void *loop_main(void *arg)
{
    struct loop_thread *lt = arg;
    h2o_socket_t *listener;

    listener = h2o_evloop_socket_create(lt->ctx.loop, lt->listen_fd, H2O_SOCKET_FLAG_DONT_READ);
    listener->data = lt;
    h2o_socket_read_start(listener, on_accept);

    while (!atomic_load(&stopping))
        if (h2o_evloop_run(lt->ctx.loop, INT32_MAX) != 0)
            break;

    h2o_socket_read_stop(listener);
    h2o_socket_close(listener);
    return NULL;
}

/* Splits HOST:PORT (HOST may be [v6]) and resolves it; returns 0 or prints why and returns -1. */
static int resolve_listen(const char *spec, struct addrinfo **out)
{
    char host[256];
    const char *colon = strrchr(spec, ':');
    size_t host_len;
    struct addrinfo hints;
    int rc;

    if (colon == NULL || colon[1] == '\0' || (host_len = (size_t)(colon - spec)) >= sizeof(host)) {
        fprintf(stderr, "bench_bare: --listen wants HOST:PORT, got '%s'\n", spec);
        return -1;
    }
    memcpy(host, spec, host_len);
    host[host_len] = '\0';
    if (host_len >= 2 && host[0] == '[' && host[host_len - 1] == ']') {
        memmove(host, host + 1, host_len - 2);
        host[host_len - 2] = '\0';
    }
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    if ((rc = getaddrinfo(host[0] != '\0' ? host : NULL, colon + 1, &hints, out)) != 0) {
        fprintf(stderr, "bench_bare: cannot resolve '%s': %s\n", spec, gai_strerror(rc));
        return -1;
    }
    return 0;
}

static void usage(FILE *to)
{
    fprintf(to, "usage: bench_bare [--listen HOST:PORT] [--threads N]\n"
                "  answers every request with a fixed ~490-byte JSON body (the ceiling for `make bench`)\n"
                "  defaults: --listen 127.0.0.1:8090 --threads 2\n");
}

static int parse_args(int argc, char **argv, const char **listen_spec, int *threads)
{
    for (int i = 1; i < argc; ++i) {
        const char *arg = argv[i];
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            usage(stdout);
            exit(0);
        }
        if (i + 1 >= argc)
            goto Bad;
        if (strcmp(arg, "--listen") == 0) {
            *listen_spec = argv[++i];
        } else if (strcmp(arg, "--threads") == 0) {
            char *end;
            long n = strtol(argv[++i], &end, 10);
            if (*end != '\0' || n < 1 || n > THREADS_MAX) {
                fprintf(stderr, "bench_bare: --threads wants 1..%d\n", THREADS_MAX);
                return -1;
            }
            *threads = (int)n;
        } else {
            goto Bad;
        }
    }
    return 0;
Bad:
    usage(stderr);
    return -1;
}

int main(int argc, char **argv)
{
    const char *listen_spec = "127.0.0.1:8090";
    int threads = 2, sig;
    static struct loop_thread loops[THREADS_MAX];
    struct addrinfo *ai;
    sigset_t stop_signals;

    if (parse_args(argc, argv, &listen_spec, &threads) != 0)
        return 2;
    if (resolve_listen(listen_spec, &ai) != 0)
        return 1;

    signal(SIGPIPE, SIG_IGN);
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);

    h2o_config_init(&config);
    h2o_hostconf_t *hostconf = h2o_config_register_host(&config, h2o_iovec_init(H2O_STRLIT("default")), 65535);
    h2o_pathconf_t *pathconf = h2o_config_register_path(hostconf, "/", 0);
    h2o_create_handler(pathconf, sizeof(h2o_handler_t))->on_req = on_req;

    /* Bind every socket before starting any loop, so a busy port fails the whole start. */
    for (int i = 0; i < threads; ++i) {
        if ((loops[i].listen_fd = open_listener(ai)) == -1) {
            fprintf(stderr, "bench_bare: cannot listen on %s: %s\n", listen_spec, strerror(errno));
            return 1;
        }
    }
    freeaddrinfo(ai);

    for (int i = 0; i < threads; ++i) {
        struct loop_thread *lt = &loops[i];
        h2o_context_init(&lt->ctx, h2o_evloop_create(), &config);
        lt->accept_ctx.ctx = &lt->ctx;
        lt->accept_ctx.hosts = config.hosts;
        h2o_multithread_register_receiver(lt->ctx.queue, &lt->wake, on_wake);
        h2o_multithread_create_thread(&lt->tid, NULL, loop_main, lt);
    }
    printf("bench_bare listening on http://%s (%d threads)\n", listen_spec, threads);
    fflush(stdout);

    sigwait(&stop_signals, &sig);
    atomic_store(&stopping, 1);
    for (int i = 0; i < threads; ++i)
        h2o_multithread_send_message(&loops[i].wake, NULL);
    for (int i = 0; i < threads; ++i)
        pthread_join(loops[i].tid, NULL);
    return 0;
}
