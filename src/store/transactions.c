/* Purchases, returns and other earning events as recorded: each keeps its first answer, so a replay of the
 * same (store, txn_id) or (source, event_id) returns it unchanged. */
#include "store/internal.h"

#include <stdlib.h>
#include <string.h>

void store_txn_release(store_txn *t)
{
    free(t->items);
    free(t->explanation);
    free(t->response);
    t->items = t->explanation = t->response = NULL;
}

static char *dup_text(sqlite3_stmt *st, int i)
{
    const char *t = (const char *)sqlite3_column_text(st, i);
    return t ? strdup(t) : NULL;
}

#define TXN_COLUMNS                                                                                                \
    "id, store, txn_id, type, member_id, amount_minor, occurred_at, recorded_at, original_id, points, "           \
    "points_reversed, amount_returned_minor, request_hash, status, items, explanation, response"

static int txn_row(store_conn *c, sqlite3_stmt *st, store_txn *t)
{
    if (!st)
        return STORE_ERROR;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        memset(t, 0, sizeof(*t));
        t->id = sqlite3_column_int64(st, 0);
        store_column_text(st, 1, t->store, sizeof(t->store));
        store_column_text(st, 2, t->txn_id, sizeof(t->txn_id));
        store_column_text(st, 3, t->type, sizeof(t->type));
        t->member_id = sqlite3_column_int64(st, 4);
        t->amount_minor = sqlite3_column_int64(st, 5);
        t->occurred_at = sqlite3_column_int64(st, 6);
        t->recorded_at = sqlite3_column_int64(st, 7);
        t->original_id = sqlite3_column_int64(st, 8);
        t->points = sqlite3_column_int64(st, 9);
        t->points_reversed = sqlite3_column_int64(st, 10);
        t->amount_returned_minor = sqlite3_column_int64(st, 11);
        if (sqlite3_column_bytes(st, 12) == 32)
            memcpy(t->request_hash, sqlite3_column_blob(st, 12), 32);
        t->status = sqlite3_column_int(st, 13);
        t->items = dup_text(st, 14);
        t->explanation = dup_text(st, 15);
        t->response = dup_text(st, 16);
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? STORE_OK : rc == SQLITE_DONE ? STORE_NOTFOUND : store_status_of(c, rc, "transaction");
}

int store_tx_txn_by_key(store_tx *tx, const char *store, const char *txn_id, store_txn *out)
{
    sqlite3_stmt *st = store_stmt(&tx->conn, STMT_TXN_BY_KEY,
                                  "SELECT " TXN_COLUMNS " FROM transactions WHERE store = ? AND txn_id = ?");
    if (st) {
        sqlite3_bind_text(st, 1, store, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, txn_id, -1, SQLITE_STATIC);
    }
    return txn_row(&tx->conn, st, out);
}

static int txn_get(store_conn *c, int idx, int64_t id, store_txn *out)
{
    sqlite3_stmt *st = store_stmt(c, idx, "SELECT " TXN_COLUMNS " FROM transactions WHERE id = ?");
    if (st)
        sqlite3_bind_int64(st, 1, id);
    return txn_row(c, st, out);
}

int store_tx_txn_get(store_tx *tx, int64_t id, store_txn *out) { return txn_get(&tx->conn, STMT_TXN_GET, id, out); }
int store_txn_read(store_reader *r, int64_t id, store_txn *out) { return txn_get(&r->conn, STMT_TXN_READ, id, out); }

int store_tx_txn_insert(store_tx *tx, store_txn *t)
{
    sqlite3_stmt *st = store_stmt(&tx->conn, STMT_TXN_INSERT,
                                  "INSERT INTO transactions (store, txn_id, type, member_id, amount_minor, items, "
                                  "occurred_at, recorded_at, original_id, points, explanation, request_hash, status, "
                                  "response) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_text(st, 1, t->store, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, t->txn_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, t->type, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, t->member_id);
    sqlite3_bind_int64(st, 5, t->amount_minor);
    store_bind_text_or_null(st, 6, t->items);
    sqlite3_bind_int64(st, 7, t->occurred_at);
    sqlite3_bind_int64(st, 8, t->recorded_at);
    if (t->original_id)
        sqlite3_bind_int64(st, 9, t->original_id);
    sqlite3_bind_int64(st, 10, t->points);
    sqlite3_bind_text(st, 11, t->explanation ? t->explanation : "[]", -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 12, t->request_hash, 32, SQLITE_STATIC);
    sqlite3_bind_int(st, 13, t->status);
    sqlite3_bind_text(st, 14, t->response ? t->response : "", -1, SQLITE_STATIC);
    int status = store_step_reset(&tx->conn, st, "transaction insert");
    if (status == STORE_OK)
        t->id = sqlite3_last_insert_rowid(tx->conn.db);
    return status;
}

int store_tx_txn_returned(store_tx *tx, int64_t id, int64_t points, int64_t amount_minor)
{
    sqlite3_stmt *st = store_stmt(&tx->conn, STMT_TXN_RETURNED,
                                  "UPDATE transactions SET points_reversed = points_reversed + ?, "
                                  "amount_returned_minor = amount_returned_minor + ? WHERE id = ?");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, points);
    sqlite3_bind_int64(st, 2, amount_minor);
    sqlite3_bind_int64(st, 3, id);
    return store_step_reset(&tx->conn, st, "transaction returned");
}

