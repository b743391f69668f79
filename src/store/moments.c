/* Moments in SQLite: the moments themselves, the members whose day it may be (through an index with their time
 * zone, never a scan of the members), and the exactly-once record (moment_grants, primary key moment, member,
 * year). Statements are prepared per call, as segments.c does: moments are few, and the job prepares a handful of
 * statements per run. A custom moment's index is built from its attribute key, checked to be [a-z][a-z0-9_]* here
 * before it is written into the DDL (the one place SQL is made from a stored value; never from a request's text).
 * Callers: src/http/moments.c, src/jobs/moments.c. */
#include "store/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MOMENT_COLUMNS                                                                                            \
    "id, name, kind, coalesce(attribute, ''), calendar, gift_points, coalesce(gift_reward_id, 0), message, "     \
    "send_hour, holdout_permille, leap_policy, active, created_by, created_at, updated_at"

void store_moment_release(store_moment *m)
{
    if (!m)
        return;
    free(m->message);
    m->message = NULL;
}

static void moment_from_row(sqlite3_stmt *st, void *out)
{
    store_moment *m = out;
    memset(m, 0, sizeof(*m));
    m->id = sqlite3_column_int64(st, 0);
    store_column_text(st, 1, m->name, sizeof(m->name));
    store_column_text(st, 2, m->kind, sizeof(m->kind));
    store_column_text(st, 3, m->attribute, sizeof(m->attribute));
    store_column_text(st, 4, m->calendar, sizeof(m->calendar));
    m->gift_points = sqlite3_column_int64(st, 5);
    m->gift_reward_id = sqlite3_column_int64(st, 6);
    const unsigned char *msg = sqlite3_column_text(st, 7);
    m->message = msg ? strdup((const char *)msg) : NULL;
    if (msg && !m->message)
        abort(); /* out of memory */
    m->send_hour = sqlite3_column_int(st, 8);
    m->holdout_permille = sqlite3_column_int(st, 9);
    store_column_text(st, 10, m->leap_policy, sizeof(m->leap_policy));
    m->active = sqlite3_column_int(st, 11) != 0;
    store_column_text(st, 12, m->created_by, sizeof(m->created_by));
    m->created_at = sqlite3_column_int64(st, 13);
    m->updated_at = sqlite3_column_int64(st, 14);
}

static bool attribute_key_ok(const char *k)
{
    size_t n = strlen(k);
    if (n == 0 || n > STORE_MOMENT_ATTR_MAX || k[0] < 'a' || k[0] > 'z')
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((k[i] >= 'a' && k[i] <= 'z') || (k[i] >= '0' && k[i] <= '9') || k[i] == '_'))
            return false;
    return true;
}

/* The month-day of a custom attribute's date, as the index and the query must both spell it. */
static void attr_md_expr(const char *key, char *out, size_t cap)
{
    snprintf(out, cap,
             "(CAST(substr(json_extract(attributes, '$.%s'), 6, 2) AS INTEGER) * 100 + "
             "CAST(substr(json_extract(attributes, '$.%s'), 9, 2) AS INTEGER))",
             key, key);
}

static int attribute_index(store_tx *tx, const char *key)
{
    char expr[256], sql[512];
    attr_md_expr(key, expr, sizeof(expr));
    snprintf(sql, sizeof(sql), "CREATE INDEX IF NOT EXISTS members_attr_md_%s ON members(%s, time_zone)", key, expr);
    return store_status_of(&tx->conn, sqlite3_exec(tx->conn.db, sql, NULL, NULL, NULL), "moment attribute index");
}

/* Binds name .. updated_at from parameter 1 (name, calendar, gift_points, gift_reward_id, message, send_hour,
 * holdout_permille, leap_policy, active, updated_at). */
static void bind_moment(sqlite3_stmt *st, const store_moment *m)
{
    sqlite3_bind_text(st, 1, m->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, m->calendar, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, m->gift_points);
    if (m->gift_reward_id)
        sqlite3_bind_int64(st, 4, m->gift_reward_id);
    if (m->message)
        sqlite3_bind_text(st, 5, m->message, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 6, m->send_hour);
    sqlite3_bind_int(st, 7, m->holdout_permille);
    sqlite3_bind_text(st, 8, m->leap_policy, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 9, m->active ? 1 : 0);
    sqlite3_bind_int64(st, 10, m->updated_at);
}

