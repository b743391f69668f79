/* The member portal's storage: one-time sign-in codes (kept only as keyed hashes), member sessions (kept only as
 * token hashes) and the message outbox that carries each code to the member. Callers: app/portal.c on the writer
 * and http/portal.c on the loop threads. */
#include "store/internal.h"

#include <stdlib.h>
#include <string.h>

int store_tx_portal_code_live(store_tx *tx, int64_t member_id, int64_t now, int attempts_max, store_portal_code *out)
{
    sqlite3_stmt *st = store_stmt(&tx->conn, STMT_PORTAL_CODE_LIVE,
                                  "SELECT id, salt, code_hash, channel, created_at, expires_at, attempts FROM portal_codes "
                                  "WHERE member_id = ? AND used_at IS NULL AND expires_at > ? AND attempts < ? "
                                  "ORDER BY id DESC LIMIT 1");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, member_id);
    sqlite3_bind_int64(st, 2, now);
    sqlite3_bind_int(st, 3, attempts_max);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        memset(out, 0, sizeof(*out));
        out->id = sqlite3_column_int64(st, 0);
        out->member_id = member_id;
        if (sqlite3_column_bytes(st, 1) == STORE_PORTAL_SALT_LEN)
            memcpy(out->salt, sqlite3_column_blob(st, 1), STORE_PORTAL_SALT_LEN);
        if (sqlite3_column_bytes(st, 2) == 32)
            memcpy(out->code_hash, sqlite3_column_blob(st, 2), 32);
        store_column_text(st, 3, out->channel, sizeof(out->channel));
        out->created_at = sqlite3_column_int64(st, 4);
        out->expires_at = sqlite3_column_int64(st, 5);
        out->attempts = sqlite3_column_int(st, 6);
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? STORE_OK : rc == SQLITE_DONE ? STORE_NOTFOUND : store_status_of(&tx->conn, rc, "code live");
}

int store_tx_portal_codes_since(store_tx *tx, int64_t member_id, int64_t since, int *count)
{
    sqlite3_stmt *st = store_stmt(&tx->conn, STMT_PORTAL_CODES_SINCE,
                                  "SELECT count(*) FROM portal_codes WHERE member_id = ? AND created_at >= ?");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, member_id);
    sqlite3_bind_int64(st, 2, since);
    int rc = sqlite3_step(st);
    *count = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? STORE_OK : store_status_of(&tx->conn, rc, "codes since");
}

int store_tx_portal_code_insert(store_tx *tx, store_portal_code *c)
{
    sqlite3_stmt *st = store_stmt(&tx->conn, STMT_PORTAL_CODE_INSERT,
                                  "INSERT INTO portal_codes (member_id, salt, code_hash, channel, created_at, expires_at) "
                                  "VALUES (?,?,?,?,?,?)");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, c->member_id);
    sqlite3_bind_blob(st, 2, c->salt, STORE_PORTAL_SALT_LEN, SQLITE_STATIC);
    sqlite3_bind_blob(st, 3, c->code_hash, 32, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, c->channel, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, c->created_at);
    sqlite3_bind_int64(st, 6, c->expires_at);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc == SQLITE_DONE)
        c->id = sqlite3_last_insert_rowid(tx->conn.db);
    return store_status_of(&tx->conn, rc, "code insert");
}

/* Runs a one-row UPDATE of portal_codes: a change of nothing is a missing code. */
static int code_update(store_tx *tx, sqlite3_stmt *st, const char *what)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc == SQLITE_DONE && sqlite3_changes(tx->conn.db) == 0)
        return STORE_NOTFOUND;
    return store_status_of(&tx->conn, rc, what);
}

int store_tx_portal_code_tried(store_tx *tx, int64_t id)
{
    sqlite3_stmt *st =
        store_stmt(&tx->conn, STMT_PORTAL_CODE_TRIED, "UPDATE portal_codes SET attempts = attempts + 1 WHERE id = ?");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, id);
    return code_update(tx, st, "code tried");
}

int store_tx_portal_code_used(store_tx *tx, int64_t id, int64_t now)
{
    sqlite3_stmt *st = store_stmt(&tx->conn, STMT_PORTAL_CODE_USED, "UPDATE portal_codes SET used_at = ? WHERE id = ?");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, now);
    sqlite3_bind_int64(st, 2, id);
    return code_update(tx, st, "code used");
}

