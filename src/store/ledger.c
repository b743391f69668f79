/* The points ledger in SQLite: programme settings, member aggregates, postings with club account balances,
 * lots, purchases and events, and the invariant check behind `bashgah verify`. */
#include "store/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/timefmt.h"

#define PROGRAMME_COLUMNS                                                                                          \
    "currency, currency_minor_units, points_name_en, points_name_fa, point_value_minor, pending_days, "          \
    "expiry_policy, expiry_days, expiry_warning_days, return_policy, transfers_allowed, time_zone, updated_at, "   \
    "calendar, guard_discount_max_permille, guard_giveback_max_permille, message_cost_sms_minor, "                   \
    "message_cost_email_minor"

/* Steps a statement that changes rows; resets it. */
static int programme_get(store_conn *c, store_programme *p)
{
    sqlite3_stmt *st = store_stmt(c, STMT_PROGRAMME_GET, "SELECT " PROGRAMME_COLUMNS " FROM programme WHERE id = 1");
    if (!st || sqlite3_step(st) != SQLITE_ROW) {
        if (st)
            sqlite3_reset(st);
        return STORE_ERROR;
    }
    memset(p, 0, sizeof(*p));
    store_column_text(st, 0, p->currency, sizeof(p->currency));
    p->currency_minor_units = sqlite3_column_int(st, 1);
    store_column_text(st, 2, p->points_name_en, sizeof(p->points_name_en));
    store_column_text(st, 3, p->points_name_fa, sizeof(p->points_name_fa));
    p->point_value_minor = sqlite3_column_int64(st, 4);
    p->pending_days = sqlite3_column_int(st, 5);
    store_column_text(st, 6, p->expiry_policy, sizeof(p->expiry_policy));
    p->expiry_days = sqlite3_column_int(st, 7);
    p->expiry_warning_days = sqlite3_column_int(st, 8);
    store_column_text(st, 9, p->return_policy, sizeof(p->return_policy));
    p->transfers_allowed = sqlite3_column_int(st, 10) != 0;
    store_column_text(st, 11, p->time_zone, sizeof(p->time_zone));
    p->updated_at = sqlite3_column_int64(st, 12);
    store_column_text(st, 13, p->calendar, sizeof(p->calendar));
    p->guard_discount_max_permille = sqlite3_column_int(st, 14);
    p->guard_giveback_max_permille = sqlite3_column_int(st, 15);
    p->message_cost_sms_minor = sqlite3_column_int64(st, 16);
    p->message_cost_email_minor = sqlite3_column_int64(st, 17);
    sqlite3_reset(st);
    return STORE_OK;
}

int store_tx_programme_get(store_tx *tx, store_programme *out)
{
    store_cache *c = store_cache_of(tx);
    if (c->programme_gen != tx->gen) {
        int status = programme_get(&tx->conn, &c->programme);
        if (status != STORE_OK)
            return status;
        c->programme_gen = tx->gen;
    }
    *out = c->programme;
    return STORE_OK;
}
int store_programme_read(store_reader *r, store_programme *out) { return programme_get(&r->conn, out); }

int store_tx_programme_update(store_tx *tx, const store_programme *p)
{
    sqlite3_stmt *st = store_stmt(&tx->conn, STMT_PROGRAMME_UPDATE,
                                  "UPDATE programme SET currency=?, currency_minor_units=?, points_name_en=?, "
                                  "points_name_fa=?, point_value_minor=?, pending_days=?, expiry_policy=?, "
                                  "expiry_days=?, expiry_warning_days=?, return_policy=?, transfers_allowed=?, "
                                  "time_zone=?, updated_at=?, calendar=?, guard_discount_max_permille=?, "
                                  "guard_giveback_max_permille=?, message_cost_sms_minor=?, "
                                  "message_cost_email_minor=? WHERE id = 1");
    store_cache_forget(tx); /* the writer's cached programme */
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_text(st, 1, p->currency, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, p->currency_minor_units);
    sqlite3_bind_text(st, 3, p->points_name_en, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, p->points_name_fa, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, p->point_value_minor);
    sqlite3_bind_int(st, 6, p->pending_days);
    sqlite3_bind_text(st, 7, p->expiry_policy, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 8, p->expiry_days);
    sqlite3_bind_int(st, 9, p->expiry_warning_days);
    sqlite3_bind_text(st, 10, p->return_policy, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 11, p->transfers_allowed);
    sqlite3_bind_text(st, 12, p->time_zone, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 13, p->updated_at);
    sqlite3_bind_text(st, 14, p->calendar, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 15, p->guard_discount_max_permille);
    sqlite3_bind_int(st, 16, p->guard_giveback_max_permille);
    sqlite3_bind_int64(st, 17, p->message_cost_sms_minor);
    sqlite3_bind_int64(st, 18, p->message_cost_email_minor);
    return store_step_reset(&tx->conn, st, "programme update");
}

