/* The HTTP server: h2o with one event loop per thread, each with its own SO_REUSEPORT listener and read
 * connection, sharing the store's writer. http_serve() returns after SIGTERM or SIGINT, once the requests in
 * flight have been answered. */
#ifndef BASHGAH_HTTP_SERVER_H
#define BASHGAH_HTTP_SERVER_H

#include "http/http.h"
#include "jobs/delivery.h"

typedef struct http_serve_config {
    const char *host;
    int port;
    int threads;
    uint64_t read_timeout_ms;
    const char *access_log;
    http_settings settings;
    delivery_settings delivery; /* the outbox's delivery worker */
} http_serve_config;

/* Serves until a stop signal. Returns 0, or -1 when it could not start (the reason is logged). */
int http_serve(store *s, const http_serve_config *cfg);

#endif
