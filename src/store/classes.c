/* Classes, RFM scores and value in SQLite: the class settings (programme columns), the cuts of the last RFM
 * recompute (rfm_cuts), each member's class columns and the history of class moves (class_changes).
 * Callers: src/app/classes.c (purchases and the recompute) and src/http/classes.c (settings, history). */
#include "store/internal.h"

#include <stdlib.h>
#include <string.h>

#include "core/timefmt.h"

#define SETTINGS_COLUMNS                                                                                           \
    "class_new_days, class_lapsed_days, class_at_risk_margin_pct, class_at_risk_min_days, "                       \
    "class_at_risk_single_days, class_main_rfm_min, class_main_m_min, value_horizon_days, value_min_tenure_days"
#define CUTS_COLUMNS "r2, r3, r4, r5, f2, f3, f4, f5, m2, m3, m4, m5, customers"
#define POPULATION_FIRST_MAX ((size_t)1 << 24) /* rows the population arrays hold before they must grow */
#define MMAP_BYTES_TEXT "2147418112" /* SQLite's usual cap on memory-mapped I/O */
#define CLASS_COLUMNS                                                                                                  \
    "member_id, purchase_count, total_spent_minor, first_purchase_at, last_purchase_at, class, class_since, rfm_r, "   \
    "rfm_f, rfm_m, rfm_at, value_minor"

static void bind_or_null(sqlite3_stmt *st, int i, int64_t v)
{
    if (v)
        sqlite3_bind_int64(st, i, v);
    else
        sqlite3_bind_null(st, i);
}

static void settings_from_row(sqlite3_stmt *st, class_settings *s)
{
    s->new_days = sqlite3_column_int(st, 0);
    s->lapsed_days = sqlite3_column_int(st, 1);
    s->at_risk_margin_pct = sqlite3_column_int(st, 2);
    s->at_risk_min_days = sqlite3_column_int(st, 3);
    s->at_risk_single_days = sqlite3_column_int(st, 4);
    s->main_rfm_min = sqlite3_column_int(st, 5);
    s->main_m_min = sqlite3_column_int(st, 6);
    s->value_horizon_days = sqlite3_column_int(st, 7);
    s->value_min_tenure_days = sqlite3_column_int(st, 8);
}

static int settings_get(store_conn *c, class_settings *out)
{
    sqlite3_stmt *st =
        store_stmt(c, STMT_CLASS_SETTINGS_GET, "SELECT " SETTINGS_COLUMNS " FROM programme WHERE id = 1");
    if (!st)
        return STORE_ERROR;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        settings_from_row(st, out);
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? STORE_OK : store_status_of(c, rc == SQLITE_DONE ? SQLITE_ERROR : rc, "class settings");
}

int store_class_settings_read(store_reader *r, class_settings *out) { return settings_get(&r->conn, out); }
int store_tx_class_settings_get(store_tx *tx, class_settings *out) { return settings_get(&tx->conn, out); }

int store_tx_class_settings_update(store_tx *tx, const class_settings *s)
{
    sqlite3_stmt *st = store_stmt(&tx->conn, STMT_CLASS_SETTINGS_SET,
                                  "UPDATE programme SET class_new_days=?, class_lapsed_days=?, "
                                  "class_at_risk_margin_pct=?, class_at_risk_min_days=?, class_at_risk_single_days=?, "
                                  "class_main_rfm_min=?, class_main_m_min=?, value_horizon_days=?, "
                                  "value_min_tenure_days=? WHERE id = 1");
    if (st) {
        const int v[] = {s->new_days,     s->lapsed_days, s->at_risk_margin_pct, s->at_risk_min_days,
                         s->at_risk_single_days, s->main_rfm_min, s->main_m_min, s->value_horizon_days,
                         s->value_min_tenure_days};
        for (int i = 0; i < (int)(sizeof(v) / sizeof(v[0])); i++)
            sqlite3_bind_int(st, i + 1, v[i]);
    }
    store_cache_forget(tx); /* the writer's cached class settings */
    return store_step_reset(&tx->conn, st, "class settings update");
}

static void cuts_from_row(sqlite3_stmt *st, int first, rfm_all_cuts *c)
{
    rfm_cuts *dims[3] = {&c->r, &c->f, &c->m};
    for (int d = 0; d < 3; d++)
        for (int s = 2; s <= RFM_SCORE_MAX; s++)
            dims[d]->cut[s] = sqlite3_column_int64(st, first + d * 4 + (s - 2));
    c->customers = sqlite3_column_int64(st, first + 12);
}

/* The class settings and the cuts of the last recompute, from the writer's cache (cache.c) when it holds them:
 * every purchase classifies its buyer with them, and they change only with the settings or a recompute. */
