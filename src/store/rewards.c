/* Rewards and redemptions in SQLite: the reward catalogue with its stock, and each member's redemptions.
 * (member_id, idempotency_key) is unique: a redemption happens once per key. The stock column is NULL for an
 * unlimited reward and never goes below zero (the take is a guarded UPDATE). Caller: src/http/rewards.c. */
#include "store/internal.h"

#include <stdlib.h>
#include <string.h>

#define REWARD_COLUMNS                                                                                              \
    "id, name_en, name_fa, description_en, description_fa, kind, cost_points, cost_minor, stock, "                \
    "per_member_limit, valid_from, valid_until, tiers, active, created_at, updated_at"
#define REDEMPTION_COLUMNS                                                                                          \
    "id, member_id, reward_id, points, status, code, idempotency_key, request_hash, created_at, updated_at"

/* Reads an optional integer column: *has says whether it held a value. */
static int64_t optional_int(sqlite3_stmt *st, int i, bool *has)
{
    *has = sqlite3_column_type(st, i) != SQLITE_NULL;
    return *has ? sqlite3_column_int64(st, i) : 0;
}

/* The tiers column: a JSON array of tier ids, or NULL for every tier. */
static void tiers_from_column(sqlite3_stmt *st, int i, store_reward *w)
{
    const char *text = (const char *)sqlite3_column_text(st, i);
    json_t *a = text ? json_loads(text, 0, NULL) : NULL;
    w->has_tiers = json_is_array(a);
    size_t k;
    json_t *v;
    json_array_foreach(a, k, v) {
        if (w->tier_count < STORE_REWARD_TIERS_MAX && json_is_integer(v))
            w->tiers[w->tier_count++] = json_integer_value(v);
    }
    json_decref(a);
}

static void reward_from_row(sqlite3_stmt *st, store_reward *w)
{
    memset(w, 0, sizeof(*w));
    w->id = sqlite3_column_int64(st, 0);
    store_column_text(st, 1, w->name_en, sizeof(w->name_en));
    store_column_text(st, 2, w->name_fa, sizeof(w->name_fa));
    store_column_text(st, 3, w->description_en, sizeof(w->description_en));
    store_column_text(st, 4, w->description_fa, sizeof(w->description_fa));
    store_column_text(st, 5, w->kind, sizeof(w->kind));
    w->cost_points = sqlite3_column_int64(st, 6);
    w->cost_minor = sqlite3_column_int64(st, 7);
    w->stock = optional_int(st, 8, &w->has_stock);
    w->per_member_limit = optional_int(st, 9, &w->has_limit);
    w->valid_from = optional_int(st, 10, &w->has_valid_from);
    w->valid_until = optional_int(st, 11, &w->has_valid_until);
    tiers_from_column(st, 12, w);
    w->active = sqlite3_column_int(st, 13) != 0;
    w->created_at = sqlite3_column_int64(st, 14);
    w->updated_at = sqlite3_column_int64(st, 15);
}

static int reward_get(store_conn *c, int64_t id, store_reward *out)
{
    sqlite3_stmt *st = store_stmt(c, STMT_REWARD_GET, "SELECT " REWARD_COLUMNS " FROM rewards WHERE id = ?");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        reward_from_row(st, out);
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? STORE_OK : rc == SQLITE_DONE ? STORE_NOTFOUND : store_status_of(c, rc, "reward get");
}

int store_reward_get(store_reader *r, int64_t id, store_reward *out) { return reward_get(&r->conn, id, out); }
int store_tx_reward_get(store_tx *tx, int64_t id, store_reward *out) { return reward_get(&tx->conn, id, out); }

int store_reward_list(store_reader *r, const store_reward_filter *f, void (*cb)(const store_reward *w, void *arg),
                      void *arg, int *count)
{
    sqlite3_stmt *st = store_stmt(&r->conn, STMT_REWARD_LIST,
                                  "SELECT " REWARD_COLUMNS " FROM rewards WHERE id > ?1 AND (?2 < 0 OR active = ?2) "
                                  "ORDER BY id LIMIT ?3");
    *count = 0;
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, f->after_id);
    sqlite3_bind_int(st, 2, f->active);
    sqlite3_bind_int(st, 3, f->limit);
    int rc;
    store_reward w;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        reward_from_row(st, &w);
        cb(&w, arg);
        (*count)++;
    }
    sqlite3_reset(st);
    return store_status_of(&r->conn, rc, "reward list");
}

static void bind_optional(sqlite3_stmt *st, int i, bool has, int64_t v)
{
    if (has)
        sqlite3_bind_int64(st, i, v);
    else
        sqlite3_bind_null(st, i);
}

