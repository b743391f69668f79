/* Idempotency records: the first answer to a write that carried an Idempotency-Key (or a natural key),
 * stored in the same transaction as the write itself, so a replay after a crash still finds it. */
#include "store/internal.h"

#include <stdlib.h>
#include <string.h>

void store_idem_release(store_idem *i)
{
    free(i->location);
    free(i->body);
    i->location = i->body = NULL;
}

static char *dup_column(sqlite3_stmt *st, int i)
{
    const char *t = (const char *)sqlite3_column_text(st, i);
    return t ? strdup(t) : NULL;
}

int store_tx_idem_get(store_tx *tx, const char *principal, const char *key, store_idem *out)
{
    sqlite3_stmt *st = store_stmt(&tx->conn, STMT_IDEM_GET,
                                  "SELECT request_hash, status, location, body FROM idempotency WHERE principal = ? AND key = ?");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_text(st, 1, principal, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        memset(out, 0, sizeof(*out));
        if (sqlite3_column_bytes(st, 0) == 32)
            memcpy(out->request_hash, sqlite3_column_blob(st, 0), 32);
        out->status = sqlite3_column_int(st, 1);
        out->location = dup_column(st, 2);
        out->body = dup_column(st, 3);
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? STORE_OK : rc == SQLITE_DONE ? STORE_NOTFOUND : store_status_of(&tx->conn, rc, "idem get");
}

int store_tx_idem_put(store_tx *tx, const char *principal, const char *key, const store_idem *i, int64_t now)
{
    sqlite3_stmt *st = store_stmt(&tx->conn, STMT_IDEM_PUT,
                                  "INSERT INTO idempotency (principal, key, request_hash, status, location, body, created_at) "
                                  "VALUES (?,?,?,?,?,?,?)");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_text(st, 1, principal, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 3, i->request_hash, 32, SQLITE_STATIC);
    sqlite3_bind_int(st, 4, i->status);
    store_bind_text_or_null(st, 5, i->location);
    sqlite3_bind_text(st, 6, i->body ? i->body : "", -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 7, now);
    return store_step_reset(&tx->conn, st, "idem put");
}

int store_tx_idem_purge(store_tx *tx, int64_t before)
{
    sqlite3_stmt *st = store_stmt(&tx->conn, STMT_IDEM_PURGE, "DELETE FROM idempotency WHERE created_at < ?");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, before);
    return store_step_reset(&tx->conn, st, "idem purge");
}
