/* Replies: JSON bodies, RFC 9457 problem+json documents, request bodies and query parameters. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/text.h"
#include "http/http.h"

static const char *status_title(int status)
{
    switch (status) {
    case 400: return "Bad request";
    case 401: return "Unauthenticated";
    case 403: return "Forbidden";
    case 404: return "Not found";
    case 405: return "Method not allowed";
    case 409: return "Conflict";
    case 413: return "Body too large";
    case 415: return "Unsupported media type";
    case 429: return "Too many requests";
    case 503: return "Unavailable";
    default: return status >= 500 ? "Internal error" : "Error";
    }
}

static const char *reason_of(int status)
{
    switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    default: return status_title(status);
    }
}

const char *http_header(http_request *r, const h2o_token_t *token, size_t *len)
{
    ssize_t i = h2o_find_header(&r->req->headers, token, -1);
    if (i < 0)
        return NULL;
    *len = r->req->headers.entries[i].value.len;
    return r->req->headers.entries[i].value.base;
}

/* http_send for a body that is already in the request's pool (or static): it is sent as it is. */
static void send_pooled(http_request *r, int status, const char *content_type, const char *body, size_t len,
                        const char *location, bool replayed)
{
    h2o_req_t *req = r->req;
    req->res.status = status;
    req->res.reason = reason_of(status);
    if (content_type)
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, content_type, strlen(content_type));
    if (location) {
        h2o_iovec_t loc = h2o_strdup(&req->pool, location, SIZE_MAX);
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_LOCATION, NULL, loc.base, loc.len);
    }
    if (replayed)
        h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("idempotent-replayed"), 0, NULL,
                              H2O_STRLIT("true"));
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL, H2O_STRLIT("no-store"));
    h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("x-content-type-options"), 0, NULL,
                          H2O_STRLIT("nosniff"));
    http_metrics_record(r, status);
    /* A known length keeps the connection open for the next request (h2o closes it otherwise). */
    req->res.content_length = status == 204 ? 0 : len;
    /* h2o_send_inline less its copy of the body: a HEAD answer still goes without one. */
    static h2o_generator_t generator = {NULL, NULL};
    h2o_iovec_t buf = h2o_iovec_init(body, status == 204 ? 0 : len);
    h2o_start_response(req, &generator);
    if (buf.len == 0 || h2o_memis(req->input.method.base, req->input.method.len, H2O_STRLIT("HEAD")))
        h2o_send(req, NULL, 0, H2O_SEND_STATE_FINAL);
    else
        h2o_send(req, &buf, 1, H2O_SEND_STATE_FINAL);
}

void http_send(http_request *r, int status, const char *content_type, const char *body, size_t len,
               const char *location, bool replayed)
{
    const char *copy = status == 204 || len == 0 ? "" : h2o_strdup(&r->req->pool, body, len).base;
    send_pooled(r, status, content_type, copy, len, location, replayed);
}

void http_reply_json(http_request *r, int status, json_t *body)
{
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    http_send(r, status, "application/json", text ? text : "", text ? strlen(text) : 0, NULL, false);
    free(text);
}

void http_reply_member(http_request *r, int status, member *m, const char *attributes_text)
{
    size_t cap = 2048; /* a member with the usual fields takes 500-800 bytes */
    char *text = h2o_mem_alloc_pool(&r->req->pool, cap);
    long n = member_json_text(m, attributes_text, text, cap);
    if (n < 0) {
        if (attributes_text && !m->attributes)
            m->attributes = json_loads(attributes_text, 0, NULL);
        http_reply_json(r, status, member_to_json(m));
        return;
    }
    if ((size_t)n >= cap) {
        text = h2o_mem_alloc_pool(&r->req->pool, (size_t)n + 1);
        member_json_text(m, attributes_text, text, (size_t)n + 1);
    }
    send_pooled(r, status, "application/json", text, (size_t)n, NULL, false);
}

char *http_problem_body(int status, const char *slug, const char *detail, const errlist *errs)
{
    char type[128];
    snprintf(type, sizeof(type), "https://bashgah.org/problems/%s", slug);
    json_t *doc = json_pack("{s:s, s:s, s:i}", "type", type, "title", status_title(status), "status", status);
    if (detail)
        json_object_set_new(doc, "detail", json_string(detail));
    json_t *list = json_array();
    for (int i = 0; errs && i < errs->count && i < ERRLIST_MAX; i++)
        json_array_append_new(list, json_pack("{s:s, s:s}", "field", errs->items[i].field, "message",
                                              errs->items[i].message));
    json_object_set_new(doc, "errors", list);
    char *text = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    return text;
}

