/* Tiers in SQLite: the tier catalogue, each member's tier (members.tier_id, tier_since, tier_review_at), the log of
 * tier changes, and the activity that qualifies a member (postings for points, transactions for money spent).
 * Callers: src/app/tiers.c (qualification) and src/http/tiers.c (the catalogue). */
#include "store/internal.h"

#include <stdio.h>
#include <string.h>

#define TIER_COLUMNS                                                                                                \
    "id, name_en, name_fa, rank, basis, threshold, window_days, grace_days, multiplier_permille, benefits_en, "    \
    "benefits_fa, created_at, updated_at"
#define RULE_COLUMNS "id, rank, basis, threshold, window_days, grace_days, multiplier_permille"

/* Reads RULE_COLUMNS starting at column first. */
static void rule_from_row(sqlite3_stmt *st, int first, tier_rule *t)
{
    t->id = sqlite3_column_int64(st, first);
    t->rank = sqlite3_column_int64(st, first + 1);
    const char *basis = (const char *)sqlite3_column_text(st, first + 2);
    if (tier_basis_from_name(basis, &t->basis) != 0)
        t->basis = TIER_BASIS_POINTS;
    t->threshold = sqlite3_column_int64(st, first + 3);
    t->window_days = sqlite3_column_int64(st, first + 4);
    t->grace_days = sqlite3_column_int64(st, first + 5);
    t->multiplier_permille = sqlite3_column_int64(st, first + 6);
}

static void tier_from_row(sqlite3_stmt *st, store_tier *t)
{
    memset(t, 0, sizeof(*t));
    t->rule.id = sqlite3_column_int64(st, 0);
    store_column_text(st, 1, t->name_en, sizeof(t->name_en));
    store_column_text(st, 2, t->name_fa, sizeof(t->name_fa));
    t->rule.rank = sqlite3_column_int64(st, 3);
    if (tier_basis_from_name((const char *)sqlite3_column_text(st, 4), &t->rule.basis) != 0)
        t->rule.basis = TIER_BASIS_POINTS;
    t->rule.threshold = sqlite3_column_int64(st, 5);
    t->rule.window_days = sqlite3_column_int64(st, 6);
    t->rule.grace_days = sqlite3_column_int64(st, 7);
    t->rule.multiplier_permille = sqlite3_column_int64(st, 8);
    store_column_text(st, 9, t->benefits_en, sizeof(t->benefits_en));
    store_column_text(st, 10, t->benefits_fa, sizeof(t->benefits_fa));
    t->created_at = sqlite3_column_int64(st, 11);
    t->updated_at = sqlite3_column_int64(st, 12);
}

static int tier_rules(store_conn *c, tier_rule *out, int cap, int *n)
{
    sqlite3_stmt *st = store_stmt(c, STMT_TIER_RULES, "SELECT " RULE_COLUMNS " FROM tiers ORDER BY rank");
    *n = 0;
    if (!st)
        return STORE_ERROR;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && *n < cap)
        rule_from_row(st, 0, &out[(*n)++]);
    sqlite3_reset(st);
    return store_status_of(c, rc, "tier rules");
}

int store_tier_rules(store_reader *r, tier_rule *out, int cap, int *n) { return tier_rules(&r->conn, out, cap, n); }
/* Every tier, by rank, into the writer's cache (see cache.c) unless it holds them already. */
static int tiers_cached(store_tx *tx, const store_cache **out)
{
    store_cache *c = store_cache_of(tx);
    *out = c;
    if (c->tiers_gen == tx->gen)
        return STORE_OK;
    sqlite3_stmt *st = store_stmt(&tx->conn, STMT_TIER_ALL, "SELECT " TIER_COLUMNS " FROM tiers ORDER BY rank");
    c->ntiers = 0;
    c->tiers_gen = 0;
    if (!st)
        return STORE_ERROR;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && c->ntiers < STORE_TIERS_MAX)
        tier_from_row(st, &c->tiers[c->ntiers++]);
    sqlite3_reset(st);
    int status = store_status_of(&tx->conn, rc == SQLITE_ROW ? SQLITE_DONE : rc, "tier cache");
    if (status == STORE_OK)
        c->tiers_gen = tx->gen;
    return status;
}

