/* The club's money in SQLite (store.h, docs/budget.md): budget lines, the costs table of 0009 (posted by the
 * campaigns and moments in their own commits, and by hand here), and the sums the money report reads. A line's
 * actual is always summed from costs, never stored, so it cannot drift from them. Statements are prepared per
 * call, as in reports.c: these are rare staff requests, and their SQL stays out of the shared statement cache. */
#include "store/internal.h"

#include <stdio.h>
#include <string.h>

/* Steps a statement that changes one row; STORE_NOTFOUND when it changed none. */
static int change_one(store_conn *c, sqlite3_stmt *st, const char *what)
{
    if (!st)
        return STORE_ERROR;
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc == SQLITE_CONSTRAINT)
        return STORE_CONFLICT;
    if (rc != SQLITE_DONE)
        return store_status_of(c, rc, what);
    return sqlite3_changes(c->db) ? STORE_OK : STORE_NOTFOUND;
}

/* ---- budget lines ---- */
#define LINE_COLUMNS                                                                                                   \
    "l.id, l.category, l.period, l.starts_at, l.ends_at, l.planned_minor, l.note, l.created_by, l.created_at, "       \
    "l.updated_at, (SELECT coalesce(sum(c.amount_minor), 0) FROM costs c WHERE c.category = l.category AND "          \
    "c.at >= l.starts_at AND c.at < l.ends_at)"

static void line_row(sqlite3_stmt *st, void *out)
{
    store_budget_line *l = out;
    memset(l, 0, sizeof(*l));
    l->id = sqlite3_column_int64(st, 0);
    store_column_text(st, 1, l->category, sizeof(l->category));
    store_column_text(st, 2, l->period, sizeof(l->period));
    l->starts_at = sqlite3_column_int64(st, 3);
    l->ends_at = sqlite3_column_int64(st, 4);
    l->planned_minor = sqlite3_column_int64(st, 5);
    store_column_text(st, 6, l->note, sizeof(l->note));
    store_column_text(st, 7, l->created_by, sizeof(l->created_by));
    l->created_at = sqlite3_column_int64(st, 8);
    l->updated_at = sqlite3_column_int64(st, 9);
    l->actual_minor = sqlite3_column_int64(st, 10);
}

static int line_get(store_conn *c, int64_t id, store_budget_line *out)
{
    return store_get_by_id(c, "SELECT " LINE_COLUMNS " FROM budget_lines l WHERE l.id = ?1", id, line_row, out,
                              "budget line get");
}

int store_tx_budget_line_get(store_tx *tx, int64_t id, store_budget_line *out) { return line_get(&tx->conn, id, out); }
int store_budget_line_get(store_reader *r, int64_t id, store_budget_line *out) { return line_get(&r->conn, id, out); }

static void bind_line(sqlite3_stmt *st, const store_budget_line *l)
{
    sqlite3_bind_text(st, 1, l->category, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, l->period, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, l->starts_at);
    sqlite3_bind_int64(st, 4, l->ends_at);
    sqlite3_bind_int64(st, 5, l->planned_minor);
    sqlite3_bind_text(st, 6, l->note, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 7, l->created_by, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 8, l->created_at);
    sqlite3_bind_int64(st, 9, l->updated_at);
    sqlite3_bind_int64(st, 10, l->id);
}