int store_tx_class_context(store_tx *tx, class_settings *s, rfm_all_cuts *cuts)
{
    store_cache *c = store_cache_of(tx);
    if (c->class_gen == tx->gen) {
        *s = c->class_settings;
        *cuts = c->class_cuts;
        return STORE_OK;
    }
    sqlite3_stmt *st = store_stmt(&tx->conn, STMT_CLASS_CONTEXT,
                                  "SELECT " SETTINGS_COLUMNS ", " CUTS_COLUMNS
                                  " FROM programme p LEFT JOIN rfm_cuts c ON c.id = 1 WHERE p.id = 1");
    if (!st)
        return STORE_ERROR;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        settings_from_row(st, s);
        memset(cuts, 0, sizeof(*cuts));
        if (sqlite3_column_type(st, 9) != SQLITE_NULL)
            cuts_from_row(st, 9, cuts);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_ROW)
        return store_status_of(&tx->conn, rc == SQLITE_DONE ? SQLITE_ERROR : rc, "class context");
    c->class_settings = *s;
    c->class_cuts = *cuts;
    c->class_gen = tx->gen;
    return STORE_OK;
}

int store_tx_rfm_cuts_set(store_tx *tx, const rfm_all_cuts *c, int64_t at)
{
    sqlite3_stmt *st = store_stmt(&tx->conn, STMT_RFM_CUTS_SET,
                                  "INSERT OR REPLACE INTO rfm_cuts (id, " CUTS_COLUMNS ", computed_at) "
                                  "VALUES (1, ?,?,?,?, ?,?,?,?, ?,?,?,?, ?, ?)");
    if (st) {
        const rfm_cuts *dims[3] = {&c->r, &c->f, &c->m};
        for (int d = 0; d < 3; d++)
            for (int s = 2; s <= RFM_SCORE_MAX; s++)
                sqlite3_bind_int64(st, 1 + d * 4 + (s - 2), dims[d]->cut[s]);
        sqlite3_bind_int64(st, 13, c->customers);
        sqlite3_bind_int64(st, 14, at);
    }
    store_cache_forget(tx); /* the writer's cached cuts */
    return store_step_reset(&tx->conn, st, "rfm cuts set");
}

static void class_from_row(sqlite3_stmt *st, store_member_class *mc)
{
    memset(mc, 0, sizeof(*mc));
    mc->id = sqlite3_column_int64(st, 0);
    mc->purchase_count = sqlite3_column_int64(st, 1);
    mc->total_spent_minor = sqlite3_column_int64(st, 2);
    mc->first_purchase_at = sqlite3_column_int64(st, 3);
    mc->last_purchase_at = sqlite3_column_int64(st, 4);
    store_column_text(st, 5, mc->class_name, sizeof(mc->class_name));
    mc->class_since = sqlite3_column_int64(st, 6);
    mc->r = sqlite3_column_int(st, 7);
    mc->f = sqlite3_column_int(st, 8);
    mc->m = sqlite3_column_int(st, 9);
    mc->rfm_at = sqlite3_column_int64(st, 10);
    mc->has_value = sqlite3_column_type(st, 11) != SQLITE_NULL;
    mc->value_minor = sqlite3_column_int64(st, 11);
}

int store_tx_member_class_get(store_tx *tx, int64_t member_id, store_member_class *out)
{
    sqlite3_stmt *st =
        store_stmt(&tx->conn, STMT_MEMBER_CLASS_GET, "SELECT " CLASS_COLUMNS " FROM member_stats WHERE member_id = ?");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, member_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        class_from_row(st, out);
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? STORE_OK : rc == SQLITE_DONE ? STORE_NOTFOUND : store_status_of(&tx->conn, rc, "class get");
}

int store_tx_member_class_page(store_tx *tx, int64_t after_id, store_member_class *out, int cap, int *n)
{
    sqlite3_stmt *st =
        store_stmt(&tx->conn, STMT_MEMBER_CLASS_PAGE,
                   "SELECT " CLASS_COLUMNS " FROM member_stats WHERE member_id > ? ORDER BY member_id LIMIT ?");
    *n = 0;
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, after_id);
    sqlite3_bind_int(st, 2, cap);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && *n < cap)
        class_from_row(st, &out[(*n)++]);
    sqlite3_reset(st);
    return store_status_of(&tx->conn, rc == SQLITE_ROW ? SQLITE_DONE : rc, "class page");
}

int store_tx_member_class_set(store_tx *tx, const store_member_class *mc, bool class_moved)
{
    sqlite3_stmt *st =
        class_moved ? store_stmt(&tx->conn, STMT_MEMBER_CLASS_SET,
                                 "UPDATE member_stats SET first_purchase_at = ?1, rfm_r = ?2, rfm_f = ?3, rfm_m = ?4, "
                                 "rfm_at = ?5, value_minor = ?6, class = ?8, class_since = ?9 WHERE member_id = ?7")
                    : store_stmt(&tx->conn, STMT_MEMBER_SCORES_SET,
                                 "UPDATE member_stats SET first_purchase_at = ?1, rfm_r = ?2, rfm_f = ?3, rfm_m = ?4, "
                                 "rfm_at = ?5, value_minor = ?6 WHERE member_id = ?7");
    if (st) {
        bind_or_null(st, 1, mc->first_purchase_at);
        bind_or_null(st, 2, mc->r);
        bind_or_null(st, 3, mc->f);
        bind_or_null(st, 4, mc->m);
        bind_or_null(st, 5, mc->rfm_at);
        if (mc->has_value)
            sqlite3_bind_int64(st, 6, mc->value_minor);
        sqlite3_bind_int64(st, 7, mc->id);
        if (class_moved) {
            sqlite3_bind_text(st, 8, mc->class_name, -1, SQLITE_STATIC);
            bind_or_null(st, 9, mc->class_since);
        }
    }
    return store_step_reset(&tx->conn, st, "class set");
}

