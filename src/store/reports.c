/* Key figures in SQLite (store.h, docs/reports.md): whole-club figures from the member aggregates (one pass over
 * members, no purchase rescanned), per-store ones from transactions, points by the club accounts of the ledger,
 * and members by class at an instant from class_changes. Each function is one or a few aggregate queries on the
 * caller's read connection; the statements are prepared per call (reports are rare, and their SQL stays out of the
 * shared statement cache). */
#include "store/internal.h"

#include <string.h>

#define DAY_MS 86400000LL

/* Steps st once, copying its first n integer columns into out; finalises it. */
static int one_row(store_conn *c, sqlite3_stmt *st, int64_t **out, int n, const char *what)
{
    if (!st)
        return STORE_ERROR;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        for (int i = 0; i < n; i++)
            *out[i] = sqlite3_column_int64(st, i);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? STORE_OK : store_status_of(c, rc, what);
}

/* Every store: the members' aggregates (member_stats). */
static int figures_club(store_conn *c, int64_t now, store_figures *f)
{
    sqlite3_stmt *st =
        store_prepare(c, "SELECT count(*), coalesce(sum(purchase_count >= 1), 0), "
                         "coalesce(sum(purchase_count >= 2), 0), coalesce(sum(last_purchase_at >= ?1), 0), "
                         "coalesce(sum(last_purchase_at >= ?2), 0), coalesce(sum(total_spent_minor), 0), "
                         "coalesce(sum(points_lifetime > 0), 0), "
                         "coalesce(sum(points_available + points_pending), 0) "
                         "FROM member_stats WHERE erased_at IS NULL");
    if (st) {
        sqlite3_bind_int64(st, 1, now - 30 * DAY_MS);
        sqlite3_bind_int64(st, 2, now - 90 * DAY_MS);
    }
    int64_t *cols[] = {&f->members, &f->buyers, &f->repeat_buyers, &f->active_30, &f->active_90, &f->spend_minor,
                       &f->earners, &f->points_outstanding};
    return one_row(c, st, cols, 8, "report figures");
}

/* One store: its transactions, per member. */
static int figures_shop(store_conn *c, int64_t now, const char *shop, store_figures *f)
{
    sqlite3_stmt *st = store_prepare(c, "SELECT coalesce(sum(n >= 1), 0), coalesce(sum(n >= 2), 0), "
                                  "coalesce(sum(last >= ?2), 0), coalesce(sum(last >= ?3), 0), coalesce(sum(spent), 0) "
                                  "FROM (SELECT t.member_id, sum(t.type = 'purchase') AS n, "
                                  "max(CASE WHEN t.type = 'purchase' THEN t.occurred_at END) AS last, "
                                  "sum(CASE WHEN t.type = 'purchase' THEN t.amount_minor ELSE -t.amount_minor END) "
                                  "AS spent FROM transactions t JOIN members m ON m.id = t.member_id "
                                  "WHERE t.store = ?1 AND m.erased_at IS NULL GROUP BY t.member_id)");
    if (st) {
        sqlite3_bind_text(st, 1, shop, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, now - 30 * DAY_MS);
        sqlite3_bind_int64(st, 3, now - 90 * DAY_MS);
    }
    int64_t *cols[] = {&f->buyers, &f->repeat_buyers, &f->active_30, &f->active_90, &f->spend_minor};
    return one_row(c, st, cols, 5, "report figures by store");
}

int store_report_figures(store_reader *r, int64_t now_ms, const char *shop, store_figures *out)
{
    store_conn *c = &r->conn;
    memset(out, 0, sizeof(*out));
    int status = figures_club(c, now_ms, out);
    if (status == STORE_OK && shop)
        status = figures_shop(c, now_ms, shop, out);
    if (status != STORE_OK)
        return status;
    sqlite3_stmt *st = store_prepare(c, "SELECT count(DISTINCT d.member_id) FROM redemptions d JOIN members m ON "
                                  "m.id = d.member_id WHERE d.status <> 'cancelled' AND m.erased_at IS NULL");
    int64_t *cols[] = {&out->redeemers};
    return one_row(c, st, cols, 1, "report redeemers");
}