int store_tx_txn_answer(store_tx *tx, int64_t id, int status, const char *response)
{
    sqlite3_stmt *st = store_stmt(&tx->conn, STMT_TXN_ANSWER, "UPDATE transactions SET status = ?, response = ? WHERE id = ?");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int(st, 1, status);
    sqlite3_bind_text(st, 2, response, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, id);
    return store_step_reset(&tx->conn, st, "transaction answer");
}

int store_tx_purchase_expired_open(store_tx *tx, int64_t purchase_id, int64_t *points)
{
    sqlite3_stmt *st = store_stmt(&tx->conn, STMT_TXN_EXPIRED_OPEN,
                                  "SELECT (SELECT coalesce(sum(p.points), 0) FROM postings p JOIN lots l ON l.id = p.lot_id "
                                  "WHERE l.transaction_id = ?1 AND p.kind = 'expire') - "
                                  "(SELECT coalesce(sum(p.points), 0) FROM postings p JOIN transactions t ON "
                                  "t.id = p.transaction_id WHERE t.original_id = ?1 AND p.from_account = 'club:expired')");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, purchase_id);
    int rc = sqlite3_step(st);
    *points = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? STORE_OK : store_status_of(&tx->conn, rc, "purchase expired");
}

int store_tx_purchase_count(store_tx *tx, int64_t member_id, int64_t *count)
{
    sqlite3_stmt *st = store_stmt(&tx->conn, STMT_PURCHASE_COUNT,
                                  "SELECT count(*) FROM transactions WHERE member_id = ? AND type = 'purchase'");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, member_id);
    int rc = sqlite3_step(st);
    *count = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? STORE_OK : store_status_of(&tx->conn, rc, "purchase count");
}

int store_tx_purchase_rule_granted(store_tx *tx, int64_t member_id, int64_t rule_id, int64_t from_ms, int64_t to_ms,
                                   int64_t *points)
{
    /* transactions_member (member_id, occurred_at) finds the member's purchases of the period; their explanations
     * are small JSON arrays of {rule_id, rule, points}. */
    sqlite3_stmt *st = store_stmt(&tx->conn, STMT_PURCHASE_RULE_GRANTED,
                                  "SELECT coalesce(sum(json_extract(g.value, '$.points')), 0) FROM transactions t, "
                                  "json_each(t.explanation) g WHERE t.member_id = ?1 AND t.occurred_at >= ?3 AND "
                                  "t.occurred_at < ?4 AND t.type = 'purchase' AND "
                                  "json_extract(g.value, '$.rule_id') = ?2");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, member_id);
    sqlite3_bind_int64(st, 2, rule_id);
    sqlite3_bind_int64(st, 3, from_ms);
    sqlite3_bind_int64(st, 4, to_ms);
    int rc = sqlite3_step(st);
    *points = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? STORE_OK : store_status_of(&tx->conn, rc, "purchase rule granted");
}

int store_tx_event_by_key(store_tx *tx, const char *source, const char *event_id, store_event *out)
{
    sqlite3_stmt *st = store_stmt(&tx->conn, STMT_EVENT_BY_KEY,
                                  "SELECT id, type, name, member_id, occurred_at, points, request_hash, explanation, "
                                  "response FROM events WHERE source = ? AND event_id = ?");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_text(st, 1, source, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, event_id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        memset(out, 0, sizeof(*out));
        out->id = sqlite3_column_int64(st, 0);
        store_column_text(st, 1, out->type, sizeof(out->type));
        store_column_text(st, 2, out->name, sizeof(out->name));
        out->member_id = sqlite3_column_int64(st, 3);
        out->occurred_at = sqlite3_column_int64(st, 4);
        out->points = sqlite3_column_int64(st, 5);
        if (sqlite3_column_bytes(st, 6) == 32)
            memcpy(out->request_hash, sqlite3_column_blob(st, 6), 32);
        out->explanation = dup_text(st, 7);
        out->response = dup_text(st, 8);
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? STORE_OK : rc == SQLITE_DONE ? STORE_NOTFOUND : store_status_of(&tx->conn, rc, "event");
}

int store_tx_event_insert(store_tx *tx, store_event *e)
{
    sqlite3_stmt *st = store_stmt(&tx->conn, STMT_EVENT_INSERT,
                                  "INSERT INTO events (source, event_id, type, name, member_id, occurred_at, points, "
                                  "explanation, request_hash, response) VALUES (?,?,?,?,?,?,?,?,?,?)");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_text(st, 1, e->source, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, e->event_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, e->type, -1, SQLITE_STATIC);
    store_bind_text_or_null(st, 4, e->name);
    sqlite3_bind_int64(st, 5, e->member_id);
    sqlite3_bind_int64(st, 6, e->occurred_at);
    sqlite3_bind_int64(st, 7, e->points);
    sqlite3_bind_text(st, 8, e->explanation ? e->explanation : "[]", -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 9, e->request_hash, 32, SQLITE_STATIC);
    sqlite3_bind_text(st, 10, e->response ? e->response : "", -1, SQLITE_STATIC);
    int status = store_step_reset(&tx->conn, st, "event insert");
    if (status == STORE_OK)
        e->id = sqlite3_last_insert_rowid(tx->conn.db);
    return status;
}