int store_tx_class_change_insert(store_tx *tx, int64_t member_id, const char *from_class, const char *to_class,
                                 int64_t at, const char *reason)
{
    sqlite3_stmt *st = store_stmt(&tx->conn, STMT_CLASS_CHANGE_INSERT,
                                  "INSERT INTO class_changes (member_id, from_class, to_class, at, reason) "
                                  "VALUES (?,?,?,?,?)");
    if (st) {
        sqlite3_bind_int64(st, 1, member_id);
        store_bind_text_or_null(st, 2, from_class);
        sqlite3_bind_text(st, 3, to_class, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 4, at);
        sqlite3_bind_text(st, 5, reason, -1, SQLITE_STATIC);
    }
    return store_step_reset(&tx->conn, st, "class change insert");
}

void store_class_population_release(store_class_population *p)
{
    free(p->last);
    free(p->count);
    free(p->spent);
    memset(p, 0, sizeof(*p));
}

static int population_grow(store_class_population *p, size_t cap)
{
    int64_t **arrays[3] = {&p->last, &p->count, &p->spent};
    for (int i = 0; i < 3; i++) {
        int64_t *a = realloc(*arrays[i], cap * sizeof(int64_t));
        if (!a)
            abort(); /* out of memory */
        *arrays[i] = a;
    }
    return STORE_OK;
}

int store_member_id_max(store_reader *r, int64_t *out)
{
    sqlite3_stmt *st = store_stmt(&r->conn, STMT_MEMBER_ID_MAX, "SELECT coalesce(max(id), 0) FROM members");
    if (!st)
        return STORE_ERROR;
    int rc = sqlite3_step(st);
    *out = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    return store_status_of(&r->conn, rc, "member id max");
}

int store_class_population_read(store_reader *r, int64_t after_id, int64_t upto_id, store_class_population *p)
{
    memset(p, 0, sizeof(*p));
    /* A scan of the whole member_stats table: memory-mapped pages spare a read() and a copy per page (a third of the
     * scan's CPU time at a million members). Readers of the recompute are its own, closed after the scan. */
    sqlite3_exec(r->conn.db, "PRAGMA mmap_size=" MMAP_BYTES_TEXT, NULL, NULL, NULL);
    sqlite3_stmt *st = store_stmt(&r->conn, STMT_CLASS_POPULATION,
                                  "SELECT last_purchase_at, purchase_count, total_spent_minor FROM member_stats "
                                  "WHERE member_id > ?1 AND member_id <= ?2 AND purchase_count > 0");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, after_id);
    sqlite3_bind_int64(st, 2, upto_id);
    /* Room for every id of the range at once (pages never written cost nothing), so a million rows are never
     * copied by growing arrays; a very sparse range starts smaller and doubles. */
    size_t cap = upto_id > after_id ? (size_t)(upto_id - after_id) : 0;
    cap = cap > POPULATION_FIRST_MAX ? POPULATION_FIRST_MAX : cap;
    if (cap)
        population_grow(p, cap);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (p->n == cap)
            population_grow(p, cap = cap ? cap * 2 : 4096);
        p->last[p->n] = sqlite3_column_int64(st, 0);
        p->count[p->n] = sqlite3_column_int64(st, 1);
        p->spent[p->n] = sqlite3_column_int64(st, 2);
        p->n++;
    }
    sqlite3_reset(st);
    int status = store_status_of(&r->conn, rc, "class population");
    if (status != STORE_OK)
        store_class_population_release(p);
    return status;
}

int store_class_history(store_reader *r, int64_t member_id, int64_t after_id, int limit, json_t *items)
{
    sqlite3_stmt *st = store_stmt(&r->conn, STMT_CLASS_HISTORY,
                                  "SELECT id, from_class, to_class, at, reason FROM class_changes "
                                  "WHERE member_id = ? AND id > ? ORDER BY id LIMIT ?");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, member_id);
    sqlite3_bind_int64(st, 2, after_id);
    sqlite3_bind_int(st, 3, limit);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *from = (const char *)sqlite3_column_text(st, 1);
        json_array_append_new(items, json_pack("{s:I, s:s?, s:s, s:o, s:s}", "id",
                                               (json_int_t)sqlite3_column_int64(st, 0), "from", from, "to",
                                               (const char *)sqlite3_column_text(st, 2), "at",
                                               timefmt_json(sqlite3_column_int64(st, 3)), "reason",
                                               (const char *)sqlite3_column_text(st, 4)));
    }
    sqlite3_reset(st);
    return store_status_of(&r->conn, rc, "class history");
}