int store_tx_moment_insert(store_tx *tx, store_moment *m)
{
    bool custom = strcmp(m->kind, "custom") == 0;
    if (custom && !attribute_key_ok(m->attribute))
        return STORE_INVALID;
    int status = custom ? attribute_index(tx, m->attribute) : STORE_OK;
    if (status != STORE_OK)
        return status;
    sqlite3_stmt *st = store_prepare(&tx->conn, "INSERT INTO moments (name, calendar, gift_points, gift_reward_id, message, "
                                          "send_hour, holdout_permille, leap_policy, active, updated_at, kind, "
                                          "attribute, created_by, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    if (!st)
        return STORE_ERROR;
    bind_moment(st, m);
    sqlite3_bind_text(st, 11, m->kind, -1, SQLITE_STATIC);
    if (custom)
        sqlite3_bind_text(st, 12, m->attribute, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 13, m->created_by, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 14, m->created_at);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc == SQLITE_DONE)
        m->id = sqlite3_last_insert_rowid(tx->conn.db);
    return store_status_of(&tx->conn, rc, "moment insert");
}

int store_tx_moment_update(store_tx *tx, const store_moment *m)
{
    sqlite3_stmt *st = store_prepare(&tx->conn, "UPDATE moments SET name = ?1, calendar = ?2, gift_points = ?3, "
                                          "gift_reward_id = ?4, message = ?5, send_hour = ?6, holdout_permille = ?7, "
                                          "leap_policy = ?8, active = ?9, updated_at = ?10 WHERE id = ?11");
    if (!st)
        return STORE_ERROR;
    bind_moment(st, m);
    sqlite3_bind_int64(st, 11, m->id);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc == SQLITE_DONE && sqlite3_changes(tx->conn.db) == 0)
        return STORE_NOTFOUND;
    return store_status_of(&tx->conn, rc, "moment update");
}

static int moment_get(store_conn *c, int64_t id, store_moment *out)
{
    return store_get_by_id(c, "SELECT " MOMENT_COLUMNS " FROM moments WHERE id = ?", id, moment_from_row, out,
                           "moment get");
}

int store_tx_moment_get(store_tx *tx, int64_t id, store_moment *out) { return moment_get(&tx->conn, id, out); }
int store_moment_get(store_reader *r, int64_t id, store_moment *out) { return moment_get(&r->conn, id, out); }

int store_moment_list(store_reader *r, int64_t after_id, int limit, void (*cb)(const store_moment *m, void *arg),
                      void *arg, int *count)
{
    *count = 0;
    sqlite3_stmt *st = store_prepare(&r->conn, "SELECT " MOMENT_COLUMNS " FROM moments WHERE id > ? ORDER BY id LIMIT ?");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, after_id);
    sqlite3_bind_int(st, 2, limit);
    STORE_EACH_ROW(&r->conn, st, store_moment, moment_from_row, cb, arg, store_moment_release, count, "moment list");
}

int store_tx_moments_active(store_tx *tx, store_moment *out, int cap, int *n)
{
    *n = 0;
    sqlite3_stmt *st = store_prepare(&tx->conn, "SELECT " MOMENT_COLUMNS " FROM moments WHERE active = 1 ORDER BY id LIMIT ?");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int(st, 1, cap);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && *n < cap)
        moment_from_row(st, &out[(*n)++]);
    sqlite3_finalize(st);
    return store_status_of(&tx->conn, rc == SQLITE_ROW ? SQLITE_DONE : rc, "moments active");
}

int store_tx_moment_candidates(store_tx *tx, const store_moment *m, const char *cal, int md,
                               store_moment_candidate *out, int cap, int *n)
{
    *n = 0;
    char sql[640];
    if (strcmp(m->kind, "birthday") == 0)
        snprintf(sql, sizeof(sql), "%s", "SELECT id, time_zone, 0 FROM members INDEXED BY members_birthday "
                                         "WHERE birthday_calendar = ?1 AND " MEMBER_BIRTHDAY_MD_SQL " = ?2");
    else if (strcmp(m->kind, "anniversary") == 0)
        snprintf(sql, sizeof(sql), "%s", "SELECT id, time_zone, created_at FROM members INDEXED BY members_joined "
                                         "WHERE " MEMBER_JOINED_MD_SQL " = ?2");
    else {
        if (!attribute_key_ok(m->attribute))
            return STORE_INVALID;
        char expr[256];
        attr_md_expr(m->attribute, expr, sizeof(expr));
        snprintf(sql, sizeof(sql), "SELECT id, time_zone, 0 FROM members INDEXED BY members_attr_md_%s "
                                   "WHERE %s = ?2", m->attribute, expr);
    }
    sqlite3_stmt *st = store_prepare(&tx->conn, sql);
    if (!st)
        return STORE_ERROR;
    if (strcmp(m->kind, "birthday") == 0)
        sqlite3_bind_text(st, 1, cal, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, md);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && *n < cap) {
        store_moment_candidate *c = &out[(*n)++];
        c->member_id = sqlite3_column_int64(st, 0);
        store_column_text(st, 1, c->time_zone, sizeof(c->time_zone));
        c->created_at = sqlite3_column_int64(st, 2);
    }
    sqlite3_finalize(st);
    return store_status_of(&tx->conn, rc == SQLITE_ROW ? SQLITE_DONE : rc, "moment candidates");
}