static int member_points(store_conn *c, int64_t member_id, store_member_points *out)
{
    sqlite3_stmt *st =
        store_stmt(c, STMT_MEMBER_POINTS_GET,
                   "SELECT points_available, points_pending, points_lifetime, purchase_count, "
                   "total_spent_minor, last_purchase_at, tier_id FROM " STORE_MEMBER_FROM " WHERE id = ?");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, member_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        out->available = sqlite3_column_int64(st, 0);
        out->pending = sqlite3_column_int64(st, 1);
        out->lifetime = sqlite3_column_int64(st, 2);
        out->purchase_count = sqlite3_column_int64(st, 3);
        out->total_spent_minor = sqlite3_column_int64(st, 4);
        out->last_purchase_at = sqlite3_column_int64(st, 5);
        out->tier_id = sqlite3_column_int64(st, 6);
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? STORE_OK : rc == SQLITE_DONE ? STORE_NOTFOUND : store_status_of(c, rc, "points");
}

int store_tx_member_points(store_tx *tx, int64_t member_id, store_member_points *out)
{
    return member_points(&tx->conn, member_id, out);
}

int store_member_points_read(store_reader *r, int64_t member_id, store_member_points *out)
{
    return member_points(&r->conn, member_id, out);
}

int store_tx_member_points_add(store_tx *tx, int64_t member_id, int64_t available, int64_t pending, int64_t lifetime)
{
    sqlite3_stmt *st = store_stmt(&tx->conn, STMT_MEMBER_POINTS_ADD,
                                  "UPDATE member_stats SET points_available = points_available + ?, points_pending = "
                                  "points_pending + ?, points_lifetime = points_lifetime + ? WHERE member_id = ?");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, available);
    sqlite3_bind_int64(st, 2, pending);
    sqlite3_bind_int64(st, 3, lifetime);
    sqlite3_bind_int64(st, 4, member_id);
    int status = store_step_reset(&tx->conn, st, "points add");
    /* A posting without its aggregate would break the ledger: no row changed is an error. */
    return status == STORE_OK && sqlite3_changes(tx->conn.db) != 1 ? STORE_NOTFOUND : status;
}

int store_tx_member_purchase_add(store_tx *tx, int64_t member_id, int count, int64_t amount_minor, int64_t at)
{
    sqlite3_stmt *st =
        store_stmt(&tx->conn, STMT_MEMBER_PURCHASE_ADD,
                   "UPDATE member_stats SET purchase_count = purchase_count + ?1, total_spent_minor = "
                   "total_spent_minor + ?2, last_purchase_at = CASE WHEN ?1 > 0 THEN "
                   "max(coalesce(last_purchase_at, 0), ?3) ELSE last_purchase_at END WHERE member_id = ?4");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int(st, 1, count);
    sqlite3_bind_int64(st, 2, amount_minor);
    sqlite3_bind_int64(st, 3, at);
    sqlite3_bind_int64(st, 4, member_id);
    return store_step_reset(&tx->conn, st, "purchase add");
}

#define ACCOUNT_COLUMNS                                                                                                \
    "id, members.erased_at IS NOT NULL, points_available, points_pending, points_lifetime, purchase_count, "           \
    "total_spent_minor, last_purchase_at, tier_id, tier_since, tier_review_at, first_purchase_at, class, "             \
    "class_since, rfm_r, rfm_f, rfm_m, rfm_at, value_minor"
#define ACCOUNT_CLASS_FIRST 11 /* the first class column in ACCOUNT_COLUMNS */

