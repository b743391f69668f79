/* Staff users, their sessions and failed logins, and API keys. Secrets are never stored: passwords as
 * argon2id strings, session tokens and API key secrets as 32-byte BLAKE2b hashes. */
#include "store/internal.h"

#include <string.h>

#define USER_COLUMNS "id, username, password_hash, role, disabled, locked_until, created_at, updated_at"

static void user_from_row(sqlite3_stmt *st, int first, store_user *u)
{
    memset(u, 0, sizeof(*u));
    u->id = sqlite3_column_int64(st, first);
    store_column_text(st, first + 1, u->username, sizeof(u->username));
    store_column_text(st, first + 2, u->password_hash, sizeof(u->password_hash));
    u->role = roles_from_name((const char *)sqlite3_column_text(st, first + 3));
    u->disabled = sqlite3_column_int(st, first + 4) != 0;
    u->locked_until = sqlite3_column_int64(st, first + 5);
    u->created_at = sqlite3_column_int64(st, first + 6);
    u->updated_at = sqlite3_column_int64(st, first + 7);
}

static int one_user(store_conn *c, sqlite3_stmt *st, store_user *out)
{
    if (!st)
        return STORE_ERROR;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        user_from_row(st, 0, out);
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? STORE_OK : rc == SQLITE_DONE ? STORE_NOTFOUND : store_status_of(c, rc, "user");
}

static int user_by_name(store_conn *c, const char *username, store_user *out)
{
    sqlite3_stmt *st = store_stmt(c, STMT_USER_BY_NAME, "SELECT " USER_COLUMNS " FROM users WHERE username = ?");
    if (st)
        sqlite3_bind_text(st, 1, username, -1, SQLITE_STATIC);
    return one_user(c, st, out);
}

int store_user_by_name(store_reader *r, const char *username, store_user *out)
{
    return user_by_name(&r->conn, username, out);
}

int store_tx_user_by_name(store_tx *tx, const char *username, store_user *out)
{
    return user_by_name(&tx->conn, username, out);
}

int store_tx_user_get(store_tx *tx, int64_t id, store_user *out)
{
    sqlite3_stmt *st = store_stmt(&tx->conn, STMT_USER_GET, "SELECT " USER_COLUMNS " FROM users WHERE id = ?");
    if (st)
        sqlite3_bind_int64(st, 1, id);
    return one_user(&tx->conn, st, out);
}

int store_user_count(store_reader *r, int64_t *count)
{
    sqlite3_stmt *st = store_stmt(&r->conn, STMT_USER_COUNT, "SELECT count(*) FROM users");
    if (!st || sqlite3_step(st) != SQLITE_ROW)
        return STORE_ERROR;
    *count = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return STORE_OK;
}

int store_user_each(store_reader *r, void (*cb)(const store_user *u, void *arg), void *arg)
{
    sqlite3_stmt *st = store_stmt(&r->conn, STMT_USER_ALL, "SELECT " USER_COLUMNS " FROM users ORDER BY id");
    if (!st)
        return STORE_ERROR;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        store_user u;
        user_from_row(st, 0, &u);
        cb(&u, arg);
    }
    sqlite3_reset(st);
    return store_status_of(&r->conn, rc, "user list");
}

int store_tx_user_insert(store_tx *tx, store_user *u)
{
    sqlite3_stmt *st = store_stmt(&tx->conn, STMT_USER_INSERT,
                                  "INSERT INTO users (username, password_hash, role, disabled, locked_until, "
                                  "created_at, updated_at) VALUES (?,?,?,?,?,?,?)");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_text(st, 1, u->username, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, u->password_hash, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, roles_name(u->role), -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 4, u->disabled);
    sqlite3_bind_int64(st, 5, u->locked_until);
    sqlite3_bind_int64(st, 6, u->created_at);
    sqlite3_bind_int64(st, 7, u->updated_at);
    int status = store_step_reset(&tx->conn, st, "user insert");
    if (status == STORE_OK)
        u->id = sqlite3_last_insert_rowid(tx->conn.db);
    return status;
}

int store_tx_user_update(store_tx *tx, const store_user *u)
{
    sqlite3_stmt *st = store_stmt(&tx->conn, STMT_USER_UPDATE,
                                  "UPDATE users SET password_hash=?, role=?, disabled=?, locked_until=?, "
                                  "updated_at=? WHERE id=?");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_text(st, 1, u->password_hash, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, roles_name(u->role), -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, u->disabled);
    sqlite3_bind_int64(st, 4, u->locked_until);
    sqlite3_bind_int64(st, 5, u->updated_at);
    sqlite3_bind_int64(st, 6, u->id);
    return store_step_reset(&tx->conn, st, "user update");
}

int store_tx_login_failed(store_tx *tx, int64_t user_id, int64_t now, int64_t window_ms, int *recent)
{
    sqlite3_stmt *st = store_stmt(&tx->conn, STMT_LOGIN_FAIL_INSERT, "INSERT INTO login_failures (user_id, at) VALUES (?,?)");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, user_id);
    sqlite3_bind_int64(st, 2, now);
    if (store_step_reset(&tx->conn, st, "login failure") != STORE_OK)
        return STORE_ERROR;
    st = store_stmt(&tx->conn, STMT_LOGIN_FAIL_COUNT, "SELECT count(*) FROM login_failures WHERE user_id = ? AND at > ?");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, user_id);
    sqlite3_bind_int64(st, 2, now - window_ms);
    int rc = sqlite3_step(st);
    *recent = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? STORE_OK : STORE_ERROR;
}