int store_tx_tier_rules(store_tx *tx, tier_rule *out, int cap, int *n)
{
    const store_cache *c;
    int status = tiers_cached(tx, &c);
    *n = 0;
    for (int i = 0; status == STORE_OK && i < c->ntiers && *n < cap; i++)
        out[(*n)++] = c->tiers[i].rule;
    return status;
}

int store_tier_each(store_reader *r, void (*cb)(const store_tier *t, void *arg), void *arg)
{
    sqlite3_stmt *st = store_stmt(&r->conn, STMT_TIER_ALL, "SELECT " TIER_COLUMNS " FROM tiers ORDER BY rank");
    if (!st)
        return STORE_ERROR;
    int rc;
    store_tier t;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        tier_from_row(st, &t);
        cb(&t, arg);
    }
    sqlite3_reset(st);
    return store_status_of(&r->conn, rc, "tier list");
}

static int tier_get(store_conn *c, int64_t id, store_tier *out)
{
    sqlite3_stmt *st = store_stmt(c, STMT_TIER_GET, "SELECT " TIER_COLUMNS " FROM tiers WHERE id = ?");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        tier_from_row(st, out);
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? STORE_OK : rc == SQLITE_DONE ? STORE_NOTFOUND : store_status_of(c, rc, "tier get");
}

int store_tier_get(store_reader *r, int64_t id, store_tier *out) { return tier_get(&r->conn, id, out); }
int store_tx_tier_get(store_tx *tx, int64_t id, store_tier *out)
{
    const store_cache *c;
    int status = tiers_cached(tx, &c);
    if (status != STORE_OK)
        return status;
    for (int i = 0; i < c->ntiers; i++)
        if (c->tiers[i].rule.id == id) {
            *out = c->tiers[i];
            return STORE_OK;
        }
    return STORE_NOTFOUND;
}

int store_tx_tier_count(store_tx *tx, int64_t *count)
{
    sqlite3_stmt *st = store_stmt(&tx->conn, STMT_TIER_COUNT, "SELECT count(*) FROM tiers");
    if (!st || sqlite3_step(st) != SQLITE_ROW)
        return STORE_ERROR;
    *count = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return STORE_OK;
}

/* Binds every column of TIER_COLUMNS but id, from parameter 1. */
static void bind_tier(sqlite3_stmt *st, const store_tier *t)
{
    sqlite3_bind_text(st, 1, t->name_en, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, t->name_fa, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, t->rule.rank);
    sqlite3_bind_text(st, 4, tier_basis_name(t->rule.basis), -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, t->rule.threshold);
    sqlite3_bind_int64(st, 6, t->rule.window_days);
    sqlite3_bind_int64(st, 7, t->rule.grace_days);
    sqlite3_bind_int64(st, 8, t->rule.multiplier_permille);
    store_bind_text_or_null(st, 9, t->benefits_en);
    store_bind_text_or_null(st, 10, t->benefits_fa);
    sqlite3_bind_int64(st, 11, t->created_at);
    sqlite3_bind_int64(st, 12, t->updated_at);
}

int store_tx_tier_insert(store_tx *tx, store_tier *t)
{
    sqlite3_stmt *st = store_stmt(&tx->conn, STMT_TIER_INSERT,
                                  "INSERT INTO tiers (name_en, name_fa, rank, basis, threshold, window_days, "
                                  "grace_days, multiplier_permille, benefits_en, benefits_fa, created_at, updated_at) "
                                  "VALUES (?,?,?,?,?,?,?,?,?,?,?,?)");
    store_cache_forget(tx); /* the writer's cached tiers */
    if (st)
        bind_tier(st, t);
    int status = store_step_reset(&tx->conn, st, "tier insert");
    if (status == STORE_OK)
        t->rule.id = sqlite3_last_insert_rowid(tx->conn.db);
    return status;
}

