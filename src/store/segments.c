/* Segments in SQLite: the saved segments, static segments' lists, and who is in a segment (count, ids).
 * A dynamic segment's WHERE fragment comes from segment_filter_compile, whose text is ours and whose values are
 * all bound here; such a statement changes with the filter, so it is prepared for the call and finalised after,
 * as are the rarely used statements of this file (they stay out of the shared statement cache). */
#include "store/internal.h"

#include <stdlib.h>
#include <string.h>

void store_segment_release(store_segment *g)
{
    free(g->filter);
    g->filter = NULL;
}

#define SEGMENT_COLUMNS "id, name, description, kind, filter, member_count, created_at, updated_at"

static void segment_from_row(sqlite3_stmt *st, void *out)
{
    store_segment *g = out;
    memset(g, 0, sizeof(*g));
    g->id = sqlite3_column_int64(st, 0);
    store_column_text(st, 1, g->name, sizeof(g->name));
    store_column_text(st, 2, g->description, sizeof(g->description));
    store_column_text(st, 3, g->kind, sizeof(g->kind));
    const char *f = (const char *)sqlite3_column_text(st, 4);
    if (f) {
        g->filter = strdup(f);
        if (!g->filter)
            abort();
    }
    g->member_count = sqlite3_column_int64(st, 5);
    g->created_at = sqlite3_column_int64(st, 6);
    g->updated_at = sqlite3_column_int64(st, 7);
}

static int segment_get(store_conn *c, int64_t id, store_segment *out)
{
    return store_get_by_id(c, "SELECT " SEGMENT_COLUMNS " FROM segments WHERE id = ?", id, segment_from_row, out,
                           "segment get");
}

int store_segment_get(store_reader *r, int64_t id, store_segment *out) { return segment_get(&r->conn, id, out); }
int store_tx_segment_get(store_tx *tx, int64_t id, store_segment *out) { return segment_get(&tx->conn, id, out); }

int store_segment_list(store_reader *r, int64_t after_id, int limit, void (*cb)(const store_segment *g, void *arg),
                       void *arg, int *count)
{
    *count = 0;
    sqlite3_stmt *st = store_prepare(&r->conn, "SELECT " SEGMENT_COLUMNS " FROM segments WHERE id > ? ORDER BY id LIMIT ?");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, after_id);
    sqlite3_bind_int(st, 2, limit);
    STORE_EACH_ROW(&r->conn, st, store_segment, segment_from_row, cb, arg, store_segment_release, count,
                   "segment list");
}

/* Binds name .. updated_at from parameter 1. */
static void bind_segment(sqlite3_stmt *st, const store_segment *g)
{
    sqlite3_bind_text(st, 1, g->name, -1, SQLITE_STATIC);
    store_bind_text_or_null(st, 2, g->description);
    sqlite3_bind_text(st, 3, g->kind, -1, SQLITE_STATIC);
    if (g->filter)
        sqlite3_bind_text(st, 4, g->filter, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, g->member_count);
    sqlite3_bind_int64(st, 6, g->created_at);
    sqlite3_bind_int64(st, 7, g->updated_at);
}

int store_tx_segment_insert(store_tx *tx, store_segment *g)
{
    sqlite3_stmt *st = store_prepare(&tx->conn, "INSERT INTO segments (name, description, kind, filter, member_count, "
                                          "created_at, updated_at) VALUES (?,?,?,?,?,?,?)");
    if (!st)
        return STORE_ERROR;
    bind_segment(st, g);
    int status = store_step_once(&tx->conn, st, "segment insert");
    if (status == STORE_OK)
        g->id = sqlite3_last_insert_rowid(tx->conn.db);
    return status;
}

int store_tx_segment_update(store_tx *tx, const store_segment *g)
{
    sqlite3_stmt *st = store_prepare(&tx->conn, "UPDATE segments SET name = ?1, description = ?2, kind = ?3, filter = ?4, "
                                          "member_count = ?5, created_at = ?6, updated_at = ?7 WHERE id = ?8");
    if (!st)
        return STORE_ERROR;
    bind_segment(st, g);
    sqlite3_bind_int64(st, 8, g->id);
    int status = store_step_once(&tx->conn, st, "segment update");
    if (status == STORE_OK && sqlite3_changes(tx->conn.db) == 0)
        return STORE_NOTFOUND;
    return status;
}

static int members_clear(store_tx *tx, int64_t id)
{
    sqlite3_stmt *st = store_prepare(&tx->conn, "DELETE FROM segment_members WHERE segment_id = ?");
    if (st)
        sqlite3_bind_int64(st, 1, id);
    return store_step_once(&tx->conn, st, "segment members clear");
}