int store_tx_login_succeeded(store_tx *tx, int64_t user_id)
{
    sqlite3_stmt *st = store_stmt(&tx->conn, STMT_LOGIN_FAIL_CLEAR, "DELETE FROM login_failures WHERE user_id = ?");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, user_id);
    return store_step_reset(&tx->conn, st, "login success");
}

int store_session_get(store_reader *r, const uint8_t token_hash[32], int64_t now, store_session *s, store_user *u)
{
    sqlite3_stmt *st = store_stmt(&r->conn, STMT_SESSION_GET,
                                  "SELECT u.id, u.username, u.password_hash, u.role, u.disabled, u.locked_until, "
                                  "u.created_at, u.updated_at, s.csrf_token, s.created_at, s.expires_at FROM sessions s "
                                  "JOIN users u ON u.id = s.user_id WHERE s.token_hash = ? AND s.expires_at > ?");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_blob(st, 1, token_hash, 32, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, now);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        user_from_row(st, 0, u);
        memcpy(s->token_hash, token_hash, 32);
        s->user_id = u->id;
        store_column_text(st, 8, s->csrf_token, sizeof(s->csrf_token));
        s->created_at = sqlite3_column_int64(st, 9);
        s->expires_at = sqlite3_column_int64(st, 10);
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? STORE_OK : rc == SQLITE_DONE ? STORE_NOTFOUND : store_status_of(&r->conn, rc, "session");
}

int store_tx_session_insert(store_tx *tx, const store_session *s)
{
    sqlite3_stmt *st = store_stmt(&tx->conn, STMT_SESSION_INSERT,
                                  "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at) "
                                  "VALUES (?,?,?,?,?)");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_blob(st, 1, s->token_hash, 32, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, s->user_id);
    sqlite3_bind_text(st, 3, s->csrf_token, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, s->created_at);
    sqlite3_bind_int64(st, 5, s->expires_at);
    return store_step_reset(&tx->conn, st, "session insert");
}

int store_tx_session_delete(store_tx *tx, const uint8_t token_hash[32])
{
    sqlite3_stmt *st = store_stmt(&tx->conn, STMT_SESSION_DELETE, "DELETE FROM sessions WHERE token_hash = ?");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_blob(st, 1, token_hash, 32, SQLITE_STATIC);
    return store_step_reset(&tx->conn, st, "session delete");
}

#define APIKEY_COLUMNS "id, name, role, secret_hash, created_by, created_at, revoked_at"

static void apikey_from_row(sqlite3_stmt *st, store_apikey *k)
{
    memset(k, 0, sizeof(*k));
    k->id = sqlite3_column_int64(st, 0);
    store_column_text(st, 1, k->name, sizeof(k->name));
    k->role = roles_from_name((const char *)sqlite3_column_text(st, 2));
    if (sqlite3_column_bytes(st, 3) == 32)
        memcpy(k->secret_hash, sqlite3_column_blob(st, 3), 32);
    store_column_text(st, 4, k->created_by, sizeof(k->created_by));
    k->created_at = sqlite3_column_int64(st, 5);
    k->revoked_at = sqlite3_column_int64(st, 6);
}

static int apikey_get(store_conn *c, int64_t id, store_apikey *out)
{
    sqlite3_stmt *st = store_stmt(c, STMT_APIKEY_GET, "SELECT " APIKEY_COLUMNS " FROM api_keys WHERE id = ?");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        apikey_from_row(st, out);
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? STORE_OK : rc == SQLITE_DONE ? STORE_NOTFOUND : store_status_of(c, rc, "apikey");
}

int store_apikey_get(store_reader *r, int64_t id, store_apikey *out) { return apikey_get(&r->conn, id, out); }
int store_tx_apikey_get(store_tx *tx, int64_t id, store_apikey *out) { return apikey_get(&tx->conn, id, out); }

int store_apikey_each(store_reader *r, void (*cb)(const store_apikey *k, void *arg), void *arg)
{
    sqlite3_stmt *st = store_stmt(&r->conn, STMT_APIKEY_ALL, "SELECT " APIKEY_COLUMNS " FROM api_keys ORDER BY id");
    if (!st)
        return STORE_ERROR;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        store_apikey k;
        apikey_from_row(st, &k);
        cb(&k, arg);
    }
    sqlite3_reset(st);
    return store_status_of(&r->conn, rc, "apikey list");
}

int store_tx_apikey_insert(store_tx *tx, store_apikey *k)
{
    sqlite3_stmt *st = store_stmt(&tx->conn, STMT_APIKEY_INSERT,
                                  "INSERT INTO api_keys (name, role, secret_hash, created_by, created_at) VALUES (?,?,?,?,?)");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_text(st, 1, k->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, roles_name(k->role), -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 3, k->secret_hash, 32, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, k->created_by, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, k->created_at);
    int status = store_step_reset(&tx->conn, st, "apikey insert");
    if (status == STORE_OK)
        k->id = sqlite3_last_insert_rowid(tx->conn.db);
    return status;
}

int store_tx_apikey_revoke(store_tx *tx, int64_t id, int64_t now)
{
    sqlite3_stmt *st = store_stmt(&tx->conn, STMT_APIKEY_REVOKE,
                                  "UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, now);
    sqlite3_bind_int64(st, 2, id);
    int status = store_step_reset(&tx->conn, st, "apikey revoke");
    return status == STORE_OK && sqlite3_changes(tx->conn.db) == 0 ? STORE_NOTFOUND : status;
}
