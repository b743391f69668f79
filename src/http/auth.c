/* Who is asking: an API key (Authorization: Bearer) or a staff session (cookie bashgah_session).
 * Cookie-authenticated writes must also carry the session's CSRF token in X-CSRF-Token. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "base/secret.h"
#include "http/http.h"

store_actor http_actor(const http_principal *who)
{
    store_actor a = {who->kind ? who->kind : "system", who->id, who->name};
    return a;
}

/* Each loop keeps the API keys it has checked, by id: what the api_keys row said (secret hash, role, name) and
 * the reader's store_reader_version when it was read. An entry is used only while that version is the current
 * one, i.e. while no commit at all has finished since the row was read, by this process or any other: so a
 * revoke (DELETE /apikeys/{id} here, `bashgah apikey revoke` in another process) refuses the key on the next
 * request exactly as a fresh lookup would. A revoked or unknown key is never kept. Under a load of reads nothing
 * commits and a request skips the lookup; under writes every entry ages at once and it is looked up again. */
#define KEY_CACHE_SLOTS 64

typedef struct key_entry {
    uint64_t version; /* 0: empty */
    int64_t id;
    uint8_t secret_hash[32];
    role role;
    char name[sizeof(((http_principal *)0)->name)];
    char key[sizeof(((http_principal *)0)->key)];
} key_entry;

static __thread key_entry key_cache[KEY_CACHE_SLOTS];

/* The entry for key id as the database holds it now; NULL when the key is unknown or revoked. */
static const key_entry *apikey_lookup(store_reader *reader, int64_t id)
{
    key_entry *e = &key_cache[(uint64_t)id % KEY_CACHE_SLOTS];
    uint64_t version = store_reader_version(reader);
    if (version != 0 && e->version == version && e->id == id)
        return e;
    store_apikey k;
    e->version = 0;
    if (store_apikey_get(reader, id, &k) != STORE_OK || k.revoked_at != 0)
        return NULL;
    e->id = id;
    memcpy(e->secret_hash, k.secret_hash, 32);
    e->role = k.role;
    snprintf(e->name, sizeof(e->name), "%s", k.name);
    snprintf(e->key, sizeof(e->key), "apikey:%lld", (long long)id);
    e->version = version;
    return e;
}

static int auth_apikey(http_request *r, const char *key, size_t len)
{
    int64_t id;
    const char *token;
    size_t token_len;
    uint8_t hash[32];
    if (!secret_apikey_parse(key, len, &id, &token, &token_len))
        return -1;
    const key_entry *e = apikey_lookup(r->thread->reader, id);
    if (!e)
        return -1;
    secret_hash(token, token_len, hash);
    if (sodium_memcmp(hash, e->secret_hash, 32) != 0)
        return -1;
    r->who.kind = "apikey";
    r->who.id = id;
    r->who.role = e->role;
    memcpy(r->who.name, e->name, sizeof(r->who.name));
    memcpy(r->who.key, e->key, sizeof(r->who.key));
    return 0;
}

/* Finds name=value in a Cookie header. */
static bool cookie_value(const char *h, size_t len, const char *name, const char **val, size_t *vlen)
{
    size_t nlen = strlen(name);
    const char *p = h, *end = h + len;
    while (p < end) {
        while (p < end && (*p == ' ' || *p == ';'))
            p++;
        const char *semi = memchr(p, ';', end - p);
        const char *stop = semi ? semi : end;
        if ((size_t)(stop - p) > nlen && memcmp(p, name, nlen) == 0 && p[nlen] == '=') {
            *val = p + nlen + 1;
            *vlen = stop - *val;
            return true;
        }
        p = stop;
    }
    return false;
}

static int auth_session(http_request *r, const char *token, size_t len)
{
    store_session s;
    store_user u;
    secret_hash(token, len, r->who.session_hash);
    if (store_session_get(r->thread->reader, r->who.session_hash, r->now_ms, &s, &u) != STORE_OK || u.disabled)
        return -1;
    r->who.kind = "user";
    r->who.id = u.id;
    r->who.role = u.role;
    r->who.via_cookie = true;
    snprintf(r->who.name, sizeof(r->who.name), "%s", u.username);
    snprintf(r->who.csrf_token, sizeof(r->who.csrf_token), "%s", s.csrf_token);
    snprintf(r->who.key, sizeof(r->who.key), "user:%lld", (long long)u.id);
    return 0;
}

int http_authenticate(http_request *r)
{
    size_t len;
    const char *h = http_header(r, H2O_TOKEN_AUTHORIZATION, &len);
    if (h) {
        if (len > 7 && strncasecmp(h, "Bearer ", 7) == 0 && auth_apikey(r, h + 7, len - 7) == 0)
            return 0;
        http_reply_problem(r, 401, "unauthenticated", "the API key is not valid (or was revoked)", NULL);
        return -1;
    }
    const char *val;
    size_t vlen;
    ssize_t cursor = -1;
    while ((cursor = h2o_find_header(&r->req->headers, H2O_TOKEN_COOKIE, cursor)) >= 0) {
        h2o_iovec_t c = r->req->headers.entries[cursor].value;
        if (cookie_value(c.base, c.len, "bashgah_session", &val, &vlen) && auth_session(r, val, vlen) == 0)
            return 0;
    }
    http_reply_problem(r, 401, "unauthenticated", "sign in, or send an API key as Authorization: Bearer", NULL);
    return -1;
}

int http_check_csrf(http_request *r)
{
    if (!r->who.via_cookie)
        return 0;
    ssize_t i = h2o_find_header_by_str(&r->req->headers, H2O_STRLIT("x-csrf-token"), -1);
    if (i >= 0) {
        h2o_iovec_t v = r->req->headers.entries[i].value;
        size_t want = strlen(r->who.csrf_token);
        if (v.len == want && sodium_memcmp(v.base, r->who.csrf_token, want) == 0)
            return 0;
    }
    http_reply_problem(r, 403, "csrf", "a signed-in write must send the X-CSRF-Token header given at sign-in", NULL);
    return -1;
}