int store_tx_budget_line_insert(store_tx *tx, store_budget_line *l)
{
    sqlite3_stmt *st = store_prepare(&tx->conn, "INSERT INTO budget_lines (category, period, starts_at, ends_at, "
                                          "planned_minor, note, created_by, created_at, updated_at) "
                                          "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
    if (!st)
        return STORE_ERROR;
    bind_line(st, l);
    int status = change_one(&tx->conn, st, "budget line insert");
    if (status == STORE_OK)
        l->id = sqlite3_last_insert_rowid(tx->conn.db);
    return status;
}

int store_tx_budget_line_update(store_tx *tx, const store_budget_line *l)
{
    sqlite3_stmt *st = store_prepare(&tx->conn, "UPDATE budget_lines SET category = ?1, period = ?2, starts_at = ?3, "
                                          "ends_at = ?4, planned_minor = ?5, note = ?6, updated_at = ?9 WHERE id = ?10");
    if (st)
        bind_line(st, l);
    return change_one(&tx->conn, st, "budget line update");
}

int store_tx_budget_line_delete(store_tx *tx, int64_t id)
{
    sqlite3_stmt *st = store_prepare(&tx->conn, "DELETE FROM budget_lines WHERE id = ?1");
    if (st)
        sqlite3_bind_int64(st, 1, id);
    return change_one(&tx->conn, st, "budget line delete");
}

int store_tx_budget_line_overlap(store_tx *tx, int64_t id, const char *category, int64_t from, int64_t to,
                                 char period[16])
{
    sqlite3_stmt *st = store_prepare(&tx->conn, "SELECT period FROM budget_lines WHERE category = ?1 AND id <> ?2 AND "
                                          "starts_at < ?4 AND ends_at > ?3 LIMIT 1");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_text(st, 1, category, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, id);
    sqlite3_bind_int64(st, 3, from);
    sqlite3_bind_int64(st, 4, to);
    int rc = sqlite3_step(st);
    period[0] = '\0';
    if (rc == SQLITE_ROW)
        store_column_text(st, 0, period, 16);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? STORE_OK : store_status_of(&tx->conn, rc, "budget line overlap");
}

int store_budget_lines(store_reader *r, const char *category, int64_t from, int64_t to,
                       void (*cb)(const store_budget_line *l, void *arg), void *arg)
{
    sqlite3_stmt *st = store_prepare(&r->conn, "SELECT " LINE_COLUMNS " FROM budget_lines l WHERE (?1 IS NULL OR "
                                         "l.category = ?1) AND l.starts_at >= ?2 AND (?3 = 0 OR l.ends_at <= ?3) "
                                         "ORDER BY l.starts_at, l.category, l.id LIMIT ?4");
    if (!st)
        return STORE_ERROR;
    store_bind_text_or_null(st, 1, category ? category : "");
    sqlite3_bind_int64(st, 2, from);
    sqlite3_bind_int64(st, 3, to);
    sqlite3_bind_int(st, 4, STORE_BUDGET_LIST_MAX);
    int rc;
    store_budget_line l;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        line_row(st, &l);
        cb(&l, arg);
    }
    sqlite3_finalize(st);
    return store_status_of(&r->conn, rc, "budget lines");
}

/* ---- costs ---- */
int store_tx_budget_cost_insert(store_tx *tx, store_cost *c)
{
    sqlite3_stmt *st = store_prepare(&tx->conn, "INSERT INTO costs (category, amount_minor, at, source, campaign_id, ref, "
                                          "note, actor, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_text(st, 1, c->category, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, c->amount_minor);
    sqlite3_bind_int64(st, 3, c->at);
    sqlite3_bind_text(st, 4, c->source, -1, SQLITE_STATIC);
    if (c->campaign_id)
        sqlite3_bind_int64(st, 5, c->campaign_id);
    store_bind_text_or_null(st, 6, c->ref);
    store_bind_text_or_null(st, 7, c->note);
    sqlite3_bind_text(st, 8, c->actor, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 9, c->created_at);
    int status = change_one(&tx->conn, st, "cost insert");
    if (status == STORE_OK)
        c->id = sqlite3_last_insert_rowid(tx->conn.db);
    return status;
}

int store_budget_costs(store_reader *r, const store_cost_filter *f, void (*cb)(const store_cost *c, void *arg),
                       void *arg)
{
    sqlite3_stmt *st = store_prepare(&r->conn, "SELECT id, category, amount_minor, at, source, campaign_id, ref, note, "
                                         "actor, created_at FROM costs WHERE (?1 IS NULL OR category = ?1) AND "
                                         "(?2 = 0 OR campaign_id = ?2) AND at >= ?3 AND (?4 = 0 OR at < ?4) AND "
                                         "(?5 = 0 OR id < ?5) ORDER BY id DESC LIMIT ?6");
    if (!st)
        return STORE_ERROR;
    store_bind_text_or_null(st, 1, f->category ? f->category : "");
    sqlite3_bind_int64(st, 2, f->campaign_id);
    sqlite3_bind_int64(st, 3, f->from);
    sqlite3_bind_int64(st, 4, f->to);
    sqlite3_bind_int64(st, 5, f->before_id);
    sqlite3_bind_int(st, 6, f->limit);
    int rc;
    store_cost c;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        memset(&c, 0, sizeof(c));
        c.id = sqlite3_column_int64(st, 0);
        store_column_text(st, 1, c.category, sizeof(c.category));
        c.amount_minor = sqlite3_column_int64(st, 2);
        c.at = sqlite3_column_int64(st, 3);
        store_column_text(st, 4, c.source, sizeof(c.source));
        c.campaign_id = sqlite3_column_int64(st, 5);
        store_column_text(st, 6, c.ref, sizeof(c.ref));
        store_column_text(st, 7, c.note, sizeof(c.note));
        store_column_text(st, 8, c.actor, sizeof(c.actor));
        c.created_at = sqlite3_column_int64(st, 9);
        cb(&c, arg);
    }
    sqlite3_finalize(st);
    return store_status_of(&r->conn, rc, "costs");
}