int store_tx_segment_delete(store_tx *tx, int64_t id)
{
    int status = members_clear(tx, id);
    if (status != STORE_OK)
        return status;
    sqlite3_stmt *st = store_prepare(&tx->conn, "DELETE FROM segments WHERE id = ?");
    if (st)
        sqlite3_bind_int64(st, 1, id);
    status = store_step_once(&tx->conn, st, "segment delete");
    if (status == STORE_OK && sqlite3_changes(tx->conn.db) == 0)
        return STORE_NOTFOUND;
    return status;
}

int store_tx_segment_members_set(store_tx *tx, int64_t id, const int64_t *ids, int n, int64_t *stored)
{
    int status = members_clear(tx, id);
    if (status != STORE_OK)
        return status;
    /* INSERT ... SELECT skips ids of no member and of erased ones; OR IGNORE skips repeats. */
    sqlite3_stmt *st = store_prepare(&tx->conn, "INSERT OR IGNORE INTO segment_members (segment_id, member_id) "
                                          "SELECT ?1, id FROM members WHERE id = ?2 AND erased_at IS NULL");
    if (!st)
        return STORE_ERROR;
    int rc = SQLITE_DONE;
    *stored = 0;
    for (int i = 0; i < n && rc == SQLITE_DONE; i++) {
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_int64(st, 2, ids[i]);
        rc = sqlite3_step(st);
        *stored += sqlite3_changes(tx->conn.db);
    }
    sqlite3_finalize(st);
    return store_status_of(&tx->conn, rc, "segment members set");
}

int store_tx_member_id_by_ref(store_tx *tx, const char *external_ref, int64_t *id)
{
    sqlite3_stmt *st = store_prepare(&tx->conn, "SELECT id FROM members WHERE external_ref = ? AND erased_at IS NULL");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_text(st, 1, external_ref, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *id = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? STORE_OK : rc == SQLITE_DONE ? STORE_NOTFOUND : store_status_of(&tx->conn, rc, "ref");
}

/* ---- who is in a segment ---- */

static void bind_params(sqlite3_stmt *st, const segment_sql *s, int first)
{
    for (int i = 0; i < s->count; i++) {
        const segment_param *p = &s->params[i];
        if (p->type == SEGMENT_PARAM_TEXT)
            sqlite3_bind_text(st, first + i, p->text, -1, SQLITE_STATIC);
        else if (p->type == SEGMENT_PARAM_REAL)
            sqlite3_bind_double(st, first + i, p->r);
        else
            sqlite3_bind_int64(st, first + i, p->i);
    }
}

/* Prepares "SELECT what FROM <the members> WHERE <not erased> AND (<the segment's condition>)" + tail, binding
 * the segment's parameters after the first `before` ones (which the caller binds). Returns NULL on error. */
static sqlite3_stmt *segment_stmt(store_conn *c, const store_segment_query *q, const char *what, const char *tail,
                                  int before)
{
    const char *cond =
        q->sql ? q->sql->where : STORE_AUDIENCE_ID " IN (SELECT member_id FROM segment_members WHERE segment_id = ?)";
    const char *from = store_audience_from(q->sql && q->sql->profile);
    size_t len = strlen(what) + strlen(from) + strlen(cond) + strlen(tail) + 64;
    char *sql = malloc(len);
    if (!sql)
        abort();
    snprintf(sql, len, "SELECT %s FROM %s WHERE " STORE_AUDIENCE_LIVE " AND (%s)%s", what, from, cond, tail);
    sqlite3_stmt *st = store_prepare(c, sql);
    free(sql);
    if (!st)
        return NULL;
    if (q->sql)
        bind_params(st, q->sql, before + 1);
    else
        sqlite3_bind_int64(st, before + 1, q->static_id);
    return st;
}

static int param_count(const store_segment_query *q) { return q->sql ? q->sql->count : 1; }

int store_segment_count(store_reader *r, const store_segment_query *q, int64_t *count)
{
    sqlite3_stmt *st = segment_stmt(&r->conn, q, "count(*)", "", 0);
    if (!st)
        return STORE_ERROR;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *count = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? STORE_OK : store_status_of(&r->conn, rc, "segment count");
}

int store_segment_member_ids(store_reader *r, const store_segment_query *q, int64_t after_id, int limit,
                             int64_t *ids, int *n)
{
    *n = 0;
    sqlite3_stmt *st = segment_stmt(&r->conn, q, STORE_AUDIENCE_ID,
                                    " AND " STORE_AUDIENCE_ID " > ? ORDER BY " STORE_AUDIENCE_ID " LIMIT ?", 0);
    if (!st)
        return STORE_ERROR;
    int k = param_count(q);
    sqlite3_bind_int64(st, k + 1, after_id);
    sqlite3_bind_int(st, k + 2, limit);
    int rc = SQLITE_DONE;
    while (*n < limit && (rc = sqlite3_step(st)) == SQLITE_ROW)
        ids[(*n)++] = sqlite3_column_int64(st, 0);
    if (*n == limit)
        rc = SQLITE_DONE;
    sqlite3_finalize(st);
    return store_status_of(&r->conn, rc, "segment members");
}