int store_tx_tier_update(store_tx *tx, const store_tier *t)
{
    sqlite3_stmt *st = store_stmt(&tx->conn, STMT_TIER_UPDATE,
                                  "UPDATE tiers SET name_en=?1, name_fa=?2, rank=?3, basis=?4, threshold=?5, "
                                  "window_days=?6, grace_days=?7, multiplier_permille=?8, benefits_en=?9, "
                                  "benefits_fa=?10, created_at=?11, updated_at=?12 WHERE id=?13");
    store_cache_forget(tx); /* the writer's cached tiers */
    if (st) {
        bind_tier(st, t);
        sqlite3_bind_int64(st, 13, t->rule.id);
    }
    int status = store_step_reset(&tx->conn, st, "tier update");
    if (status == STORE_OK && sqlite3_changes(tx->conn.db) == 0)
        return STORE_NOTFOUND;
    return status;
}

static int member_tier(store_conn *c, int64_t member_id, store_member_tier *out)
{
    sqlite3_stmt *st = store_stmt(c, STMT_MEMBER_TIER_GET,
                                  "SELECT tier_id, tier_since, tier_review_at, erased_at IS NOT NULL FROM members "
                                  "WHERE id = ?");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, member_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        out->member_id = member_id;
        out->tier_id = sqlite3_column_int64(st, 0);
        out->since = sqlite3_column_int64(st, 1);
        out->review_at = sqlite3_column_int64(st, 2);
        out->erased = sqlite3_column_int(st, 3) != 0;
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? STORE_OK : rc == SQLITE_DONE ? STORE_NOTFOUND : store_status_of(c, rc, "member tier");
}

int store_member_tier_get(store_reader *r, int64_t member_id, store_member_tier *out)
{
    return member_tier(&r->conn, member_id, out);
}

int store_tx_member_tier_get(store_tx *tx, int64_t member_id, store_member_tier *out)
{
    return member_tier(&tx->conn, member_id, out);
}

static void bind_int64_or_null(sqlite3_stmt *st, int i, int64_t v)
{
    if (v)
        sqlite3_bind_int64(st, i, v);
    else
        sqlite3_bind_null(st, i);
}

int store_tx_member_tier_set(store_tx *tx, const store_member_tier *mt)
{
    sqlite3_stmt *st = store_stmt(&tx->conn, STMT_MEMBER_TIER_SET,
                                  "UPDATE members SET tier_id = ?, tier_since = ?, tier_review_at = ? WHERE id = ?");
    if (st) {
        bind_int64_or_null(st, 1, mt->tier_id);
        bind_int64_or_null(st, 2, mt->since);
        bind_int64_or_null(st, 3, mt->review_at);
        sqlite3_bind_int64(st, 4, mt->member_id);
    }
    int status = store_step_reset(&tx->conn, st, "member tier set");
    if (status == STORE_OK && sqlite3_changes(tx->conn.db) == 0)
        return STORE_NOTFOUND;
    return status;
}

int store_tx_tier_change_insert(store_tx *tx, int64_t member_id, int64_t from_tier, int64_t to_tier, int64_t at,
                                const char *reason)
{
    sqlite3_stmt *st = store_stmt(&tx->conn, STMT_TIER_CHANGE_INSERT,
                                  "INSERT INTO tier_changes (member_id, from_tier, to_tier, at, reason) "
                                  "VALUES (?,?,?,?,?)");
    if (st) {
        sqlite3_bind_int64(st, 1, member_id);
        bind_int64_or_null(st, 2, from_tier);
        bind_int64_or_null(st, 3, to_tier);
        sqlite3_bind_int64(st, 4, at);
        sqlite3_bind_text(st, 5, reason, -1, SQLITE_STATIC);
    }
    return store_step_reset(&tx->conn, st, "tier change insert");
}