/* One integer from sql with (?1 text or NULL, ?2, ?3) bound. */
static int sum_of(store_conn *c, const char *sql, const char *text, int64_t a, int64_t b, int64_t *out)
{
    sqlite3_stmt *st = store_prepare(c, sql);
    if (!st)
        return STORE_ERROR;
    store_bind_text_or_null(st, 1, text ? text : "");
    sqlite3_bind_int64(st, 2, a);
    sqlite3_bind_int64(st, 3, b);
    int rc = sqlite3_step(st);
    *out = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? STORE_OK : store_status_of(c, rc, "budget sum");
}

static const char spent_sql[] = "SELECT coalesce(sum(amount_minor), 0) FROM costs WHERE (?1 IS NULL OR category = ?1) "
                                "AND at >= ?2 AND at < ?3";

int store_tx_budget_spent(store_tx *tx, const char *category, int64_t from, int64_t to, int64_t *sum)
{
    return sum_of(&tx->conn, spent_sql, category, from, to, sum);
}

int store_budget_spent(store_reader *r, const char *category, int64_t from, int64_t to, int64_t *sum)
{
    return sum_of(&r->conn, spent_sql, category, from, to, sum);
}

int store_budget_planned(store_reader *r, const char *category, int64_t from, int64_t to, int64_t *sum)
{
    return sum_of(&r->conn,
                  "SELECT coalesce(sum(planned_minor), 0) FROM budget_lines WHERE (?1 IS NULL OR category = ?1) "
                  "AND starts_at >= ?2 AND ends_at <= ?3",
                  category, from, to, sum);
}

int store_budget_points_outstanding(store_reader *r, int64_t *points)
{
    return sum_of(&r->conn,
                  "SELECT coalesce(sum(points_available + points_pending), 0) FROM member_stats WHERE ?1 IS NULL AND "
                  "?2 = ?3",
                  NULL, 0, 0, points);
}

int store_budget_campaigns(store_reader *r, int64_t from, int64_t to, int limit,
                           void (*cb)(const store_campaign_cost *c, void *arg), void *arg)
{
    sqlite3_stmt *st = store_prepare(&r->conn,
                               "SELECT k.id, k.name, k.state, (SELECT coalesce(sum(c.amount_minor), 0) FROM costs c "
                               "WHERE c.campaign_id = k.id), (SELECT coalesce(sum(c.amount_minor), 0) FROM costs c "
                               "WHERE c.campaign_id = k.id AND c.at >= ?1 AND c.at < ?2), (SELECT d.evaluation FROM "
                               "campaign_decisions d WHERE d.campaign_id = k.id ORDER BY d.id DESC LIMIT 1) "
                               "FROM campaigns k ORDER BY k.id LIMIT ?3");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, from);
    sqlite3_bind_int64(st, 2, to);
    sqlite3_bind_int(st, 3, limit);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        store_campaign_cost c = {
            .id = sqlite3_column_int64(st, 0),
            .name = (const char *)sqlite3_column_text(st, 1),
            .state = (const char *)sqlite3_column_text(st, 2),
            .cost_minor = sqlite3_column_int64(st, 3),
            .cost_period_minor = sqlite3_column_int64(st, 4),
            .evaluation = (const char *)sqlite3_column_text(st, 5),
        };
        cb(&c, arg);
    }
    sqlite3_finalize(st);
    return store_status_of(&r->conn, rc, "campaign costs");
}
