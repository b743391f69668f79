/* Staff users and API keys. */
#include "app/staff.h"

#include <stdio.h>
#include <string.h>

#include "core/timefmt.h"

void staff_check_username(const char *username, errlist *e)
{
    size_t n = strlen(username);
    bool ok = n >= 1 && n <= STORE_USERNAME_MAX;
    for (size_t i = 0; ok && i < n; i++) {
        char c = username[i];
        ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    }
    if (!ok)
        errlist_add(e, "username", "must be 1 to %d characters of a-z, 0-9, '.', '_' or '-'", STORE_USERNAME_MAX);
}

void staff_check_password(const char *password, errlist *e)
{
    size_t n = strlen(password);
    if (n < SECRET_PASSWORD_MIN || n > 1024)
        errlist_add(e, "password", "must be %d to 1024 characters", SECRET_PASSWORD_MIN);
}

json_t *staff_user_json(const store_user *u)
{
    char created[TIMEFMT_LEN], locked[TIMEFMT_LEN];
    timefmt_rfc3339(u->created_at, created);
    timefmt_rfc3339(u->locked_until, locked);
    return json_pack("{s:I, s:s, s:s, s:b, s:s, s:s?}", "id", (json_int_t)u->id, "username", u->username, "role",
                     roles_name(u->role), "disabled", u->disabled, "created_at", created, "locked_until",
                     u->locked_until ? locked : NULL);
}

json_t *staff_apikey_json(const store_apikey *k)
{
    char created[TIMEFMT_LEN], revoked[TIMEFMT_LEN];
    timefmt_rfc3339(k->created_at, created);
    timefmt_rfc3339(k->revoked_at, revoked);
    return json_pack("{s:I, s:s, s:s, s:s, s:s, s:s?}", "id", (json_int_t)k->id, "name", k->name, "role",
                     roles_name(k->role), "created_by", k->created_by, "created_at", created, "revoked_at",
                     k->revoked_at ? revoked : NULL);
}

int staff_user_add(store_tx *tx, const store_actor *actor, int64_t now, const char *username,
                   const char *password_hash, role r, store_user *out)
{
    memset(out, 0, sizeof(*out));
    snprintf(out->username, sizeof(out->username), "%s", username);
    snprintf(out->password_hash, sizeof(out->password_hash), "%s", password_hash);
    out->role = r;
    out->created_at = out->updated_at = now;
    int status = store_tx_user_insert(tx, out);
    if (status != STORE_OK)
        return status;
    return store_tx_audit(tx, actor, now, "user.create", "user", out->id, NULL, staff_user_json(out));
}

int staff_apikey_create(store_tx *tx, const store_actor *actor, int64_t now, const char *name, role r,
                        store_apikey *out, char key[SECRET_APIKEY_LEN])
{
    char token[SECRET_TOKEN_LEN];
    memset(out, 0, sizeof(*out));
    secret_token(token);
    secret_hash(token, strlen(token), out->secret_hash);
    snprintf(out->name, sizeof(out->name), "%s", name);
    snprintf(out->created_by, sizeof(out->created_by), "%s:%s", actor->kind, actor->name ? actor->name : "");
    out->role = r;
    out->created_at = now;
    int status = store_tx_apikey_insert(tx, out);
    if (status != STORE_OK)
        return status;
    secret_apikey_format(out->id, token, key);
    return store_tx_audit(tx, actor, now, "apikey.create", "apikey", out->id, NULL, staff_apikey_json(out));
}

int staff_apikey_revoke(store_tx *tx, const store_actor *actor, int64_t now, int64_t id)
{
    store_apikey before;
    int status = store_tx_apikey_get(tx, id, &before);
    if (status == STORE_OK)
        status = store_tx_apikey_revoke(tx, id, now);
    if (status != STORE_OK)
        return status;
    store_apikey after = before;
    after.revoked_at = now;
    return store_tx_audit(tx, actor, now, "apikey.revoke", "apikey", id, staff_apikey_json(&before),
                          staff_apikey_json(&after));
}