void http_reply_problem(http_request *r, int status, const char *slug, const char *detail, const errlist *errs)
{
    char *text = http_problem_body(status, slug, detail, errs);
    if (status == 401)
        h2o_add_header(&r->req->pool, &r->req->res.headers, H2O_TOKEN_WWW_AUTHENTICATE, NULL,
                       H2O_STRLIT("Bearer realm=\"bashgah\""));
    http_send(r, status, "application/problem+json", text, strlen(text), NULL, false);
    free(text);
}

json_t *http_body_json(http_request *r)
{
    h2o_iovec_t body = r->req->entity;
    size_t ctlen;
    const char *ct = http_header(r, H2O_TOKEN_CONTENT_TYPE, &ctlen);
    if (!ct || ctlen < 16 || strncasecmp(ct, "application/json", 16) != 0) {
        http_reply_problem(r, 415, "unsupported-media-type", "send the body as application/json", NULL);
        return NULL;
    }
    if (body.len > http_config.body_limit) {
        char detail[96];
        snprintf(detail, sizeof(detail), "the body may be at most %zu bytes", http_config.body_limit);
        http_reply_problem(r, 413, "too-large", detail, NULL);
        return NULL;
    }
    if (!text_valid_utf8(body.base ? body.base : "", body.len)) {
        http_reply_problem(r, 400, "malformed-json", "the body is not valid UTF-8 text", NULL);
        return NULL;
    }
    json_error_t error;
    json_t *doc = json_loadb(body.base ? body.base : "", body.len, JSON_REJECT_DUPLICATES, &error);
    if (!doc) {
        char detail[256];
        snprintf(detail, sizeof(detail), "the body is not valid JSON: %s (line %d, column %d)", error.text, error.line,
                 error.column);
        http_reply_problem(r, 400, "malformed-json", detail, NULL);
        return NULL;
    }
    if (!json_is_object(doc)) {
        json_decref(doc);
        errlist e;
        errlist_init(&e);
        errlist_add(&e, "", "the body must be a JSON object");
        http_reply_problem(r, 400, "validation", "the body must be a JSON object", &e);
        return NULL;
    }
    return doc;
}

json_t *http_body_fields(http_request *r, const char *const *fields, errlist *e)
{
    errlist_init(e);
    json_t *body = http_body_json(r);
    if (body)
        errlist_only_fields(e, body, fields);
    return body;
}

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Percent-decodes [s, s+len) into out ("+" is a space); returns false when it does not fit. */
static bool url_decode(const char *s, size_t len, char *out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        if (n + 1 >= cap)
            return false;
        if (s[i] == '%' && i + 2 < len && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
            out[n] = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
            if (out[n++] == '\0')
                return false; /* a NUL would silently cut the value */
            i += 2;
        } else {
            out[n++] = s[i] == '+' ? ' ' : s[i];
        }
    }
    out[n] = '\0';
    return true;
}

/* Calls fn for each name=value pair of the query string until it returns false. */
static void query_each(http_request *r, bool (*fn)(const char *name, size_t nlen, const char *val, size_t vlen, void *arg),
                       void *arg)
{
    if (r->req->query_at == SIZE_MAX)
        return;
    const char *p = r->req->path.base + r->req->query_at + 1, *end = r->req->path.base + r->req->path.len;
    while (p < end) {
        const char *amp = memchr(p, '&', end - p);
        const char *stop = amp ? amp : end, *eq = memchr(p, '=', stop - p);
        const char *val = eq ? eq + 1 : stop;
        if (stop > p && !fn(p, (eq ? eq : stop) - p, val, stop - val, arg))
            return;
        p = stop + 1;
    }
}

struct query_find {
    const char *name;
    char *out;
    size_t cap;
    bool found, bad;
};

static bool find_one(const char *name, size_t nlen, const char *val, size_t vlen, void *arg)
{
    struct query_find *f = arg;
    if (strlen(f->name) != nlen || memcmp(f->name, name, nlen) != 0)
        return true;
    f->found = true;
    if (!url_decode(val, vlen, f->out, f->cap) || !text_valid_utf8(f->out, strlen(f->out))) {
        f->out[0] = '\0';
        f->bad = true;
    }
    return false;
}

bool http_query(http_request *r, const char *name, char *out, size_t cap, errlist *e)
{
    struct query_find f = {name, out, cap, false, false};
    out[0] = '\0';
    query_each(r, find_one, &f);
    if (f.bad)
        errlist_add(e, name, "must be UTF-8 text of at most %zu bytes without NUL", cap - 1);
    return f.found && !f.bad;
}

struct query_check {
    const char *const *allowed;
    char bad[64];
};