int store_report_classes_at(store_reader *r, int64_t at, void (*cb)(const char *cls, int64_t n, void *arg),
                            void *arg)
{
    store_conn *c = &r->conn;
    sqlite3_stmt *st = store_prepare(c, "SELECT cls, count(*) FROM (SELECT coalesce((SELECT x.to_class FROM class_changes x "
                                  "WHERE x.member_id = m.id AND x.at < ?1 ORDER BY x.at DESC, x.id DESC LIMIT 1), "
                                  "'prospect') AS cls FROM members m WHERE m.created_at < ?1 AND "
                                  "(m.erased_at IS NULL OR m.erased_at >= ?1)) GROUP BY cls ORDER BY cls");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, at);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        cb((const char *)sqlite3_column_text(st, 0), sqlite3_column_int64(st, 1), arg);
    sqlite3_finalize(st);
    return store_status_of(c, rc, "report classes");
}

/* ---- members by class over time, in one pass ----
 * Counting at an instant t: +1 prospect at each join, -1 at each erasure for the class held then, and for each
 * class move -1 for the class before it (the previous move's to_class, by time then id; prospect for the first)
 * and +1 for to_class. Each event lands in the first period whose end is after it; running sums give the counts. */

typedef struct class_tally {
    const int64_t *ends;
    int n;
    const char *const *classes;
    int nclasses;
    int64_t *diff; /* n x nclasses, then summed in place */
} class_tally;

static int bucket_of(const class_tally *t, int64_t at)
{
    int lo = 0, hi = t->n; /* the first end above at; n when none */
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (t->ends[mid] > at)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

static void tally(class_tally *t, int64_t at, const char *cls, int64_t delta)
{
    int b = bucket_of(t, at);
    if (b >= t->n || !cls)
        return;
    for (int k = 0; k < t->nclasses; k++)
        if (strcmp(t->classes[k], cls) == 0)
            t->diff[b * t->nclasses + k] += delta;
}

/* Runs st (bound: ?1 = the last end) and tallies each row: columns at, class to remove (or NULL), class to add. */
static int tally_rows(store_conn *c, sqlite3_stmt *st, class_tally *t, const char *what)
{
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, t->ends[t->n - 1]);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t at = sqlite3_column_int64(st, 0);
        tally(t, at, (const char *)sqlite3_column_text(st, 1), -1);
        tally(t, at, (const char *)sqlite3_column_text(st, 2), +1);
    }
    sqlite3_finalize(st);
    return store_status_of(c, rc, what);
}

int store_report_classes_series(store_reader *r, const int64_t *ends, int n, const char *const *classes, int nclasses,
                                int64_t *counts)
{
    store_conn *c = &r->conn;
    memset(counts, 0, (size_t)n * (size_t)nclasses * sizeof(*counts));
    if (n == 0)
        return STORE_OK;
    class_tally t = {ends, n, classes, nclasses, counts};
    int status = tally_rows(c, store_prepare(c, "SELECT created_at, NULL, 'prospect' FROM members WHERE created_at < ?1"), &t,
                            "report joins");
    if (status == STORE_OK)
        status = tally_rows(c, store_prepare(c, "SELECT m.erased_at, coalesce((SELECT x.to_class FROM class_changes x WHERE "
                                          "x.member_id = m.id AND x.at < m.erased_at ORDER BY x.at DESC, x.id DESC "
                                          "LIMIT 1), 'prospect'), NULL FROM members m WHERE m.erased_at < ?1 AND "
                                          "m.created_at <= m.erased_at"),
                            &t, "report erasures");
    if (status == STORE_OK)
        status = tally_rows(c, store_prepare(c, "SELECT x.at, lag(x.to_class, 1, 'prospect') OVER (PARTITION BY x.member_id "
                                          "ORDER BY x.at, x.id), x.to_class FROM class_changes x JOIN members m ON "
                                          "m.id = x.member_id WHERE x.at < ?1 AND (m.erased_at IS NULL OR x.at < "
                                          "m.erased_at)"),
                            &t, "report class moves");
    for (int i = 1; status == STORE_OK && i < n; i++)
        for (int k = 0; k < nclasses; k++)
            counts[i * nclasses + k] += counts[(i - 1) * nclasses + k];
    return status;
}