/* Binds every column of REWARD_COLUMNS but id, from parameter 1; *tiers is the JSON text to free. */
static void bind_reward(sqlite3_stmt *st, const store_reward *w, char **tiers)
{
    sqlite3_bind_text(st, 1, w->name_en, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, w->name_fa, -1, SQLITE_STATIC);
    store_bind_text_or_null(st, 3, w->description_en);
    store_bind_text_or_null(st, 4, w->description_fa);
    sqlite3_bind_text(st, 5, w->kind, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, w->cost_points);
    sqlite3_bind_int64(st, 7, w->cost_minor);
    bind_optional(st, 8, w->has_stock, w->stock);
    bind_optional(st, 9, w->has_limit, w->per_member_limit);
    bind_optional(st, 10, w->has_valid_from, w->valid_from);
    bind_optional(st, 11, w->has_valid_until, w->valid_until);
    *tiers = NULL;
    if (w->has_tiers) {
        json_t *a = json_array();
        for (int i = 0; i < w->tier_count; i++)
            json_array_append_new(a, json_integer(w->tiers[i]));
        *tiers = json_dumps(a, JSON_COMPACT);
        json_decref(a);
        sqlite3_bind_text(st, 12, *tiers ? *tiers : "[]", -1, SQLITE_STATIC);
    }
    sqlite3_bind_int(st, 13, w->active);
    sqlite3_bind_int64(st, 14, w->created_at);
    sqlite3_bind_int64(st, 15, w->updated_at);
}

static int reward_write(store_tx *tx, sqlite3_stmt *st, const store_reward *w, const char *what)
{
    if (!st)
        return STORE_ERROR;
    char *tiers;
    bind_reward(st, w, &tiers);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    free(tiers);
    return store_status_of(&tx->conn, rc, what);
}

int store_tx_reward_insert(store_tx *tx, store_reward *w)
{
    sqlite3_stmt *st = store_stmt(&tx->conn, STMT_REWARD_INSERT,
                                  "INSERT INTO rewards (name_en, name_fa, description_en, description_fa, kind, "
                                  "cost_points, cost_minor, stock, per_member_limit, valid_from, valid_until, tiers, "
                                  "active, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    int status = reward_write(tx, st, w, "reward insert");
    if (status == STORE_OK)
        w->id = sqlite3_last_insert_rowid(tx->conn.db);
    return status;
}

int store_tx_reward_update(store_tx *tx, const store_reward *w)
{
    sqlite3_stmt *st = store_stmt(&tx->conn, STMT_REWARD_UPDATE,
                                  "UPDATE rewards SET name_en=?1, name_fa=?2, description_en=?3, description_fa=?4, "
                                  "kind=?5, cost_points=?6, cost_minor=?7, stock=?8, per_member_limit=?9, "
                                  "valid_from=?10, valid_until=?11, tiers=?12, active=?13, created_at=?14, "
                                  "updated_at=?15 WHERE id=?16");
    if (st)
        sqlite3_bind_int64(st, 16, w->id);
    int status = reward_write(tx, st, w, "reward update");
    if (status == STORE_OK && sqlite3_changes(tx->conn.db) == 0)
        return STORE_NOTFOUND;
    return status;
}

/* Runs one of the stock UPDATEs; *changed says whether it touched a row. */
static int stock_move(store_tx *tx, int idx, const char *sql, int64_t reward_id, int64_t now, bool *changed)
{
    sqlite3_stmt *st = store_stmt(&tx->conn, idx, sql);
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, reward_id);
    sqlite3_bind_int64(st, 2, now);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    *changed = sqlite3_changes(tx->conn.db) > 0;
    return store_status_of(&tx->conn, rc, "reward stock");
}

int store_tx_reward_stock_take(store_tx *tx, int64_t reward_id, int64_t now)
{
    bool changed;
    int status = stock_move(tx, STMT_REWARD_STOCK_TAKE,
                            "UPDATE rewards SET stock = stock - 1, updated_at = ?2 WHERE id = ?1 AND stock > 0",
                            reward_id, now, &changed);
    if (status != STORE_OK || changed)
        return status;
    store_reward w;
    status = store_tx_reward_get(tx, reward_id, &w);
    if (status != STORE_OK)
        return status;
    return w.has_stock ? STORE_INVALID : STORE_OK;
}

int store_tx_reward_stock_return(store_tx *tx, int64_t reward_id, int64_t now)
{
    bool changed;
    return stock_move(tx, STMT_REWARD_STOCK_RETURN,
                      "UPDATE rewards SET stock = stock + 1, updated_at = ?2 WHERE id = ?1 AND stock IS NOT NULL",
                      reward_id, now, &changed);
}

static void redemption_from_row(sqlite3_stmt *st, store_redemption *d)
{
    memset(d, 0, sizeof(*d));
    d->id = sqlite3_column_int64(st, 0);
    d->member_id = sqlite3_column_int64(st, 1);
    d->reward_id = sqlite3_column_int64(st, 2);
    d->points = sqlite3_column_int64(st, 3);
    store_column_text(st, 4, d->status, sizeof(d->status));
    store_column_text(st, 5, d->code, sizeof(d->code));
    store_column_text(st, 6, d->idempotency_key, sizeof(d->idempotency_key));
    if (sqlite3_column_bytes(st, 7) == 32)
        memcpy(d->request_hash, sqlite3_column_blob(st, 7), 32);
    d->created_at = sqlite3_column_int64(st, 8);
    d->updated_at = sqlite3_column_int64(st, 9);
}

