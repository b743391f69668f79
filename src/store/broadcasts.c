/* News broadcasts: the broadcast row, its audience as member ids, and its report counted from its outbox
 * messages. Callers: http/broadcasts.c (the audience and the report on a loop thread's reader, the row and its
 * messages in one write job). */
#include "store/internal.h"

#include <stdlib.h>
#include <string.h>

void store_broadcast_release(store_broadcast *b)
{
    if (!b)
        return;
    free(b->audience);
    free(b->content);
    b->audience = b->content = NULL;
}

int store_tx_broadcast_insert(store_tx *tx, store_broadcast *b)
{
    sqlite3_stmt *st = store_stmt(&tx->conn, STMT_BROADCAST_INSERT,
                                  "INSERT INTO broadcasts (channel, audience, content, send_at, recipients, created_by, "
                                  "created_at) VALUES (?,?,?,?,?,?,?)");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_text(st, 1, b->channel, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, b->audience, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, b->content, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, b->send_at);
    sqlite3_bind_int64(st, 5, b->recipients);
    sqlite3_bind_text(st, 6, b->created_by, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 7, b->created_at);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc == SQLITE_DONE)
        b->id = sqlite3_last_insert_rowid(tx->conn.db);
    return store_status_of(&tx->conn, rc, "broadcast insert");
}

int store_tx_broadcast_recipients(store_tx *tx, int64_t id, int64_t recipients)
{
    sqlite3_stmt *st =
        store_stmt(&tx->conn, STMT_BROADCAST_RECIPIENTS, "UPDATE broadcasts SET recipients = ? WHERE id = ?");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, recipients);
    sqlite3_bind_int64(st, 2, id);
    return store_step_reset(&tx->conn, st, "broadcast recipients");
}

static char *column_dup(sqlite3_stmt *st, int i)
{
    const char *t = (const char *)sqlite3_column_text(st, i);
    char *copy = strdup(t ? t : "{}");
    if (!copy)
        abort(); /* out of memory */
    return copy;
}

int store_broadcast_get(store_reader *r, int64_t id, store_broadcast *out)
{
    sqlite3_stmt *st = store_stmt(&r->conn, STMT_BROADCAST_GET,
                                  "SELECT channel, audience, content, send_at, recipients, created_by, created_at "
                                  "FROM broadcasts WHERE id = ?");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        memset(out, 0, sizeof(*out));
        out->id = id;
        store_column_text(st, 0, out->channel, sizeof(out->channel));
        out->audience = column_dup(st, 1);
        out->content = column_dup(st, 2);
        out->send_at = sqlite3_column_int64(st, 3);
        out->recipients = sqlite3_column_int64(st, 4);
        store_column_text(st, 5, out->created_by, sizeof(out->created_by));
        out->created_at = sqlite3_column_int64(st, 6);
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? STORE_OK : rc == SQLITE_DONE ? STORE_NOTFOUND : store_status_of(&r->conn, rc, "broadcast get");
}

int store_broadcast_counts(store_reader *r, int64_t id,
                           void (*cb)(const char *status, const char *reason, int64_t n, void *arg), void *arg)
{
    sqlite3_stmt *st = store_stmt(&r->conn, STMT_BROADCAST_COUNTS,
                                  "SELECT status, reason, count(*) FROM message_outbox "
                                  "WHERE kind = 'broadcast' AND ref_id = ? GROUP BY status, reason");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, id);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        cb((const char *)sqlite3_column_text(st, 0), (const char *)sqlite3_column_text(st, 1),
           sqlite3_column_int64(st, 2), arg);
    sqlite3_reset(st);
    return store_status_of(&r->conn, rc, "broadcast counts");
}

/* A class's members walk the members' aggregates (member_stats) by id. */
int store_audience_member_ids(store_reader *r, const char *cls, int64_t after_id, int limit, int64_t *ids, int *n)
{
    *n = 0;
    sqlite3_stmt *st =
        cls ? store_stmt(&r->conn, STMT_AUDIENCE_CLASS,
                         "SELECT member_id FROM member_stats WHERE class = ? AND erased_at IS NULL AND member_id > ? "
                         "ORDER BY member_id LIMIT ?")
            : store_stmt(&r->conn, STMT_AUDIENCE_ALL,
                         "SELECT id FROM members WHERE erased_at IS NULL AND id > ? ORDER BY id LIMIT ?");
    if (!st)
        return STORE_ERROR;
    int i = 1;
    if (cls)
        sqlite3_bind_text(st, i++, cls, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, i++, after_id);
    sqlite3_bind_int(st, i, limit);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && *n < limit)
        ids[(*n)++] = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return store_status_of(&r->conn, rc == SQLITE_ROW ? SQLITE_DONE : rc, "audience ids");
}
