/* Plans with their goals, and competitor notes, in SQLite (store.h, docs/budget.md). A goal keeps the figure it
 * started from (its baseline) so that being on track can be judged later; the live figures themselves are read
 * by the reports (reports.c, budget.c, surveys.c). Statements are prepared per call, as in budget.c. */
#include "store/internal.h"

#include <string.h>

static int change_one(store_conn *c, sqlite3_stmt *st, const char *what)
{
    if (!st)
        return STORE_ERROR;
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return store_status_of(c, rc, what);
    return sqlite3_changes(c->db) ? STORE_OK : STORE_NOTFOUND;
}

/* ---- plans ---- */
#define PLAN_COLUMNS "id, title, horizon, starts_at, ends_at, created_by, created_at, updated_at"

static void plan_row(sqlite3_stmt *st, void *out)
{
    store_plan *p = out;
    memset(p, 0, sizeof(*p));
    p->id = sqlite3_column_int64(st, 0);
    store_column_text(st, 1, p->title, sizeof(p->title));
    store_column_text(st, 2, p->horizon, sizeof(p->horizon));
    p->starts_at = sqlite3_column_int64(st, 3);
    p->ends_at = sqlite3_column_int64(st, 4);
    store_column_text(st, 5, p->created_by, sizeof(p->created_by));
    p->created_at = sqlite3_column_int64(st, 6);
    p->updated_at = sqlite3_column_int64(st, 7);
}

static int plan_get(store_conn *c, int64_t id, store_plan *out)
{
    return store_get_by_id(c, "SELECT " PLAN_COLUMNS " FROM plans WHERE id = ?1", id, plan_row, out, "plan get");
}

int store_tx_plan_get(store_tx *tx, int64_t id, store_plan *out) { return plan_get(&tx->conn, id, out); }
int store_plan_get(store_reader *r, int64_t id, store_plan *out) { return plan_get(&r->conn, id, out); }

static void bind_plan(sqlite3_stmt *st, const store_plan *p)
{
    sqlite3_bind_text(st, 1, p->title, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, p->horizon, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, p->starts_at);
    sqlite3_bind_int64(st, 4, p->ends_at);
    sqlite3_bind_text(st, 5, p->created_by, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, p->created_at);
    sqlite3_bind_int64(st, 7, p->updated_at);
    sqlite3_bind_int64(st, 8, p->id);
}