/* Points earned, less points reversed by returns: the postings into and out of the member's own account. */
#define POINTS_ACTIVITY                                                                                             \
    "FROM postings WHERE member_id = ?1 AND at > ?2 AND ((kind = 'earn' AND to_account = ?3) OR "                \
    "(kind = 'return' AND from_account = ?3))"
#define POINTS_AMOUNT "CASE kind WHEN 'earn' THEN points ELSE -points END"
/* Money spent, less money returned, when it happened. */
#define SPEND_ACTIVITY "FROM transactions WHERE member_id = ?1 AND occurred_at > ?2"
#define SPEND_AMOUNT "CASE type WHEN 'return' THEN -amount_minor ELSE amount_minor END"

static sqlite3_stmt *activity_stmt(store_conn *c, int64_t member_id, tier_basis basis, int64_t after, bool each,
                                   char account[32])
{
    sqlite3_stmt *st;
    if (basis == TIER_BASIS_SPEND)
        st = each ? store_stmt(c, STMT_TIER_SPEND_EACH,
                               "SELECT occurred_at, " SPEND_AMOUNT " " SPEND_ACTIVITY " ORDER BY occurred_at, id")
                  : store_stmt(c, STMT_TIER_SPEND_SUM, "SELECT COALESCE(SUM(" SPEND_AMOUNT "), 0) " SPEND_ACTIVITY);
    else
        st = each ? store_stmt(c, STMT_TIER_POINTS_EACH,
                               "SELECT at, " POINTS_AMOUNT " " POINTS_ACTIVITY " ORDER BY at, id")
                  : store_stmt(c, STMT_TIER_POINTS_SUM, "SELECT COALESCE(SUM(" POINTS_AMOUNT "), 0) " POINTS_ACTIVITY);
    if (!st)
        return NULL;
    sqlite3_bind_int64(st, 1, member_id);
    sqlite3_bind_int64(st, 2, after);
    if (basis == TIER_BASIS_POINTS) {
        snprintf(account, 32, "member:%lld", (long long)member_id);
        sqlite3_bind_text(st, 3, account, -1, SQLITE_STATIC);
    }
    return st;
}

static int activity_sum(store_conn *c, int64_t member_id, tier_basis basis, int64_t after, int64_t *sum)
{
    char account[32];
    sqlite3_stmt *st = activity_stmt(c, member_id, basis, after, false, account);
    if (!st)
        return STORE_ERROR;
    int rc = sqlite3_step(st);
    *sum = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    return store_status_of(c, rc, "tier activity");
}

int store_tier_activity_sum(store_reader *r, int64_t member_id, tier_basis basis, int64_t after, int64_t *sum)
{
    return activity_sum(&r->conn, member_id, basis, after, sum);
}

int store_tx_tier_activity_sum(store_tx *tx, int64_t member_id, tier_basis basis, int64_t after, int64_t *sum)
{
    return activity_sum(&tx->conn, member_id, basis, after, sum);
}

int store_tx_tier_activity_each(store_tx *tx, int64_t member_id, tier_basis basis, int64_t after,
                                void (*cb)(int64_t at, int64_t amount, void *arg), void *arg)
{
    char account[32];
    sqlite3_stmt *st = activity_stmt(&tx->conn, member_id, basis, after, true, account);
    if (!st)
        return STORE_ERROR;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        cb(sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1), arg);
    sqlite3_reset(st);
    return store_status_of(&tx->conn, rc, "tier activity");
}

int store_tx_tier_due(store_tx *tx, int64_t now, int64_t *ids, int cap, int *n)
{
    sqlite3_stmt *st = store_stmt(&tx->conn, STMT_TIER_DUE,
                                  "SELECT id FROM members WHERE tier_review_at IS NOT NULL AND tier_review_at <= ?1 "
                                  "AND erased_at IS NULL ORDER BY tier_review_at, id LIMIT ?2");
    *n = 0;
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, now);
    sqlite3_bind_int(st, 2, cap);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && *n < cap)
        ids[(*n)++] = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return store_status_of(&tx->conn, rc, "tier due");
}
