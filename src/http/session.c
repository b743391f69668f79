/* Staff sign-in: login (argon2id check, lock-out after repeated failures, a session cookie and a CSRF token),
 * logout, and "who am I". */
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/secret.h"
#include "http/http.h"

#define SESSION_TTL_MS (12LL * 3600 * 1000)
#define LOGIN_FAILURES_MAX 10
#define LOGIN_WINDOW_MS (15LL * 60 * 1000)
#define LOGIN_LOCK_MS (15LL * 60 * 1000)

typedef struct login {
    int64_t user_id; /* 0: no such user (the check still runs, against a dummy hash) */
    char password_hash[SECRET_PASSWORD_HASH_LEN];
    char *password; /* wiped and freed after the check */
    bool password_ok;
    char token[SECRET_TOKEN_LEN];
    char csrf[SECRET_TOKEN_LEN];
    json_t *user; /* the answer's user object */
} login;

static int login_write(store_tx *tx, http_write *w);

static void login_forget_password(login *l)
{
    if (l->password) {
        sodium_memzero(l->password, strlen(l->password));
        free(l->password);
        l->password = NULL;
    }
}

static void login_free(void *p)
{
    login *l = p;
    login_forget_password(l);
    json_decref(l->user);
    free(l);
}

/* A hash to check unknown usernames against, so timing does not tell which usernames exist. */
static char dummy_hash[SECRET_PASSWORD_HASH_LEN];
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;
static void make_dummy_hash(void)
{
    if (secret_password_hash("no user has this password", dummy_hash) != 0)
        dummy_hash[0] = '\0';
}

/* Worker thread: the argon2id check. */
static void login_check(void *arg)
{
    login *l = arg;
    pthread_once(&dummy_once, make_dummy_hash);
    bool ok = secret_password_verify(l->user_id ? l->password_hash : dummy_hash, l->password);
    l->password_ok = ok && l->user_id != 0;
    login_forget_password(l);
}

/* Loop thread: record the outcome (a failure counts towards the lock; a success opens a session). */
static void login_checked(http_request *r, void *arg)
{
    login *l = arg;
    if (l->user_id == 0) {
        login_free(l);
        http_reply_problem(r, 401, "unauthenticated", "the username or password is wrong", NULL);
        return;
    }
    http_write_submit(r, login_write, l, login_free);
}

static int login_write(store_tx *tx, http_write *w)
{
    login *l = w->arg;
    store_user u;
    if (store_tx_user_get(tx, l->user_id, &u) != STORE_OK)
        return STORE_ERROR;
    if (!l->password_ok) {
        int recent = 0;
        if (store_tx_login_failed(tx, u.id, w->now_ms, LOGIN_WINDOW_MS, &recent) != STORE_OK)
            return STORE_ERROR;
        if (recent >= LOGIN_FAILURES_MAX) {
            u.locked_until = w->now_ms + LOGIN_LOCK_MS;
            u.updated_at = w->now_ms;
            store_actor system = {"system", 0, "bashgah"};
            if (store_tx_user_update(tx, &u) != STORE_OK ||
                store_tx_audit(tx, &system, w->now_ms, "user.locked", "user", u.id, NULL,
                               json_pack("{s:i}", "failed_logins", recent)) != STORE_OK)
                return STORE_ERROR;
        }
        http_write_answer_problem(w, 401, "unauthenticated", "the username or password is wrong", NULL);
        return STORE_OK; /* keep the failure on record */
    }
    store_session s = {.user_id = u.id, .created_at = w->now_ms, .expires_at = w->now_ms + SESSION_TTL_MS};
    secret_hash(l->token, strlen(l->token), s.token_hash);
    snprintf(s.csrf_token, sizeof(s.csrf_token), "%s", l->csrf);
    if (store_tx_login_succeeded(tx, u.id) != STORE_OK || store_tx_session_insert(tx, &s) != STORE_OK)
        return STORE_ERROR;
    char cookie[256];
    snprintf(cookie, sizeof(cookie), "bashgah_session=%s; Path=/; Max-Age=%lld; HttpOnly; SameSite=Strict%s", l->token,
             SESSION_TTL_MS / 1000, http_config.secure_cookies ? "; Secure" : "");
    w->set_cookie = strdup(cookie);
    http_write_answer_json(w, 200, json_pack("{s:O, s:s}", "user", l->user, "csrf_token", l->csrf), NULL);
    return STORE_OK;
}

/* Reads {"username", "password"}; replies 400 and returns false when they are not two strings. */
static bool login_fields(http_request *r, json_t *body, const char **username, const char **password)
{
    static const char *const fields[] = {"username", "password", NULL};
    errlist e;
    errlist_init(&e);
    errlist_only_fields(&e, body, fields);
    json_t *u = json_object_get(body, "username"), *p = json_object_get(body, "password");
    if (!json_is_string(u) || json_string_length(u) == 0 || json_string_length(u) > STORE_USERNAME_MAX)
        errlist_add(&e, "username", "must be a string of 1 to %d characters", STORE_USERNAME_MAX);
    if (!json_is_string(p) || json_string_length(p) == 0 || json_string_length(p) > 1024)
        errlist_add(&e, "password", "must be a string of 1 to 1024 characters");
    if (e.count) {
        http_reply_problem(r, 400, "validation", "sign-in needs a username and a password", &e);
        return false;
    }
    *username = json_string_value(u);
    *password = json_string_value(p);
    return true;
}

void http_login(http_request *r)
{
    json_t *body = http_body_json(r);
    const char *username, *password;
    if (!body)
        return;
    if (!login_fields(r, body, &username, &password)) {
        json_decref(body);
        return;
    }
    store_user u;
    int found = store_user_by_name(r->thread->reader, username, &u);
    if (found == STORE_OK && !u.disabled && u.locked_until > r->now_ms) {
        char secs[24];
        int n = snprintf(secs, sizeof(secs), "%lld", (long long)((u.locked_until - r->now_ms + 999) / 1000));
        h2o_iovec_t v = h2o_strdup(&r->req->pool, secs, n);
        h2o_add_header(&r->req->pool, &r->req->res.headers, H2O_TOKEN_RETRY_AFTER, NULL, v.base, v.len);
        json_decref(body);
        http_reply_problem(r, 429, "locked", "too many failed sign-ins: this account is locked for a while", NULL);
        return;
    }
    login *l = calloc(1, sizeof(*l));
    l->password = strdup(password);
    if (found == STORE_OK && !u.disabled) {
        l->user_id = u.id;
        memcpy(l->password_hash, u.password_hash, sizeof(l->password_hash));
        l->user = json_pack("{s:I, s:s, s:s}", "id", (json_int_t)u.id, "username", u.username, "role",
                            roles_name(u.role));
    }
    secret_token(l->token);
    secret_token(l->csrf);
    json_decref(body);
    http_offload(r, login_check, login_checked, l, login_free);
}

static int logout_write(store_tx *tx, http_write *w)
{
    if (w->who.via_cookie && store_tx_session_delete(tx, w->who.session_hash) != STORE_OK)
        return STORE_ERROR;
    w->status = 204;
    w->set_cookie = strdup("bashgah_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict");
    return STORE_OK;
}

void http_logout(http_request *r) { http_write_submit(r, logout_write, NULL, NULL); }

void http_me(http_request *r)
{
    http_reply_json(r, 200, json_pack("{s:s, s:I, s:s, s:s}", "kind", r->who.kind, "id", (json_int_t)r->who.id, "name",
                                      r->who.name, "role", roles_name(r->who.role)));
}