int store_tx_plan_insert(store_tx *tx, store_plan *p)
{
    sqlite3_stmt *st = store_prepare(&tx->conn, "INSERT INTO plans (title, horizon, starts_at, ends_at, created_by, "
                                          "created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    if (st)
        bind_plan(st, p);
    int status = change_one(&tx->conn, st, "plan insert");
    if (status == STORE_OK)
        p->id = sqlite3_last_insert_rowid(tx->conn.db);
    return status;
}

int store_tx_plan_update(store_tx *tx, const store_plan *p)
{
    sqlite3_stmt *st = store_prepare(&tx->conn, "UPDATE plans SET title = ?1, horizon = ?2, starts_at = ?3, ends_at = ?4, "
                                          "updated_at = ?7 WHERE id = ?8");
    if (st)
        bind_plan(st, p);
    return change_one(&tx->conn, st, "plan update");
}

int store_tx_plan_delete(store_tx *tx, int64_t id)
{
    sqlite3_stmt *st = store_prepare(&tx->conn, "DELETE FROM plan_goals WHERE plan_id = ?1");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return store_status_of(&tx->conn, rc, "plan goals delete");
    st = store_prepare(&tx->conn, "DELETE FROM plans WHERE id = ?1");
    if (st)
        sqlite3_bind_int64(st, 1, id);
    return change_one(&tx->conn, st, "plan delete");
}

int store_plans(store_reader *r, void (*cb)(const store_plan *p, void *arg), void *arg)
{
    sqlite3_stmt *st = store_prepare(&r->conn, "SELECT " PLAN_COLUMNS " FROM plans ORDER BY starts_at, id LIMIT ?1");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int(st, 1, STORE_BUDGET_LIST_MAX);
    STORE_EACH_ROW(&r->conn, st, store_plan, plan_row, cb, arg, STORE_KEEP_ROW, NULL, "plans");
}

/* ---- goals ---- */
#define GOAL_COLUMNS                                                                                                   \
    "id, plan_id, metric, survey_id, target, due_at, baseline, baseline_at, note, created_by, created_at, updated_at"

static void goal_row(sqlite3_stmt *st, store_plan_goal *g)
{
    memset(g, 0, sizeof(*g));
    g->id = sqlite3_column_int64(st, 0);
    g->plan_id = sqlite3_column_int64(st, 1);
    store_column_text(st, 2, g->metric, sizeof(g->metric));
    g->survey_id = sqlite3_column_int64(st, 3);
    g->target = sqlite3_column_double(st, 4);
    g->due_at = sqlite3_column_int64(st, 5);
    g->baseline = sqlite3_column_double(st, 6);
    g->baseline_at = sqlite3_column_int64(st, 7);
    store_column_text(st, 8, g->note, sizeof(g->note));
    store_column_text(st, 9, g->created_by, sizeof(g->created_by));
    g->created_at = sqlite3_column_int64(st, 10);
    g->updated_at = sqlite3_column_int64(st, 11);
}

int store_tx_plan_goal_get(store_tx *tx, int64_t id, store_plan_goal *out)
{
    sqlite3_stmt *st = store_prepare(&tx->conn, "SELECT " GOAL_COLUMNS " FROM plan_goals WHERE id = ?1");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        goal_row(st, out);
    sqlite3_finalize(st);
    if (rc == SQLITE_ROW)
        return STORE_OK;
    return rc == SQLITE_DONE ? STORE_NOTFOUND : store_status_of(&tx->conn, rc, "goal get");
}

static void bind_goal(sqlite3_stmt *st, const store_plan_goal *g)
{
    sqlite3_bind_int64(st, 1, g->plan_id);
    sqlite3_bind_text(st, 2, g->metric, -1, SQLITE_STATIC);
    if (g->survey_id)
        sqlite3_bind_int64(st, 3, g->survey_id);
    sqlite3_bind_double(st, 4, g->target);
    sqlite3_bind_int64(st, 5, g->due_at);
    sqlite3_bind_double(st, 6, g->baseline);
    sqlite3_bind_int64(st, 7, g->baseline_at);
    sqlite3_bind_text(st, 8, g->note, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 9, g->created_by, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 10, g->created_at);
    sqlite3_bind_int64(st, 11, g->updated_at);
    sqlite3_bind_int64(st, 12, g->id);
}

int store_tx_plan_goal_insert(store_tx *tx, store_plan_goal *g)
{
    sqlite3_stmt *st = store_prepare(&tx->conn, "INSERT INTO plan_goals (plan_id, metric, survey_id, target, due_at, "
                                          "baseline, baseline_at, note, created_by, created_at, updated_at) "
                                          "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)");
    if (st)
        bind_goal(st, g);
    int status = change_one(&tx->conn, st, "goal insert");
    if (status == STORE_OK)
        g->id = sqlite3_last_insert_rowid(tx->conn.db);
    return status;
}

int store_tx_plan_goal_update(store_tx *tx, const store_plan_goal *g)
{
    sqlite3_stmt *st = store_prepare(&tx->conn, "UPDATE plan_goals SET metric = ?2, survey_id = ?3, target = ?4, "
                                          "due_at = ?5, baseline = ?6, baseline_at = ?7, note = ?8, updated_at = ?11 "
                                          "WHERE id = ?12 AND plan_id = ?1");
    if (st)
        bind_goal(st, g);
    return change_one(&tx->conn, st, "goal update");
}

int store_tx_plan_goal_delete(store_tx *tx, int64_t id)
{
    sqlite3_stmt *st = store_prepare(&tx->conn, "DELETE FROM plan_goals WHERE id = ?1");
    if (st)
        sqlite3_bind_int64(st, 1, id);
    return change_one(&tx->conn, st, "goal delete");
}

int store_plan_goals(store_reader *r, int64_t plan_id, int limit, void (*cb)(const store_plan_goal *g, void *arg),
                     void *arg)
{
    sqlite3_stmt *st = store_prepare(&r->conn, "SELECT " GOAL_COLUMNS " FROM plan_goals WHERE plan_id = ?1 ORDER BY id "
                                         "LIMIT ?2");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, plan_id);
    sqlite3_bind_int(st, 2, limit);
    STORE_EACH_ROW(&r->conn, st, store_plan_goal, goal_row, cb, arg, STORE_KEEP_ROW, NULL, "goals");
}