/* The class columns of an account row, as store_tx_member_class_get reads them (times and scores 0 for NULL). */
static void account_class_from_row(sqlite3_stmt *st, const store_member_account *a, store_member_class *mc)
{
    int c = ACCOUNT_CLASS_FIRST;
    memset(mc, 0, sizeof(*mc));
    mc->id = a->id;
    mc->purchase_count = a->points.purchase_count;
    mc->total_spent_minor = a->points.total_spent_minor;
    mc->last_purchase_at = a->points.last_purchase_at;
    mc->first_purchase_at = sqlite3_column_int64(st, c);
    store_column_text(st, c + 1, mc->class_name, sizeof(mc->class_name));
    mc->class_since = sqlite3_column_int64(st, c + 2);
    mc->r = sqlite3_column_int(st, c + 3);
    mc->f = sqlite3_column_int(st, c + 4);
    mc->m = sqlite3_column_int(st, c + 5);
    mc->rfm_at = sqlite3_column_int64(st, c + 6);
    mc->has_value = sqlite3_column_type(st, c + 7) != SQLITE_NULL;
    mc->value_minor = sqlite3_column_int64(st, c + 7);
}

int store_tx_member_account(store_tx *tx, int64_t id, const char *external_ref, const char *phone,
                            store_member_account *out)
{
    return store_tx_member_account_class(tx, id, external_ref, phone, out, NULL);
}

int store_tx_member_account_class(store_tx *tx, int64_t id, const char *external_ref, const char *phone,
                                  store_member_account *out, store_member_class *cls)
{
    sqlite3_stmt *st;
    if (id) {
        st = store_stmt(&tx->conn, STMT_MEMBER_ACCOUNT_GET,
                        "SELECT " ACCOUNT_COLUMNS " FROM " STORE_MEMBER_FROM " WHERE id = ?");
        if (st)
            sqlite3_bind_int64(st, 1, id);
    } else if (external_ref && external_ref[0]) {
        st = store_stmt(&tx->conn, STMT_MEMBER_ACCOUNT_BY_REF,
                        "SELECT " ACCOUNT_COLUMNS " FROM " STORE_MEMBER_FROM " WHERE external_ref = ?");
        if (st)
            sqlite3_bind_text(st, 1, external_ref, -1, SQLITE_STATIC);
    } else if (phone && phone[0]) {
        st = store_stmt(&tx->conn, STMT_MEMBER_ACCOUNT_BY_PHONE,
                        "SELECT " ACCOUNT_COLUMNS " FROM " STORE_MEMBER_FROM " WHERE phone = ?");
        if (st)
            sqlite3_bind_text(st, 1, phone, -1, SQLITE_STATIC);
    } else {
        return STORE_NOTFOUND;
    }
    if (!st)
        return STORE_ERROR;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        memset(out, 0, sizeof(*out));
        out->id = sqlite3_column_int64(st, 0);
        out->erased = sqlite3_column_int(st, 1) != 0;
        out->points.available = sqlite3_column_int64(st, 2);
        out->points.pending = sqlite3_column_int64(st, 3);
        out->points.lifetime = sqlite3_column_int64(st, 4);
        out->points.purchase_count = sqlite3_column_int64(st, 5);
        out->points.total_spent_minor = sqlite3_column_int64(st, 6);
        out->points.last_purchase_at = sqlite3_column_int64(st, 7);
        out->points.tier_id = sqlite3_column_int64(st, 8);
        out->tier.member_id = out->id;
        out->tier.tier_id = out->points.tier_id;
        out->tier.since = sqlite3_column_int64(st, 9);
        out->tier.review_at = sqlite3_column_int64(st, 10);
        out->tier.erased = out->erased;
        if (cls)
            account_class_from_row(st, out, cls);
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? STORE_OK : rc == SQLITE_DONE ? STORE_NOTFOUND : store_status_of(&tx->conn, rc, "account");
}