static bool check_one(const char *name, size_t nlen, const char *val, size_t vlen, void *arg)
{
    struct query_check *c = arg;
    for (const char *const *a = c->allowed; *a; a++)
        if (strlen(*a) == nlen && memcmp(*a, name, nlen) == 0)
            return true;
    if (!url_decode(name, nlen, c->bad, sizeof(c->bad)) || !text_valid_utf8(c->bad, strlen(c->bad)))
        snprintf(c->bad, sizeof(c->bad), "?");
    return false;
}

bool http_query_only(http_request *r, const char *const *allowed)
{
    struct query_check c = {allowed, ""};
    query_each(r, check_one, &c);
    if (!c.bad[0])
        return true;
    errlist e;
    errlist_init(&e);
    errlist_add(&e, c.bad, "is not a known query parameter");
    http_reply_problem(r, 400, "validation", "the query has an unknown parameter", &e);
    return false;
}

void http_cursor_encode(int64_t id, char out[32])
{
    /* Opaque to clients, so the order key can change without breaking them. */
    char raw[24];
    int n = snprintf(raw, sizeof(raw), "m%lld", (long long)id);
    sodium_bin2base64(out, 32, (const unsigned char *)raw, n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

json_t *http_page_next(json_t *items, int limit)
{
    if ((int)json_array_size(items) <= limit)
        return json_null();
    json_array_remove(items, limit);
    char cursor[32];
    http_cursor_encode(json_integer_value(json_object_get(json_array_get(items, limit - 1), "id")), cursor);
    return json_string(cursor);
}

void http_reply_page(http_request *r, int64_t after_id, int limit, http_page_fill fill, void *arg, const char *what)
{
    json_t *items = json_array();
    if (fill(r->thread->reader, after_id, limit + 1, items, arg) != STORE_OK) {
        json_decref(items);
        char detail[160];
        snprintf(detail, sizeof(detail), "%s could not be read", what);
        http_reply_problem(r, 500, "internal", detail, NULL);
        return;
    }
    json_t *next = http_page_next(items, limit);
    http_reply_json(r, 200, json_pack("{s:o, s:o}", "items", items, "next_cursor", next));
}

void http_reply_list(http_request *r, http_page_fill fill, void *arg, const char *what)
{
    static const char *const allowed[] = {"limit", "cursor", NULL};
    int limit;
    int64_t after_id = 0;
    if (!http_query_only(r, allowed) || !http_page_params(r, &limit, &after_id))
        return;
    http_reply_page(r, after_id, limit, fill, arg, what);
}

static bool cursor_decode(const char *s, int64_t *id)
{
    unsigned char raw[24];
    size_t n;
    if (sodium_base642bin(raw, sizeof(raw) - 1, s, strlen(s), NULL, &n, NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
        n < 2 || raw[0] != 'm')
        return false;
    raw[n] = '\0';
    char *end;
    long long v = strtoll((const char *)raw + 1, &end, 10);
    if (*end != '\0' || v < 0)
        return false;
    *id = v;
    return true;
}

bool http_page_params(http_request *r, int *limit, int64_t *after_id)
{
    char buf[HTTP_QUERY_VALUE_MAX];
    errlist e;
    errlist_init(&e);
    *limit = HTTP_PAGE_LIMIT_DEFAULT;
    *after_id = 0;
    if (http_query(r, "limit", buf, sizeof(buf), &e)) {
        char *end;
        long v = strtol(buf, &end, 10);
        if (!buf[0] || *end || v < 1 || v > HTTP_PAGE_LIMIT_MAX)
            errlist_add(&e, "limit", "must be a whole number from 1 to %d", HTTP_PAGE_LIMIT_MAX);
        else
            *limit = (int)v;
    }
    if (http_query(r, "cursor", buf, sizeof(buf), &e) && buf[0] && !cursor_decode(buf, after_id))
        errlist_add(&e, "cursor", "is not a cursor this server gave out");
    if (e.count == 0)
        return true;
    http_reply_problem(r, 400, "validation", "the query has invalid values", &e);
    return false;
}

void http_apply_text(const http_text_field *f, json_t *v, char *out, errlist *e)
{
    if (json_is_null(v) && !f->required) {
        out[0] = '\0';
        return;
    }
    if (!json_is_string(v)) {
        errlist_add(e, f->name, f->required ? "must be a string" : "must be a string or null");
        return;
    }
    const char *s = json_string_value(v);
    size_t len = json_string_length(v);
    char buf[STORE_TEXT_MAX + 1];
    int n = f->one_line ? text_normalize_persian(s, len, buf, f->cap) : (len < f->cap ? (int)len : -1);
    if (n < 0 || memchr(s, '\0', len))
        errlist_add(e, f->name, "must be text of at most %zu bytes", f->cap - 1);
    else if (n == 0 && f->required)
        errlist_add(e, f->name, "must not be empty");
    else
        snprintf(out, f->cap, "%s", f->one_line ? buf : s);
}
