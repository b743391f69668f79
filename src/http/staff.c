/* /api/v1/users, /api/v1/apikeys and /api/v1/audit: the club's staff, its integrations' keys, and the log
 * of every staff write. Who may call each is in the route table; who may grant which role is roles_may_grant. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/staff.h"
#include "base/secret.h"
#include "http/http.h"

typedef struct staff_change {
    char username[STORE_USERNAME_MAX + 1];
    char name[129];
    char password_hash[SECRET_PASSWORD_HASH_LEN];
    char *password; /* to hash on the worker pool; wiped and freed once hashed */
    bool set_password, set_role, set_disabled, disabled, hash_failed;
    role role;
    int64_t id;
} staff_change;

static void forget_password(staff_change *c)
{
    if (c->password) {
        sodium_memzero(c->password, strlen(c->password));
        free(c->password);
        c->password = NULL;
    }
}

static void change_free(void *p)
{
    forget_password(p);
    free(p);
}

/* Worker thread: argon2id takes a fifth of a second; the loop must not wait for it. */
static void hash_password(void *arg)
{
    staff_change *c = arg;
    c->hash_failed = c->password && secret_password_hash(c->password, c->password_hash) != 0;
    forget_password(c);
}

/* Loop thread: once the password is hashed, queue the write. */
static void submit_after_hash(http_request *r, staff_change *c, http_write_fn fn)
{
    if (c->hash_failed) {
        change_free(c);
        http_reply_problem(r, 500, "internal", "the password could not be hashed", NULL);
        return;
    }
    http_write_submit(r, fn, c, change_free);
}


/* Reads the "role" field into *out. Returns false when the caller may not grant it (a 403, not a 400). */
static bool read_role(http_request *r, json_t *v, role *out, errlist *e)
{
    *out = json_is_string(v) ? roles_from_name(json_string_value(v)) : ROLE_NONE;
    if (*out == ROLE_NONE)
        errlist_add(e, "role", "must be one of owner, manager, marketer, cashier, analyst");
    return *out == ROLE_NONE || roles_may_grant(r->who.role, *out);
}

/* Replies to a body with errors (400) or a role above the caller's (403); true when it replied. */
static bool refuse(http_request *r, bool may_grant, const errlist *e)
{
    if (!may_grant) {
        errlist g;
        errlist_init(&g);
        errlist_add(&g, "role", "is above your own role");
        http_reply_problem(r, 403, "forbidden", "you may not grant a role above your own", &g);
        return true;
    }
    if (e->count == 0)
        return false;
    http_reply_problem(r, 400, "validation", "some fields are not valid", e);
    return true;
}

static void user_each(const store_user *u, void *items) { json_array_append_new(items, staff_user_json(u)); }

void http_user_list(http_request *r)
{
    json_t *items = json_array();
    store_user_each(r->thread->reader, user_each, items);
    http_reply_json(r, 200, json_pack("{s:o, s:n}", "items", items, "next_cursor"));
}

static int user_create_write(store_tx *tx, http_write *w)
{
    staff_change *c = w->arg;
    store_actor actor = http_actor(&w->who);
    store_user u;
    int status = staff_user_add(tx, &actor, w->now_ms, c->username, c->password_hash, c->role, &u);
    if (status == STORE_CONFLICT) {
        errlist e;
        errlist_init(&e);
        errlist_add(&e, "username", "is already taken");
        http_write_answer_problem(w, 409, "conflict", "a user with this username exists", &e);
    } else if (status == STORE_OK) {
        char location[64];
        snprintf(location, sizeof(location), "/api/v1/users/%lld", (long long)u.id);
        http_write_answer_json(w, 201, staff_user_json(&u), location);
    }
    return status;
}

static void submit_user_create(http_request *r, void *c) { submit_after_hash(r, c, user_create_write); }

void http_user_create(http_request *r)
{
    static const char *const fields[] = {"username", "password", "role", NULL};
    errlist e;
    json_t *body = http_body_fields(r, fields, &e);
    if (!body)
        return;
    staff_change *c = calloc(1, sizeof(*c));
    json_t *u = json_object_get(body, "username"), *p = json_object_get(body, "password");
    if (!json_is_string(u))
        errlist_add(&e, "username", "must be a string");
    else
        staff_check_username(json_string_value(u), &e);
    if (!json_is_string(p))
        errlist_add(&e, "password", "must be a string");
    else
        staff_check_password(json_string_value(p), &e);
    bool may = read_role(r, json_object_get(body, "role"), &c->role, &e);
    if (e.count == 0 && may) {
        snprintf(c->username, sizeof(c->username), "%s", json_string_value(u));
        c->password = strdup(json_string_value(p));
    }
    json_decref(body);
    if (refuse(r, may, &e)) {
        change_free(c);
        return;
    }
    http_offload(r, hash_password, submit_user_create, c, change_free);
}