int store_tx_member_aggregates_add(store_tx *tx, int64_t member_id, const store_member_delta *d)
{
    sqlite3_stmt *st = store_stmt(&tx->conn, STMT_MEMBER_PURCHASE_APPLY,
                                  "UPDATE member_stats SET points_available = points_available + ?1, points_pending = "
                                  "points_pending + ?2, points_lifetime = points_lifetime + ?3, purchase_count = "
                                  "purchase_count + ?4, total_spent_minor = total_spent_minor + ?5, last_purchase_at = "
                                  "CASE WHEN ?4 > 0 THEN max(coalesce(last_purchase_at, 0), ?6) ELSE "
                                  "last_purchase_at END WHERE member_id = ?7");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, d->available);
    sqlite3_bind_int64(st, 2, d->pending);
    sqlite3_bind_int64(st, 3, d->lifetime);
    sqlite3_bind_int64(st, 4, d->purchase_count);
    sqlite3_bind_int64(st, 5, d->spent_minor);
    sqlite3_bind_int64(st, 6, d->purchase_at);
    sqlite3_bind_int64(st, 7, member_id);
    int status = store_step_reset(&tx->conn, st, "aggregates add");
    /* Postings without their aggregates would break the ledger: no row changed is an error. */
    return status == STORE_OK && sqlite3_changes(tx->conn.db) != 1 ? STORE_NOTFOUND : status;
}

static void bind_nonzero(sqlite3_stmt *st, int i, int64_t v)
{
    if (v)
        sqlite3_bind_int64(st, i, v);
    else
        sqlite3_bind_null(st, i);
}

#define PURCHASE_APPLY_SET                                                                                             \
    "UPDATE member_stats SET points_available = points_available + ?1, points_pending = points_pending + ?2, "         \
    "points_lifetime = points_lifetime + ?3, purchase_count = purchase_count + ?4, total_spent_minor = "               \
    "total_spent_minor + ?5, last_purchase_at = CASE WHEN ?4 > 0 THEN max(coalesce(last_purchase_at, 0), ?6) ELSE "    \
    "last_purchase_at END, first_purchase_at = ?8, rfm_r = ?9, rfm_f = ?10, rfm_m = ?11, rfm_at = ?12, "               \
    "value_minor = ?13"

int store_tx_member_purchase_apply(store_tx *tx, int64_t member_id, const store_member_delta *d,
                                   const store_member_class *cls, bool class_moved)
{
    /* The class is written only when it moves, as store_tx_member_class_set does. */
    sqlite3_stmt *st =
        class_moved
            ? store_stmt(&tx->conn, STMT_MEMBER_PURCHASE_CLASS_APPLY,
                         PURCHASE_APPLY_SET ", class = ?14, class_since = ?15 WHERE member_id = ?7")
            : store_stmt(&tx->conn, STMT_MEMBER_PURCHASE_SCORES_APPLY, PURCHASE_APPLY_SET " WHERE member_id = ?7");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, d->available);
    sqlite3_bind_int64(st, 2, d->pending);
    sqlite3_bind_int64(st, 3, d->lifetime);
    sqlite3_bind_int64(st, 4, d->purchase_count);
    sqlite3_bind_int64(st, 5, d->spent_minor);
    sqlite3_bind_int64(st, 6, d->purchase_at);
    sqlite3_bind_int64(st, 7, member_id);
    bind_nonzero(st, 8, cls->first_purchase_at);
    bind_nonzero(st, 9, cls->r);
    bind_nonzero(st, 10, cls->f);
    bind_nonzero(st, 11, cls->m);
    bind_nonzero(st, 12, cls->rfm_at);
    if (cls->has_value)
        sqlite3_bind_int64(st, 13, cls->value_minor);
    if (class_moved) {
        sqlite3_bind_text(st, 14, cls->class_name, -1, SQLITE_STATIC);
        bind_nonzero(st, 15, cls->class_since);
    }
    int status = store_step_reset(&tx->conn, st, "purchase apply");
    return status == STORE_OK && sqlite3_changes(tx->conn.db) != 1 ? STORE_NOTFOUND : status;
}

/* Keeps a club account's balance: in minus out. Member accounts live in member_stats.points_*. The account row is
 * there but for the first posting to it, so an update is tried first (an upsert costs more every time). */
