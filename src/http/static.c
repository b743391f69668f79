/* The web app's files (the staff console and the member portal, built by Vite from web/): served by h2o's file
 * handler, registered after the API's handler on the same path, so a route of the API always wins and only a GET
 * or HEAD that no route took reaches the files. A path with no file under one of the app's own sections
 * (app_sections, the pages web/src routes) gets index.html, so those addresses can be reloaded and shared; any
 * other path is the API's 404.
 * Vite names its built assets by content hash (/assets/index-3f2a1c.js): those are cached for a year; the rest
 * (index.html) is revalidated on every load. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/log.h"
#include "http/http.h"

#define STATIC_PATH_MAX 1024

static char web_dir[STATIC_PATH_MAX];

static const char cache_hashed[] = "public, max-age=31536000, immutable";
static const char cache_revalidate[] = "no-cache";
/* Everything the app loads comes from this server: nothing from elsewhere, nothing inline but styles. */
static const char content_policy[] = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
                                     "object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

void http_static_register(h2o_pathconf_t *path, const char *dir)
{
    if (!dir || !*dir)
        return;
    char index[STATIC_PATH_MAX + 16];
    struct stat st;
    snprintf(index, sizeof(index), "%s/index.html", dir);
    if (strlen(dir) >= sizeof(web_dir) - 1 || stat(index, &st) != 0 || !S_ISREG(st.st_mode)) {
        log_msg(LOG_WARN, "web_missing", "dir=\"%s\" note=\"no index.html there: the web app is not served\"", dir);
        return;
    }
    snprintf(web_dir, sizeof(web_dir), "%s", dir);
    static const char *index_files[] = {"index.html", NULL};
    h2o_file_register(path, web_dir, index_files, NULL, 0);
    log_msg(LOG_INFO, "web", "dir=\"%s\"", web_dir);
}

static void add_header(h2o_req_t *req, const h2o_token_t *token, const char *value)
{
    h2o_add_header(&req->pool, &req->res.headers, token, NULL, value, strlen(value));
}

static void add_named_header(h2o_req_t *req, const char *name, const char *value)
{
    h2o_add_header_by_str(&req->pool, &req->res.headers, name, strlen(name), 0, NULL, value, strlen(value));
}

/* Whether the (normalised) path names a regular file of the app, or a folder with an index.html. */
static bool is_file(const char *path, size_t len)
{
    char full[STATIC_PATH_MAX * 2];
    struct stat st;
    int n = snprintf(full, sizeof(full), "%s%.*s", web_dir, (int)len, path);
    if (n < 0 || (size_t)n >= sizeof(full) - 16)
        return false;
    if (len > 0 && path[len - 1] == '/')
        snprintf(full + n, sizeof(full) - n, "index.html");
    return stat(full, &st) == 0 && S_ISREG(st.st_mode);
}

/* The sections of the app (web/src/main.tsx and staff/StaffApp.tsx route them): each and everything below it. */
static const char *const app_sections[] = {"/dashboard", "/members", "/cashier", "/portal",
                                           /* the console's management pages */
                                           "/rewards", "/tiers", "/rules", "/programme", "/segments", "/users",
                                           "/apikeys", "/audit", "/surveys", "/broadcasts", "/budget", "/plans",
                                           "/competitors", "/moments", "/campaigns",
                                           "/webhooks", "/templates",
                                           NULL};

/* A page of the app: in one of its sections, with no dot in the last segment (files have extensions). */
static bool is_app_page(const char *path, size_t len)
{
    bool inside = false;
    for (int i = 0; app_sections[i] && !inside; i++) {
        size_t n = strlen(app_sections[i]);
        inside = len >= n && memcmp(path, app_sections[i], n) == 0 && (len == n || path[n] == '/');
    }
    const char *slash = path;
    for (size_t i = 0; i < len; i++)
        if (path[i] == '/')
            slash = path + i;
    return inside && memchr(slash, '.', path + len - slash) == NULL;
}