static int one_redemption(store_conn *c, sqlite3_stmt *st, store_redemption *out)
{
    if (!st)
        return STORE_ERROR;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        redemption_from_row(st, out);
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? STORE_OK : rc == SQLITE_DONE ? STORE_NOTFOUND : store_status_of(c, rc, "redemption");
}

static int redemption_get(store_conn *c, int64_t id, store_redemption *out)
{
    sqlite3_stmt *st =
        store_stmt(c, STMT_REDEMPTION_GET, "SELECT " REDEMPTION_COLUMNS " FROM redemptions WHERE id = ?");
    if (st)
        sqlite3_bind_int64(st, 1, id);
    return one_redemption(c, st, out);
}

int store_redemption_get(store_reader *r, int64_t id, store_redemption *out)
{
    return redemption_get(&r->conn, id, out);
}

int store_tx_redemption_get(store_tx *tx, int64_t id, store_redemption *out)
{
    return redemption_get(&tx->conn, id, out);
}

int store_tx_redemption_by_key(store_tx *tx, int64_t member_id, const char *key, store_redemption *out)
{
    sqlite3_stmt *st = store_stmt(&tx->conn, STMT_REDEMPTION_BY_KEY,
                                  "SELECT " REDEMPTION_COLUMNS " FROM redemptions "
                                  "WHERE member_id = ? AND idempotency_key = ?");
    if (st) {
        sqlite3_bind_int64(st, 1, member_id);
        sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
    }
    return one_redemption(&tx->conn, st, out);
}

int store_tx_redemption_insert(store_tx *tx, store_redemption *d)
{
    sqlite3_stmt *st = store_stmt(&tx->conn, STMT_REDEMPTION_INSERT,
                                  "INSERT INTO redemptions (member_id, reward_id, points, status, code, "
                                  "idempotency_key, request_hash, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?)");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, d->member_id);
    sqlite3_bind_int64(st, 2, d->reward_id);
    sqlite3_bind_int64(st, 3, d->points);
    sqlite3_bind_text(st, 4, d->status, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, d->code, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, d->idempotency_key, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 7, d->request_hash, 32, SQLITE_STATIC);
    sqlite3_bind_int64(st, 8, d->created_at);
    sqlite3_bind_int64(st, 9, d->updated_at);
    int status = store_step_reset(&tx->conn, st, "redemption insert");
    if (status == STORE_OK)
        d->id = sqlite3_last_insert_rowid(tx->conn.db);
    return status;
}

int store_tx_redemption_status(store_tx *tx, int64_t id, const char *status, int64_t now)
{
    sqlite3_stmt *st = store_stmt(&tx->conn, STMT_REDEMPTION_STATUS,
                                  "UPDATE redemptions SET status = ?, updated_at = ? WHERE id = ?");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_text(st, 1, status, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, now);
    sqlite3_bind_int64(st, 3, id);
    int s = store_step_reset(&tx->conn, st, "redemption status");
    return s == STORE_OK && sqlite3_changes(tx->conn.db) == 0 ? STORE_NOTFOUND : s;
}

int store_tx_redemption_count(store_tx *tx, int64_t member_id, int64_t reward_id, int64_t *count)
{
    sqlite3_stmt *st = store_stmt(&tx->conn, STMT_REDEMPTION_COUNT,
                                  "SELECT count(*) FROM redemptions WHERE reward_id = ? AND member_id = ? "
                                  "AND status <> 'cancelled'");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, reward_id);
    sqlite3_bind_int64(st, 2, member_id);
    int rc = sqlite3_step(st);
    *count = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    return store_status_of(&tx->conn, rc, "redemption count");
}

int store_member_redemptions(store_reader *r, int64_t member_id, int64_t after_id, int limit,
                             void (*cb)(const store_redemption *d, void *arg), void *arg, int *count)
{
    sqlite3_stmt *st = store_stmt(&r->conn, STMT_REDEMPTION_MEMBER,
                                  "SELECT " REDEMPTION_COLUMNS " FROM redemptions WHERE member_id = ? AND id > ? "
                                  "ORDER BY id LIMIT ?");
    *count = 0;
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, member_id);
    sqlite3_bind_int64(st, 2, after_id);
    sqlite3_bind_int(st, 3, limit);
    int rc;
    store_redemption d;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        redemption_from_row(st, &d);
        cb(&d, arg);
        (*count)++;
    }
    sqlite3_reset(st);
    return store_status_of(&r->conn, rc, "member redemptions");
}