int store_portal_session_get(store_reader *r, const uint8_t token_hash[32], int64_t now, store_portal_session *out)
{
    sqlite3_stmt *st = store_stmt(&r->conn, STMT_PORTAL_SESSION_GET,
                                  "SELECT s.member_id, s.csrf_token, s.created_at, s.expires_at FROM portal_sessions s "
                                  "JOIN members m ON m.id = s.member_id "
                                  "WHERE s.token_hash = ? AND s.expires_at > ? AND m.erased_at IS NULL");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_blob(st, 1, token_hash, 32, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, now);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        memcpy(out->token_hash, token_hash, 32);
        out->member_id = sqlite3_column_int64(st, 0);
        store_column_text(st, 1, out->csrf_token, sizeof(out->csrf_token));
        out->created_at = sqlite3_column_int64(st, 2);
        out->expires_at = sqlite3_column_int64(st, 3);
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? STORE_OK
           : rc == SQLITE_DONE ? STORE_NOTFOUND
                               : store_status_of(&r->conn, rc, "portal session");
}

int store_tx_portal_session_insert(store_tx *tx, const store_portal_session *s)
{
    sqlite3_stmt *st = store_stmt(&tx->conn, STMT_PORTAL_SESSION_INSERT,
                                  "INSERT INTO portal_sessions (token_hash, member_id, csrf_token, created_at, expires_at) "
                                  "VALUES (?,?,?,?,?)");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_blob(st, 1, s->token_hash, 32, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, s->member_id);
    sqlite3_bind_text(st, 3, s->csrf_token, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, s->created_at);
    sqlite3_bind_int64(st, 5, s->expires_at);
    return store_step_reset(&tx->conn, st, "portal session insert");
}

int store_tx_portal_session_delete(store_tx *tx, const uint8_t token_hash[32])
{
    sqlite3_stmt *st =
        store_stmt(&tx->conn, STMT_PORTAL_SESSION_DELETE, "DELETE FROM portal_sessions WHERE token_hash = ?");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_blob(st, 1, token_hash, 32, SQLITE_STATIC);
    return store_step_reset(&tx->conn, st, "portal session delete");
}

int store_tx_message_void(store_tx *tx, const char *kind, int64_t member_id, int64_t now)
{
    sqlite3_stmt *st = store_stmt(&tx->conn, STMT_MESSAGE_VOID,
                                  "UPDATE message_outbox SET status = CASE status WHEN 'sent' THEN 'sent' ELSE 'void' END, data = '{}', subject = '', body_text = '', "
                                  "body_html = '', updated_at = ? "
                                  "WHERE member_id = ? AND kind = ? AND status IN ('queued', 'deferred', 'sent')");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, now);
    sqlite3_bind_int64(st, 2, member_id);
    sqlite3_bind_text(st, 3, kind, -1, SQLITE_STATIC);
    return store_step_reset(&tx->conn, st, "message void");
}

int store_message_pending(store_reader *r, const char *kind, int64_t member_id, int64_t now, json_t **data,
                          int64_t *not_after)
{
    sqlite3_stmt *st = store_stmt(&r->conn, STMT_MESSAGE_CODE_PENDING,
                                  "SELECT data, not_after FROM message_outbox WHERE member_id = ? AND kind = ? "
                                  "AND status IN ('queued', 'deferred', 'sent') AND (not_after IS NULL OR not_after > ?) "
                                  "ORDER BY id DESC LIMIT 1");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, member_id);
    sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, now);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const char *text = (const char *)sqlite3_column_text(st, 0);
        *data = text ? json_loads(text, 0, NULL) : NULL;
        if (!*data)
            *data = json_object();
        *not_after = sqlite3_column_int64(st, 1);
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? STORE_OK
           : rc == SQLITE_DONE ? STORE_NOTFOUND
                               : store_status_of(&r->conn, rc, "message pending");
}

int store_tx_portal_purge(store_tx *tx, int64_t before, int64_t now)
{
    sqlite3_stmt *st = store_stmt(&tx->conn, STMT_PORTAL_CODES_PURGE, "DELETE FROM portal_codes WHERE expires_at < ?");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, before);
    int status = store_step_reset(&tx->conn, st, "portal codes purge");
    if (status != STORE_OK)
        return status;
    st = store_stmt(&tx->conn, STMT_PORTAL_SESSIONS_PURGE, "DELETE FROM portal_sessions WHERE expires_at < ?");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, now);
    return store_step_reset(&tx->conn, st, "portal sessions purge");
}