bool http_static_take(http_request *r, bool *answered)
{
    h2o_req_t *req = r->req;
    *answered = false;
    if (!web_dir[0] || !(h2o_memis(req->method.base, req->method.len, H2O_STRLIT("GET")) ||
                         h2o_memis(req->method.base, req->method.len, H2O_STRLIT("HEAD"))))
        return false;
    const char *path = req->path_normalized.base;
    size_t len = req->path_normalized.len;
    if (len >= 5 && memcmp(path, "/api/", 5) == 0)
        return false;
    bool file = is_file(path, len);
    if (!file && !is_app_page(path, len))
        return false;
    add_named_header(req, "x-content-type-options", "nosniff");
    add_named_header(req, "content-security-policy", content_policy);
    if (file) {
        bool hashed = len > 8 && memcmp(path, "/assets/", 8) == 0;
        add_header(req, H2O_TOKEN_CACHE_CONTROL, hashed ? cache_hashed : cache_revalidate);
        return true; /* the file handler next in line serves it */
    }
    char index[STATIC_PATH_MAX + 16];
    snprintf(index, sizeof(index), "%s/index.html", web_dir);
    add_header(req, H2O_TOKEN_CACHE_CONTROL, cache_revalidate);
    if (h2o_file_send(req, 200, "OK", index, h2o_iovec_init(H2O_STRLIT("text/html; charset=utf-8")), 0) != 0)
        return false;
    *answered = true;
    return true;
}

/* ---- pages the API answers too (content negotiation) ---- */

/* The q of one media range's parameters ("; q=0.8"), 1 when absent. */
static double range_q(const char *params, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (params[i] != ';')
            continue;
        size_t j = i + 1;
        while (j < len && (params[j] == ' ' || params[j] == '\t'))
            j++;
        if (j + 1 < len && (params[j] == 'q' || params[j] == 'Q') && params[j + 1] == '=') {
            char num[8] = {0};
            size_t n = len - j - 2 < sizeof(num) - 1 ? len - j - 2 : sizeof(num) - 1;
            memcpy(num, params + j + 2, n);
            return strtod(num, NULL);
        }
    }
    return 1;
}

/* Whether a media range (without its parameters, spaces trimmed) is name, case-insensitively. */
static bool range_is(const char *range, size_t len, const char *name)
{
    return h2o_lcstris(range, len, name, strlen(name));
}

/* Where in v[from, len) the character c first is, or len. */
static size_t find_char(const char *v, size_t from, size_t len, char c)
{
    while (from < len && v[from] != c)
        from++;
    return from;
}

bool http_prefers_html(h2o_req_t *req)
{
    double html = 0, json = 0;
    for (ssize_t at = -1; (at = h2o_find_header(&req->headers, H2O_TOKEN_ACCEPT, at)) != -1;) {
        const char *v = req->headers.entries[at].value.base;
        size_t len = req->headers.entries[at].value.len;
        for (size_t i = 0; i < len;) {
            size_t stop = find_char(v, i, len, ',');
            while (i < stop && (v[i] == ' ' || v[i] == '\t'))
                i++;
            size_t type_end = find_char(v, i, stop, ';'), params = type_end;
            while (type_end > i && (v[type_end - 1] == ' ' || v[type_end - 1] == '\t'))
                type_end--;
            const char *range = v + i;
            size_t n = type_end - i;
            double q = range_q(v + params, stop - params);
            if (range_is(range, n, "text/html") || range_is(range, n, "application/xhtml+xml"))
                html = q > html ? q : html;
            else if (range_is(range, n, "application/json") || range_is(range, n, "application/problem+json") ||
                     range_is(range, n, "application/*") || range_is(range, n, "*/*"))
                json = q > json ? q : json;
            i = stop + 1;
        }
    }
    return html > 0 && html > json;
}

bool http_static_send_index(http_request *r)
{
    h2o_req_t *req = r->req;
    if (!web_dir[0])
        return false;
    char index[STATIC_PATH_MAX + 16];
    snprintf(index, sizeof(index), "%s/index.html", web_dir);
    add_named_header(req, "x-content-type-options", "nosniff");
    add_named_header(req, "content-security-policy", content_policy);
    add_named_header(req, "referrer-policy", "no-referrer"); /* the address may hold a personal token */
    add_header(req, H2O_TOKEN_CACHE_CONTROL, cache_revalidate);
    return h2o_file_send(req, 200, "OK", index, h2o_iovec_init(H2O_STRLIT("text/html; charset=utf-8")), 0) == 0;
}