static int club_account_add(store_tx *tx, const char *account, int64_t delta)
{
    if (strncmp(account, "member:", 7) == 0)
        return STORE_OK;
    sqlite3_stmt *st = store_stmt(&tx->conn, STMT_CLUB_ACCOUNT_UPDATE,
                                  "UPDATE club_accounts SET balance = balance + ?2 WHERE account = ?1");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_text(st, 1, account, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, delta);
    int status = store_step_reset(&tx->conn, st, "club account");
    if (status != STORE_OK || sqlite3_changes(tx->conn.db) == 1)
        return status;
    st = store_stmt(&tx->conn, STMT_CLUB_ACCOUNT_ADD, "INSERT INTO club_accounts (account, balance) VALUES (?1, ?2)");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_text(st, 1, account, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, delta);
    return store_step_reset(&tx->conn, st, "club account");
}

int store_tx_posting_insert(store_tx *tx, store_posting *p)
{
    /* An entry is known by its first posting's id: the row takes the next id explicitly, so a posting that starts
     * an entry (entry_id 0) names itself in the same statement. */
    sqlite3_stmt *st = store_stmt(&tx->conn, STMT_POSTING_INSERT,
                                  "INSERT INTO postings (id, entry_id, at, from_account, to_account, points, kind, "
                                  "member_id, lot_id, transaction_id, redemption_id, actor, explanation) VALUES "
                                  "((SELECT coalesce(max(id), 0) + 1 FROM postings), coalesce(nullif(?1, 0), "
                                  "(SELECT coalesce(max(id), 0) + 1 FROM postings)), ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, "
                                  "?10, ?11, ?12)");
    if (!st)
        return STORE_ERROR;
    char *why = !p->explanation_text && p->explanation ? json_dumps(p->explanation, JSON_COMPACT) : NULL;
    sqlite3_bind_int64(st, 1, p->entry_id);
    sqlite3_bind_int64(st, 2, p->at);
    sqlite3_bind_text(st, 3, p->from_account, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, p->to_account, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, p->points);
    sqlite3_bind_text(st, 6, p->kind, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 7, p->member_id);
    bind_nonzero(st, 8, p->lot_id);
    bind_nonzero(st, 9, p->transaction_id);
    bind_nonzero(st, 10, p->redemption_id);
    store_bind_text_or_null(st, 11, p->actor);
    store_bind_text_or_null(st, 12, p->explanation_text ? p->explanation_text : why);
    int status = store_step_reset(&tx->conn, st, "posting insert");
    free(why);
    if (status != STORE_OK)
        return status;
    p->id = sqlite3_last_insert_rowid(tx->conn.db);
    if (p->entry_id == 0)
        p->entry_id = p->id;
    if ((status = club_account_add(tx, p->from_account, -p->points)) != STORE_OK)
        return status;
    return club_account_add(tx, p->to_account, p->points);
}

int store_tx_lot_insert(store_tx *tx, store_lot *lot)
{
    sqlite3_stmt *st = store_stmt(&tx->conn, STMT_LOT_INSERT,
                                  "INSERT INTO lots (member_id, points, remaining, earned_at, available_at, matured, "
                                  "expires_at, transaction_id) VALUES (?,?,?,?,?,?,?,?)");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, lot->member_id);
    sqlite3_bind_int64(st, 2, lot->points);
    sqlite3_bind_int64(st, 3, lot->remaining);
    sqlite3_bind_int64(st, 4, lot->earned_at);
    sqlite3_bind_int64(st, 5, lot->available_at);
    sqlite3_bind_int(st, 6, lot->matured);
    bind_nonzero(st, 7, lot->expires_at);
    bind_nonzero(st, 8, lot->transaction_id);
    int status = store_step_reset(&tx->conn, st, "lot insert");
    if (status == STORE_OK)
        lot->id = sqlite3_last_insert_rowid(tx->conn.db);
    return status;
}

#define LOT_COLUMNS "id, member_id, points, remaining, earned_at, available_at, matured, expires_at, transaction_id"

static int lots_query(store_conn *c, sqlite3_stmt *st, store_lot *out, int cap, int *n)
{
    *n = 0;
    if (!st)
        return STORE_ERROR;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && *n < cap) {
        store_lot *l = &out[(*n)++];
        l->id = sqlite3_column_int64(st, 0);
        l->member_id = sqlite3_column_int64(st, 1);
        l->points = sqlite3_column_int64(st, 2);
        l->remaining = sqlite3_column_int64(st, 3);
        l->earned_at = sqlite3_column_int64(st, 4);
        l->available_at = sqlite3_column_int64(st, 5);
        l->matured = sqlite3_column_int(st, 6) != 0;
        l->expires_at = sqlite3_column_int64(st, 7);
        l->transaction_id = sqlite3_column_int64(st, 8);
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? STORE_OK : store_status_of(c, rc, "lots");
}