static int user_update_write(store_tx *tx, http_write *w)
{
    staff_change *c = w->arg;
    store_user u;
    int status = store_tx_user_get(tx, c->id, &u);
    if (status != STORE_OK) {
        http_write_answer_problem(w, 404, "not-found", "there is no user with this id", NULL);
        return status;
    }
    json_t *before = staff_user_json(&u);
    if (c->set_password)
        snprintf(u.password_hash, sizeof(u.password_hash), "%s", c->password_hash);
    if (c->set_role)
        u.role = c->role;
    if (c->set_disabled)
        u.disabled = c->disabled;
    u.updated_at = w->now_ms;
    store_actor actor = http_actor(&w->who);
    status = store_tx_user_update(tx, &u);
    if (status == STORE_OK)
        status = store_tx_audit(tx, &actor, w->now_ms, c->set_password ? "user.update_password" : "user.update", "user",
                                u.id, before, staff_user_json(&u));
    else
        json_decref(before);
    http_write_answer_json(w, 200, staff_user_json(&u), NULL);
    return status;
}

static void submit_user_update(http_request *r, void *c) { submit_after_hash(r, c, user_update_write); }

void http_user_update(http_request *r)
{
    static const char *const fields[] = {"password", "role", "disabled", NULL};
    errlist e;
    json_t *body = http_body_fields(r, fields, &e);
    if (!body)
        return;
    staff_change *c = calloc(1, sizeof(*c));
    c->id = r->id;
    json_t *v;
    if ((v = json_object_get(body, "password")) != NULL) {
        c->set_password = true;
        if (!json_is_string(v))
            errlist_add(&e, "password", "must be a string");
        else
            staff_check_password(json_string_value(v), &e);
        if (e.count == 0)
            c->password = strdup(json_string_value(v));
    }
    bool may = true;
    if ((v = json_object_get(body, "role")) != NULL) {
        c->set_role = true;
        may = read_role(r, v, &c->role, &e);
    }
    if ((v = json_object_get(body, "disabled")) != NULL) {
        c->set_disabled = true;
        if (!json_is_boolean(v))
            errlist_add(&e, "disabled", "must be true or false");
        c->disabled = json_is_true(v);
    }
    json_decref(body);
    if (refuse(r, may, &e)) {
        change_free(c);
        return;
    }
    http_offload(r, hash_password, submit_user_update, c, change_free);
}

static void apikey_each(const store_apikey *k, void *items) { json_array_append_new(items, staff_apikey_json(k)); }

void http_apikey_list(http_request *r)
{
    json_t *items = json_array();
    store_apikey_each(r->thread->reader, apikey_each, items);
    http_reply_json(r, 200, json_pack("{s:o, s:n}", "items", items, "next_cursor"));
}

static int apikey_create_write(store_tx *tx, http_write *w)
{
    staff_change *c = w->arg;
    store_actor actor = http_actor(&w->who);
    store_apikey k;
    char key[SECRET_APIKEY_LEN];
    int status = staff_apikey_create(tx, &actor, w->now_ms, c->name, c->role, &k, key);
    if (status == STORE_OK) {
        json_t *doc = staff_apikey_json(&k);
        json_object_set_new(doc, "key", json_string(key));
        char location[64];
        snprintf(location, sizeof(location), "/api/v1/apikeys/%lld", (long long)k.id);
        http_write_answer_json(w, 201, doc, location);
    }
    return status;
}

void http_apikey_create(http_request *r)
{
    static const char *const fields[] = {"name", "role", NULL};
    errlist e;
    json_t *body = http_body_fields(r, fields, &e);
    if (!body)
        return;
    staff_change *c = calloc(1, sizeof(*c));
    json_t *n = json_object_get(body, "name");
    if (!json_is_string(n) || json_string_length(n) == 0 || json_string_length(n) >= sizeof(c->name))
        errlist_add(&e, "name", "must be a string of 1 to %zu bytes", sizeof(c->name) - 1);
    else
        snprintf(c->name, sizeof(c->name), "%s", json_string_value(n));
    bool may = read_role(r, json_object_get(body, "role"), &c->role, &e);
    json_decref(body);
    if (refuse(r, may, &e)) {
        free(c);
        return;
    }
    http_write_submit(r, apikey_create_write, c, free);
}

static int apikey_revoke_write(store_tx *tx, http_write *w)
{
    staff_change *c = w->arg;
    store_actor actor = http_actor(&w->who);
    int status = staff_apikey_revoke(tx, &actor, w->now_ms, c->id);
    if (status == STORE_NOTFOUND)
        http_write_answer_problem(w, 404, "not-found", "there is no active API key with this id", NULL);
    else
        w->status = 204;
    return status;
}

void http_apikey_revoke(http_request *r)
{
    staff_change *c = calloc(1, sizeof(*c));
    c->id = r->id;
    http_write_submit(r, apikey_revoke_write, c, free);
}

static int list_audit(store_reader *rd, int64_t after_id, int want, json_t *items, void *arg)
{
    return store_audit_list(rd, NULL, 0, after_id, want, items);
}

void http_audit_list(http_request *r)
{
    static const char *const allowed[] = {"limit", "cursor", NULL};
    int limit;
    int64_t after_id;
    if (!http_query_only(r, allowed) || !http_page_params(r, &limit, &after_id))
        return;
    http_reply_page(r, after_id, limit, list_audit, NULL, "the audit log");
}