int store_report_classes_now(store_reader *r, void (*cb)(const char *cls, int64_t n, void *arg), void *arg)
{
    store_conn *c = &r->conn;
    sqlite3_stmt *st =
        store_prepare(c, "SELECT class, count(*) FROM member_stats WHERE erased_at IS NULL GROUP BY class "
                         "ORDER BY class");
    if (!st)
        return STORE_ERROR;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        cb((const char *)sqlite3_column_text(st, 0), sqlite3_column_int64(st, 1), arg);
    sqlite3_finalize(st);
    return store_status_of(c, rc, "report classes now");
}

int store_report_joined(store_reader *r, int64_t from, int64_t to, int64_t *n)
{
    sqlite3_stmt *st = store_prepare(&r->conn, "SELECT count(*) FROM members WHERE created_at >= ? AND created_at < ?");
    if (st) {
        sqlite3_bind_int64(st, 1, from);
        sqlite3_bind_int64(st, 2, to);
    }
    int64_t *cols[] = {n};
    return one_row(&r->conn, st, cols, 1, "report joined");
}

int store_report_points(store_reader *r, int64_t from, int64_t to, const char *shop, store_points_moved *out)
{
    /* An account's net outflow in [from, to): what left it less what came back; ?3 limits club:issued to the
     * postings of one store's transactions. */
#define NET(account, sign, shop_only)                                                                              \
    "(" sign "((SELECT coalesce(sum(points), 0) FROM postings WHERE from_account = '" account "' AND at >= ?1 AND " \
    "at < ?2" shop_only ") - (SELECT coalesce(sum(points), 0) FROM postings WHERE to_account = '" account "' AND " \
    "at >= ?1 AND at < ?2" shop_only ")))"
#define SHOP " AND (?3 IS NULL OR transaction_id IN (SELECT id FROM transactions WHERE store = ?3))"
    /* The same over the campaign and moment accounts, read by their name's prefix (a range of the index). */
#define NET_GIFTS(side)                                                                                            \
    "(SELECT coalesce(sum(points), 0) FROM postings WHERE " side " >= 'campaign:' AND " side " < 'campaign;' AND "     \
    "at >= ?1 AND at < ?2) + (SELECT coalesce(sum(points), 0) FROM postings WHERE " side " >= 'moment:' AND " side \
    " < 'moment;' AND at >= ?1 AND at < ?2)"
    sqlite3_stmt *st = store_prepare(&r->conn, "SELECT " NET("club:issued", "", SHOP) ", " NET("club:redeemed", "-", "")
                                         ", " NET("club:expired", "-", "") ", " NET("club:adjustment", "", "")
                                         ", " NET_GIFTS("from_account") " - (" NET_GIFTS("to_account") ")");
#undef NET
#undef NET_GIFTS
#undef SHOP
    if (st) {
        sqlite3_bind_int64(st, 1, from);
        sqlite3_bind_int64(st, 2, to);
        if (shop)
            sqlite3_bind_text(st, 3, shop, -1, SQLITE_STATIC);
    }
    int64_t *cols[] = {&out->issued, &out->redeemed, &out->expired, &out->adjusted, &out->gifted};
    return one_row(&r->conn, st, cols, 5, "report points");
}

int store_report_sales(store_reader *r, int64_t from, int64_t to, const char *shop, int64_t *count,
                       int64_t *amount_minor, int64_t *buyers)
{
    sqlite3_stmt *st = store_prepare(&r->conn, "SELECT coalesce(sum(type = 'purchase'), 0), coalesce(sum(CASE WHEN type = "
                                         "'purchase' THEN amount_minor ELSE -amount_minor END), 0), count(DISTINCT "
                                         "CASE WHEN type = 'purchase' THEN member_id END) FROM transactions WHERE "
                                         "occurred_at >= ?1 AND occurred_at < ?2 AND (?3 IS NULL OR store = ?3)");
    if (st) {
        sqlite3_bind_int64(st, 1, from);
        sqlite3_bind_int64(st, 2, to);
        if (shop)
            sqlite3_bind_text(st, 3, shop, -1, SQLITE_STATIC);
    }
    int64_t *cols[] = {count, amount_minor, buyers};
    return one_row(&r->conn, st, cols, 3, "report sales");
}