int store_tx_lots_open(store_tx *tx, int64_t member_id, int matured, int64_t transaction_id, store_lot *out, int cap,
                       int *n)
{
    sqlite3_stmt *st;
    if (transaction_id) {
        st = store_stmt(&tx->conn, STMT_LOTS_OPEN_TXN,
                        "SELECT " LOT_COLUMNS " FROM lots WHERE member_id = ?1 AND remaining > 0 AND "
                        "transaction_id = ?3 AND (?2 < 0 OR matured = ?2) ORDER BY expires_at IS NULL, expires_at, id "
                        "LIMIT ?4");
        if (st)
            sqlite3_bind_int64(st, 3, transaction_id);
    } else {
        st = store_stmt(&tx->conn, STMT_LOTS_OPEN,
                        "SELECT " LOT_COLUMNS " FROM lots WHERE member_id = ?1 AND remaining > 0 AND "
                        "(?2 < 0 OR matured = ?2) ORDER BY expires_at IS NULL, expires_at, id LIMIT ?4");
    }
    if (st) {
        sqlite3_bind_int64(st, 1, member_id);
        sqlite3_bind_int(st, 2, matured);
        sqlite3_bind_int(st, 4, cap);
    }
    return lots_query(&tx->conn, st, out, cap, n);
}

/* Runs an UPDATE of one lot: ?1 is the value, ?2 the lot's id. STORE_NOTFOUND when no lot changed. */
static int lot_update(store_tx *tx, int idx, const char *sql, int64_t value, int64_t lot_id, const char *what)
{
    sqlite3_stmt *st = store_stmt(&tx->conn, idx, sql);
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, value);
    sqlite3_bind_int64(st, 2, lot_id);
    int status = store_step_reset(&tx->conn, st, what);
    return status == STORE_OK && sqlite3_changes(tx->conn.db) != 1 ? STORE_NOTFOUND : status;
}

int store_tx_lot_take(store_tx *tx, int64_t lot_id, int64_t points)
{
    return lot_update(tx, STMT_LOT_TAKE, "UPDATE lots SET remaining = remaining - ?1 WHERE id = ?2", points, lot_id,
                      "lot take");
}

int store_tx_lots_maturing(store_tx *tx, int64_t now, store_lot *out, int cap, int *n)
{
    sqlite3_stmt *st = store_stmt(&tx->conn, STMT_LOTS_MATURING,
                                  "SELECT " LOT_COLUMNS " FROM lots WHERE matured = 0 AND available_at <= ? "
                                  "ORDER BY available_at, id LIMIT ?");
    if (st) {
        sqlite3_bind_int64(st, 1, now);
        sqlite3_bind_int(st, 2, cap);
    }
    return lots_query(&tx->conn, st, out, cap, n);
}

int store_tx_lot_matured(store_tx *tx, int64_t lot_id)
{
    return lot_update(tx, STMT_LOT_MATURED, "UPDATE lots SET matured = ?1 WHERE id = ?2", 1, lot_id, "lot matured");
}

int store_tx_lots_expiring(store_tx *tx, int64_t now, store_lot *out, int cap, int *n)
{
    sqlite3_stmt *st = store_stmt(&tx->conn, STMT_LOTS_EXPIRING,
                                  "SELECT " LOT_COLUMNS " FROM lots WHERE remaining > 0 AND expires_at IS NOT NULL "
                                  "AND expires_at <= ? ORDER BY expires_at, id LIMIT ?");
    if (st) {
        sqlite3_bind_int64(st, 1, now);
        sqlite3_bind_int(st, 2, cap);
    }
    return lots_query(&tx->conn, st, out, cap, n);
}