/* ---- competitor notes ---- */
#define NOTE_COLUMNS "id, competitor, offer, observed_on, source, written_by, created_at, updated_at"

static void note_row(sqlite3_stmt *st, store_competitor_note *n)
{
    memset(n, 0, sizeof(*n));
    n->id = sqlite3_column_int64(st, 0);
    store_column_text(st, 1, n->competitor, sizeof(n->competitor));
    store_column_text(st, 2, n->offer, sizeof(n->offer));
    store_column_text(st, 3, n->observed_on, sizeof(n->observed_on));
    store_column_text(st, 4, n->source, sizeof(n->source));
    store_column_text(st, 5, n->written_by, sizeof(n->written_by));
    n->created_at = sqlite3_column_int64(st, 6);
    n->updated_at = sqlite3_column_int64(st, 7);
}

int store_tx_competitor_note_get(store_tx *tx, int64_t id, store_competitor_note *out)
{
    sqlite3_stmt *st = store_prepare(&tx->conn, "SELECT " NOTE_COLUMNS " FROM competitor_notes WHERE id = ?1");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        note_row(st, out);
    sqlite3_finalize(st);
    if (rc == SQLITE_ROW)
        return STORE_OK;
    return rc == SQLITE_DONE ? STORE_NOTFOUND : store_status_of(&tx->conn, rc, "competitor note get");
}

static void bind_note(sqlite3_stmt *st, const store_competitor_note *n)
{
    sqlite3_bind_text(st, 1, n->competitor, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, n->offer, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, n->observed_on, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, n->source, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, n->written_by, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, n->created_at);
    sqlite3_bind_int64(st, 7, n->updated_at);
    sqlite3_bind_int64(st, 8, n->id);
}

int store_tx_competitor_note_insert(store_tx *tx, store_competitor_note *n)
{
    sqlite3_stmt *st = store_prepare(&tx->conn, "INSERT INTO competitor_notes (competitor, offer, observed_on, source, "
                                          "written_by, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    if (st)
        bind_note(st, n);
    int status = change_one(&tx->conn, st, "competitor note insert");
    if (status == STORE_OK)
        n->id = sqlite3_last_insert_rowid(tx->conn.db);
    return status;
}

int store_tx_competitor_note_update(store_tx *tx, const store_competitor_note *n)
{
    sqlite3_stmt *st = store_prepare(&tx->conn, "UPDATE competitor_notes SET competitor = ?1, offer = ?2, observed_on = ?3, "
                                          "source = ?4, updated_at = ?7 WHERE id = ?8");
    if (st)
        bind_note(st, n);
    return change_one(&tx->conn, st, "competitor note update");
}

int store_tx_competitor_note_delete(store_tx *tx, int64_t id)
{
    sqlite3_stmt *st = store_prepare(&tx->conn, "DELETE FROM competitor_notes WHERE id = ?1");
    if (st)
        sqlite3_bind_int64(st, 1, id);
    return change_one(&tx->conn, st, "competitor note delete");
}

int store_competitor_notes(store_reader *r, const char *competitor, int64_t after_id, int limit,
                           void (*cb)(const store_competitor_note *n, void *arg), void *arg)
{
    /* newest first; a page goes on below the note after_id, wherever its date puts it (a note deleted since ends the
     * list there) */
    sqlite3_stmt *st = store_prepare(&r->conn, "SELECT " NOTE_COLUMNS " FROM competitor_notes WHERE (?1 IS NULL OR "
                                         "competitor = ?1) AND (?3 = 0 OR (observed_on, id) < (SELECT observed_on, id "
                                         "FROM competitor_notes WHERE id = ?3)) ORDER BY observed_on DESC, id DESC "
                                         "LIMIT ?2");
    if (!st)
        return STORE_ERROR;
    store_bind_text_or_null(st, 1, competitor ? competitor : "");
    sqlite3_bind_int(st, 2, limit);
    sqlite3_bind_int64(st, 3, after_id);
    STORE_EACH_ROW(&r->conn, st, store_competitor_note, note_row, cb, arg, STORE_KEEP_ROW, NULL, "competitor notes");
}