int store_tx_moment_attribute(store_tx *tx, const store_moment *m, int64_t member_id, char *out, size_t cap)
{
    out[0] = '\0';
    sqlite3_stmt *st = store_prepare(&tx->conn, "SELECT json_extract(attributes, '$.' || ?1) FROM members WHERE id = ?2");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_text(st, 1, m->attribute, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, member_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) == SQLITE_TEXT)
        store_column_text(st, 0, out, cap);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? STORE_OK : rc == SQLITE_DONE ? STORE_NOTFOUND
                                                           : store_status_of(&tx->conn, rc, "moment attribute");
}

int store_tx_moment_granted(store_tx *tx, int64_t moment_id, int64_t member_id, int year, bool *granted)
{
    sqlite3_stmt *st = store_stmt(&tx->conn, STMT_MOMENT_GRANTED,
                                  "SELECT 1 FROM moment_grants WHERE moment_id = ? AND member_id = ? AND year = ?");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, moment_id);
    sqlite3_bind_int64(st, 2, member_id);
    sqlite3_bind_int(st, 3, year);
    int rc = sqlite3_step(st);
    *granted = rc == SQLITE_ROW;
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? STORE_OK : store_status_of(&tx->conn, rc, "moment granted");
}

int store_tx_moment_grant_insert(store_tx *tx, const store_moment_grant *g)
{
    sqlite3_stmt *st = store_prepare(&tx->conn, "INSERT INTO moment_grants (moment_id, member_id, year, outcome, reason, "
                                          "points, redemption_id, message_id, message, cost_minor, at) "
                                          "VALUES (?,?,?,?,?,?,?,?,?,?,?)");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, g->moment_id);
    sqlite3_bind_int64(st, 2, g->member_id);
    sqlite3_bind_int(st, 3, g->year);
    sqlite3_bind_text(st, 4, g->outcome, -1, SQLITE_STATIC);
    store_bind_text_or_null(st, 5, g->reason);
    sqlite3_bind_int64(st, 6, g->points);
    if (g->redemption_id)
        sqlite3_bind_int64(st, 7, g->redemption_id);
    if (g->message_id)
        sqlite3_bind_int64(st, 8, g->message_id);
    sqlite3_bind_text(st, 9, g->message[0] ? g->message : "none", -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 10, g->cost_minor);
    sqlite3_bind_int64(st, 11, g->at);
    int rc = sqlite3_step(st);
    int ext = sqlite3_extended_errcode(tx->conn.db);
    sqlite3_finalize(st);
    if (ext == SQLITE_CONSTRAINT_PRIMARYKEY)
        return STORE_CONFLICT;
    return store_status_of(&tx->conn, rc, "moment grant insert");
}

int store_tx_moment_cost(store_tx *tx, int64_t moment_id, const char *category, int64_t amount_minor, int64_t at,
                         const char *ref)
{
    sqlite3_stmt *st = store_stmt(&tx->conn, STMT_MOMENT_COST,
                                  "INSERT INTO costs (category, amount_minor, at, source, ref, note, actor, created_at) "
                                  "VALUES (?1, ?2, ?3, 'moment', ?4, 'moment:' || ?5, 'moment:' || ?5, ?3)");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_text(st, 1, category, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, amount_minor);
    sqlite3_bind_int64(st, 3, at);
    sqlite3_bind_text(st, 4, ref, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, moment_id);
    return store_step_reset(&tx->conn, st, "moment cost");
}

int store_moment_grants(store_reader *r, int64_t moment_id, int limit,
                        void (*cb)(const store_moment_grant *g, void *arg), void *arg)
{
    sqlite3_stmt *st = store_prepare(&r->conn, "SELECT member_id, year, outcome, coalesce(reason, ''), points, "
                                         "coalesce(redemption_id, 0), coalesce(message_id, 0), message, cost_minor, at "
                                         "FROM moment_grants WHERE moment_id = ? ORDER BY at DESC, member_id DESC "
                                         "LIMIT ?");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, moment_id);
    sqlite3_bind_int(st, 2, limit > STORE_MOMENT_GRANTS_MAX ? STORE_MOMENT_GRANTS_MAX : limit);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        store_moment_grant g = {.moment_id = moment_id};
        g.member_id = sqlite3_column_int64(st, 0);
        g.year = sqlite3_column_int(st, 1);
        store_column_text(st, 2, g.outcome, sizeof(g.outcome));
        store_column_text(st, 3, g.reason, sizeof(g.reason));
        g.points = sqlite3_column_int64(st, 4);
        g.redemption_id = sqlite3_column_int64(st, 5);
        g.message_id = sqlite3_column_int64(st, 6);
        store_column_text(st, 7, g.message, sizeof(g.message));
        g.cost_minor = sqlite3_column_int64(st, 8);
        g.at = sqlite3_column_int64(st, 9);
        cb(&g, arg);
    }
    sqlite3_finalize(st);
    return store_status_of(&r->conn, rc, "moment grants");
}