int store_tx_lots_to_warn(store_tx *tx, int64_t now, int64_t before, store_lot *out, int cap, int *n)
{
    sqlite3_stmt *st = store_stmt(&tx->conn, STMT_LOTS_WARN,
                                  "SELECT " LOT_COLUMNS " FROM lots WHERE remaining > 0 AND expires_at IS NOT NULL "
                                  "AND expires_at > ?1 AND expires_at <= ?2 AND warned_at IS NULL "
                                  "ORDER BY expires_at, id LIMIT ?3");
    if (st) {
        sqlite3_bind_int64(st, 1, now);
        sqlite3_bind_int64(st, 2, before);
        sqlite3_bind_int(st, 3, cap);
    }
    return lots_query(&tx->conn, st, out, cap, n);
}

int store_tx_lot_warned(store_tx *tx, int64_t lot_id, int64_t now)
{
    return lot_update(tx, STMT_LOT_WARNED, "UPDATE lots SET warned_at = ?1 WHERE id = ?2", now, lot_id, "lot warned");
}

int store_tx_notice(store_tx *tx, const char *kind, int64_t member_id, json_t *data, const char *dedupe_key,
                    int64_t now)
{
    sqlite3_stmt *st = store_stmt(&tx->conn, STMT_NOTICE_INSERT,
                                  "INSERT INTO notices (kind, member_id, data, created_at, dedupe_key) VALUES "
                                  "(?,?,?,?,?) ON CONFLICT(dedupe_key) DO NOTHING");
    char *text = data ? json_dumps(data, JSON_COMPACT) : NULL;
    json_decref(data);
    if (!st) {
        free(text);
        return STORE_ERROR;
    }
    sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, member_id);
    sqlite3_bind_text(st, 3, text ? text : "{}", -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, now);
    store_bind_text_or_null(st, 5, dedupe_key);
    int status = store_step_reset(&tx->conn, st, "notice");
    free(text);
    return status;
}

int store_member_postings(store_reader *r, int64_t member_id, int64_t before_id, int limit, json_t *items)
{
    sqlite3_stmt *st = store_stmt(&r->conn, STMT_POSTINGS_MEMBER,
                                  "SELECT id, entry_id, at, from_account, to_account, points, kind, lot_id, "
                                  "transaction_id, redemption_id, actor, explanation FROM postings "
                                  "WHERE (from_account = ?4 OR to_account = ?4) AND (?2 = 0 OR id < ?2) ORDER BY id DESC LIMIT ?3");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 2, before_id);
    sqlite3_bind_int(st, 3, limit);
    char account[40];
    snprintf(account, sizeof(account), "member:%lld", (long long)member_id);
    sqlite3_bind_text(st, 4, account, -1, SQLITE_TRANSIENT);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        char at[TIMEFMT_LEN];
        timefmt_rfc3339(sqlite3_column_int64(st, 2), at);
        const char *to = (const char *)sqlite3_column_text(st, 4);
        int64_t points = sqlite3_column_int64(st, 5);
        /* From the member's side: what came in is positive, what went out negative. */
        int64_t delta = to && strcmp(to, account) == 0 ? points : -points;
        const char *why = (const char *)sqlite3_column_text(st, 11);
        json_t *explanation = why ? json_loads(why, 0, NULL) : NULL;
        json_t *e = json_pack("{s:I, s:I, s:s, s:s, s:I, s:s, s:s, s:s, s:o}", "id",
                              (json_int_t)sqlite3_column_int64(st, 0), "entry_id",
                              (json_int_t)sqlite3_column_int64(st, 1), "at", at, "kind", sqlite3_column_text(st, 6),
                              "points", (json_int_t)delta, "from", sqlite3_column_text(st, 3), "to", to ? to : "",
                              "actor", sqlite3_column_type(st, 10) == SQLITE_NULL ? "" : (const char *)sqlite3_column_text(st, 10),
                              "explanation", explanation ? explanation : json_null());
        if (sqlite3_column_type(st, 8) != SQLITE_NULL)
            json_object_set_new(e, "transaction_id", json_integer(sqlite3_column_int64(st, 8)));
        if (sqlite3_column_type(st, 9) != SQLITE_NULL)
            json_object_set_new(e, "redemption_id", json_integer(sqlite3_column_int64(st, 9)));
        json_array_append_new(items, e);
    }
    sqlite3_reset(st);
    return store_status_of(&r->conn, rc, "postings");
}
