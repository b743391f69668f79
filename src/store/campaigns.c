/* Campaigns in SQLite: the campaigns, their changes of state, waves and assignments, what they spent against their
 * budget, the club's costs, and the live multiplier campaigns the writer keeps for the purchase path.
 *
 * Invariant: spent_points and spent_money_minor only grow through store_tx_campaign_spend, whose one UPDATE adds
 * and checks the budget together, so a grant that would pass the cap is refused in the commit that would have
 * passed it (the CHECK constraints of 0009 are a last line behind it). Writing a campaign forgets the writer's
 * cache, as writing a rule does. The grant path's statements are cached; the rest are prepared per call. */
#include "store/internal.h"

#include <stdlib.h>
#include <string.h>

static char *dup_column(sqlite3_stmt *st, int i)
{
    const char *t = (const char *)sqlite3_column_text(st, i);
    if (!t)
        return NULL;
    char *d = strdup(t);
    if (!d)
        abort(); /* out of memory */
    return d;
}

void store_campaign_release(store_campaign *c)
{
    free(c->audience);
    free(c->offer);
    free(c->message);
    c->audience = c->offer = c->message = NULL;
}

#define CAMPAIGN_COLUMNS                                                                                          \
    "id, name, goal, metric, metric_days, survey_id, audience, starts_at, ends_at, offer, message, "               \
    "budget_money_minor, budget_points, spent_money_minor, spent_points, state, holdout_share_permille, "         \
    "created_by, created_at, updated_at, guard_discount_permille, guard_giveback_permille, guard_give_max_minor, " \
    "guard_revenue_minor, coalesce(guard_at, 0)"

static void campaign_from_row(sqlite3_stmt *st, void *out)
{
    store_campaign *c = out;
    memset(c, 0, sizeof(*c));
    c->id = sqlite3_column_int64(st, 0);
    store_column_text(st, 1, c->name, sizeof(c->name));
    store_column_text(st, 2, c->goal, sizeof(c->goal));
    store_column_text(st, 3, c->metric, sizeof(c->metric));
    c->metric_days = sqlite3_column_int(st, 4);
    c->survey_id = sqlite3_column_int64(st, 5);
    c->audience = dup_column(st, 6);
    c->starts_at = sqlite3_column_int64(st, 7);
    c->ends_at = sqlite3_column_int64(st, 8);
    c->offer = dup_column(st, 9);
    c->message = dup_column(st, 10);
    c->budget_money_minor = sqlite3_column_int64(st, 11);
    c->budget_points = sqlite3_column_int64(st, 12);
    c->spent_money_minor = sqlite3_column_int64(st, 13);
    c->spent_points = sqlite3_column_int64(st, 14);
    store_column_text(st, 15, c->state, sizeof(c->state));
    c->holdout_share_permille = sqlite3_column_int(st, 16);
    store_column_text(st, 17, c->created_by, sizeof(c->created_by));
    c->created_at = sqlite3_column_int64(st, 18);
    c->updated_at = sqlite3_column_int64(st, 19);
    c->guard_discount_permille = sqlite3_column_int64(st, 20);
    c->guard_giveback_permille = sqlite3_column_int64(st, 21);
    c->guard_give_max_minor = sqlite3_column_int64(st, 22);
    c->guard_revenue_minor = sqlite3_column_int64(st, 23);
    c->guard_at = sqlite3_column_int64(st, 24);
}

static int campaign_get(store_conn *c, int64_t id, store_campaign *out)
{
    return store_get_by_id(c, "SELECT " CAMPAIGN_COLUMNS " FROM campaigns WHERE id = ?", id, campaign_from_row, out,
                           "campaign get");
}

int store_campaign_get(store_reader *r, int64_t id, store_campaign *out) { return campaign_get(&r->conn, id, out); }
int store_tx_campaign_get(store_tx *tx, int64_t id, store_campaign *out) { return campaign_get(&tx->conn, id, out); }

int store_campaign_list(store_reader *r, const char *state, int64_t after_id, int limit,
                        void (*cb)(const store_campaign *c, void *arg), void *arg, int *count)
{
    sqlite3_stmt *st = store_prepare(&r->conn, "SELECT " CAMPAIGN_COLUMNS " FROM campaigns WHERE id > ?1 AND "
                                         "(?2 IS NULL OR state = ?2) ORDER BY id LIMIT ?3");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, after_id);
    if (state)
        sqlite3_bind_text(st, 2, state, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, limit);
    *count = 0;
    STORE_EACH_ROW(&r->conn, st, store_campaign, campaign_from_row, cb, arg, store_campaign_release, count,
                   "campaign list");
}

static void bind_zero_null(sqlite3_stmt *st, int i, int64_t v)
{
    if (v)
        sqlite3_bind_int64(st, i, v);
    else
        sqlite3_bind_null(st, i);
}

/* Binds the columns a person sets, as ?1..?15 in the order of the insert. */
static void bind_campaign(sqlite3_stmt *st, const store_campaign *c)
{
    sqlite3_bind_text(st, 1, c->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, c->goal, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, c->metric, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 4, c->metric_days);
    bind_zero_null(st, 5, c->survey_id);
    sqlite3_bind_text(st, 6, c->audience, -1, SQLITE_STATIC);
    bind_zero_null(st, 7, c->starts_at);
    bind_zero_null(st, 8, c->ends_at);
    sqlite3_bind_text(st, 9, c->offer, -1, SQLITE_STATIC);
    store_bind_text_or_null(st, 10, c->message ? c->message : "");
    sqlite3_bind_int64(st, 11, c->budget_money_minor);
    sqlite3_bind_int64(st, 12, c->budget_points);
    sqlite3_bind_int(st, 13, c->holdout_share_permille);
    sqlite3_bind_int64(st, 14, c->updated_at);
}

int store_tx_campaign_insert(store_tx *tx, store_campaign *c)
{
    sqlite3_stmt *st = store_prepare(&tx->conn, "INSERT INTO campaigns (name, goal, metric, metric_days, survey_id, "
                                          "audience, starts_at, ends_at, offer, message, budget_money_minor, "
                                          "budget_points, holdout_share_permille, updated_at, created_by, created_at, "
                                          "state) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, "
                                          "?14, ?15, ?16, 'draft')");
    if (!st)
        return STORE_ERROR;
    bind_campaign(st, c);
    sqlite3_bind_text(st, 15, c->created_by, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 16, c->created_at);
    int status = store_step_once(&tx->conn, st, "campaign insert");
    if (status != STORE_OK)
        return status;
    c->id = sqlite3_last_insert_rowid(tx->conn.db);
    snprintf(c->state, sizeof(c->state), "draft");
    store_cache_forget(tx);
    /* The campaign's ledger account: the points it gives leave from here (its balance is minus what it gave). */
    st = store_prepare(&tx->conn, "INSERT INTO club_accounts (account, balance) VALUES ('campaign:' || ?, 0)");
    if (st)
        sqlite3_bind_int64(st, 1, c->id);
    return store_step_once(&tx->conn, st, "campaign account");
}

int store_tx_campaign_update(store_tx *tx, const store_campaign *c)
{
    sqlite3_stmt *st = store_prepare(&tx->conn, "UPDATE campaigns SET name = ?1, goal = ?2, metric = ?3, metric_days = ?4, "
                                          "survey_id = ?5, audience = ?6, starts_at = ?7, ends_at = ?8, offer = ?9, "
                                          "message = ?10, budget_money_minor = ?11, budget_points = ?12, "
                                          "holdout_share_permille = ?13, updated_at = ?14 WHERE id = ?15");
    if (!st)
        return STORE_ERROR;
    bind_campaign(st, c);
    sqlite3_bind_int64(st, 15, c->id);
    store_cache_forget(tx); /* the writer's cached multiplier campaigns */
    int status = store_step_once(&tx->conn, st, "campaign update");
    return status == STORE_OK && sqlite3_changes(tx->conn.db) != 1 ? STORE_NOTFOUND : status;
}

int store_tx_campaign_guard_set(store_tx *tx, const store_campaign *c)
{
    sqlite3_stmt *st = store_prepare(&tx->conn, "UPDATE campaigns SET guard_discount_permille = ?2, "
                                          "guard_giveback_permille = ?3, guard_give_max_minor = ?4, "
                                          "guard_revenue_minor = ?5, guard_at = ?6 WHERE id = ?1");
    if (st) {
        sqlite3_bind_int64(st, 1, c->id);
        sqlite3_bind_int64(st, 2, c->guard_discount_permille);
        sqlite3_bind_int64(st, 3, c->guard_giveback_permille);
        sqlite3_bind_int64(st, 4, c->guard_give_max_minor);
        sqlite3_bind_int64(st, 5, c->guard_revenue_minor);
        sqlite3_bind_int64(st, 6, c->guard_at);
    }
    return store_step_once(&tx->conn, st, "campaign guard");
}

/* Moves the row from `from` to `to`: STORE_CONFLICT when it is no longer in `from`. */
static int state_move(store_tx *tx, int64_t id, const char *from, const char *to, int64_t now)
{
    sqlite3_stmt *st = store_prepare(&tx->conn, "UPDATE campaigns SET state = ?3, updated_at = ?4 WHERE id = ?1 AND "
                                          "state = ?2");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_text(st, 2, from, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, to, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, now);
    store_cache_forget(tx); /* the writer's cached multiplier campaigns */
    int status = store_step_once(&tx->conn, st, "campaign state");
    return status == STORE_OK && sqlite3_changes(tx->conn.db) != 1 ? STORE_CONFLICT : status;
}

int store_tx_campaign_touch(store_tx *tx, int64_t id, const char *state, int64_t now)
{
    sqlite3_stmt *st =
        store_prepare(&tx->conn, "UPDATE campaigns SET updated_at = ?3 WHERE id = ?1 AND state = ?2");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_text(st, 2, state, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, now);
    int status = store_step_once(&tx->conn, st, "campaign touch");
    return status == STORE_OK && sqlite3_changes(tx->conn.db) != 1 ? STORE_CONFLICT : status;
}

int store_tx_campaign_state(store_tx *tx, int64_t id, const char *from, const char *to, const char *actor,
                            const char *reason, int64_t now)
{
    int status = from ? state_move(tx, id, from, to, now) : STORE_OK;
    if (status != STORE_OK)
        return status;
    sqlite3_stmt *st = store_prepare(&tx->conn, "INSERT INTO campaign_changes (campaign_id, from_state, to_state, actor, "
                                          "reason, at) VALUES (?, ?, ?, ?, ?, ?)");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, id);
    if (from)
        sqlite3_bind_text(st, 2, from, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, to, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, actor, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, reason ? reason : "", -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, now);
    return store_step_once(&tx->conn, st, "campaign change");
}

int store_campaign_changes(store_reader *r, int64_t campaign_id, int64_t after_id, int limit, json_t *items)
{
    sqlite3_stmt *st = store_prepare(&r->conn, "SELECT id, from_state, to_state, actor, reason, at FROM campaign_changes "
                                         "WHERE campaign_id = ? AND id > ? ORDER BY id LIMIT ?");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, campaign_id);
    sqlite3_bind_int64(st, 2, after_id);
    sqlite3_bind_int(st, 3, limit);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        json_array_append_new(items, json_pack("{s:I, s:s?, s:s, s:s, s:s, s:I}", "id",
                                               (json_int_t)sqlite3_column_int64(st, 0), "from",
                                               (const char *)sqlite3_column_text(st, 1), "to",
                                               (const char *)sqlite3_column_text(st, 2), "actor",
                                               (const char *)sqlite3_column_text(st, 3), "reason",
                                               (const char *)sqlite3_column_text(st, 4), "at",
                                               (json_int_t)sqlite3_column_int64(st, 5)));
    sqlite3_finalize(st);
    return store_status_of(&r->conn, rc, "campaign changes");
}

int store_tx_campaign_spend(store_tx *tx, int64_t id, int64_t points, int64_t money_minor)
{
    sqlite3_stmt *st = store_stmt(&tx->conn, STMT_CAMPAIGN_SPEND,
                                  "UPDATE campaigns SET spent_points = spent_points + ?2, "
                                  "spent_money_minor = spent_money_minor + ?3 WHERE id = ?1 AND "
                                  "spent_points + ?2 <= budget_points AND spent_money_minor + ?3 <= budget_money_minor");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, points);
    sqlite3_bind_int64(st, 3, money_minor);
    int status = store_step_reset(&tx->conn, st, "campaign spend");
    return status == STORE_OK && sqlite3_changes(tx->conn.db) != 1 ? STORE_INVALID : status;
}

int store_tx_campaign_wave_insert(store_tx *tx, int64_t campaign_id, const char *kind, const char *stratify_by,
                                  int64_t seed, int64_t audience_size, int64_t treated, int64_t control,
                                  const char *strata_json, const char *actor, int64_t now, int64_t *wave_id)
{
    sqlite3_stmt *st = store_prepare(&tx->conn, "INSERT INTO campaign_waves (campaign_id, kind, stratify_by, seed, "
                                          "audience_size, treated, control, strata, actor, at) VALUES "
                                          "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, campaign_id);
    sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, stratify_by, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, seed);
    sqlite3_bind_int64(st, 5, audience_size);
    sqlite3_bind_int64(st, 6, treated);
    sqlite3_bind_int64(st, 7, control);
    sqlite3_bind_text(st, 8, strata_json, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 9, actor, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 10, now);
    int status = store_step_once(&tx->conn, st, "campaign wave");
    if (status == STORE_OK)
        *wave_id = sqlite3_last_insert_rowid(tx->conn.db);
    return status;
}

int store_tx_campaign_wave_progress(store_tx *tx, int64_t wave_id, int64_t audience_size, int64_t treated,
                                    int64_t control, int64_t assigned_upto)
{
    sqlite3_stmt *st = store_prepare(&tx->conn, "UPDATE campaign_waves SET audience_size = audience_size + ?, treated = "
                                          "treated + ?, control = control + ?, assigned_upto = ? WHERE id = ?");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, audience_size);
    sqlite3_bind_int64(st, 2, treated);
    sqlite3_bind_int64(st, 3, control);
    bind_zero_null(st, 4, assigned_upto);
    sqlite3_bind_int64(st, 5, wave_id);
    return store_step_once(&tx->conn, st, "campaign wave progress");
}

int store_tx_campaign_waves_assigning(store_tx *tx, store_campaign_wave_open *out, int cap, int *n)
{
    sqlite3_stmt *st = store_prepare(&tx->conn, "SELECT w.id, w.campaign_id, w.seed, w.assigned_upto FROM campaign_waves w "
                                          "JOIN campaigns c ON c.id = w.campaign_id WHERE w.assigned_upto IS NOT NULL "
                                          "AND c.state IN ('pilot', 'evaluating', 'running') ORDER BY w.id LIMIT ?");
    *n = 0;
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int(st, 1, cap);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && *n < cap) {
        store_campaign_wave_open *w = &out[(*n)++];
        w->id = sqlite3_column_int64(st, 0);
        w->campaign_id = sqlite3_column_int64(st, 1);
        w->seed = sqlite3_column_int64(st, 2);
        w->assigned_upto = sqlite3_column_int64(st, 3);
    }
    sqlite3_finalize(st);
    return store_status_of(&tx->conn, rc == SQLITE_ROW ? SQLITE_DONE : rc, "campaign waves assigning");
}

int store_tx_campaign_assign(store_tx *tx, int64_t campaign_id, int64_t member_id, const char *arm, int64_t wave_id,
                             const char *stratum, int64_t now, bool *added)
{
    sqlite3_stmt *st = store_stmt(&tx->conn, STMT_CAMPAIGN_ASSIGN,
                                  "INSERT OR IGNORE INTO campaign_assignments (campaign_id, member_id, arm, wave_id, "
                                  "stratum, assigned_at) VALUES (?, ?, ?, ?, ?, ?)");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, campaign_id);
    sqlite3_bind_int64(st, 2, member_id);
    sqlite3_bind_text(st, 3, arm, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, wave_id);
    sqlite3_bind_text(st, 5, stratum ? stratum : "", -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, now);
    int status = store_step_reset(&tx->conn, st, "campaign assign");
    *added = status == STORE_OK && sqlite3_changes(tx->conn.db) == 1;
    return status;
}

static void bind_segment_params(sqlite3_stmt *st, const segment_sql *s, int first)
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

/* Prepares head + "SELECT what FROM <the members> WHERE <not erased> AND (<the audience's condition>)" + tail; the
 * caller binds its own parameters from `first` on (the audience's come first). */
static sqlite3_stmt *audience_stmt(store_conn *c, const store_campaign_audience *a, const char *head, const char *what,
                                   const char *tail, int *first)
{
    const char *cond = "1";
    if (a->has_segment)
        cond = a->segment.sql ? a->segment.sql->where
                              : STORE_AUDIENCE_ID " IN (SELECT member_id FROM segment_members WHERE segment_id = ?)";
    else if (a->class_name)
        cond = "class = ?";
    const char *from = store_audience_from(a->has_segment && a->segment.sql && a->segment.sql->profile);
    size_t len = strlen(head) + strlen(what) + strlen(from) + strlen(cond) + strlen(tail) + 64;
    char *sql = malloc(len);
    if (!sql)
        abort();
    snprintf(sql, len, "%sSELECT %s FROM %s WHERE " STORE_AUDIENCE_LIVE " AND (%s)%s", head, what, from, cond, tail);
    sqlite3_stmt *st = store_prepare(c, sql);
    free(sql);
    if (!st)
        return NULL;
    *first = 1;
    if (a->has_segment && a->segment.sql) {
        bind_segment_params(st, a->segment.sql, 1);
        *first = 1 + a->segment.sql->count;
    } else if (a->has_segment) {
        sqlite3_bind_int64(st, 1, a->segment.static_id);
        *first = 2;
    } else if (a->class_name) {
        sqlite3_bind_text(st, 1, a->class_name, -1, SQLITE_STATIC);
        *first = 2;
    }
    return st;
}

int store_tx_campaign_audience_ids(store_tx *tx, const store_campaign_audience *a, int64_t after_id, int limit,
                                   int64_t *ids, int *n)
{
    int k;
    *n = 0;
    sqlite3_stmt *st = audience_stmt(&tx->conn, a, "", STORE_AUDIENCE_ID,
                                     " AND " STORE_AUDIENCE_ID " > ? ORDER BY " STORE_AUDIENCE_ID " LIMIT ?", &k);
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, k, after_id);
    sqlite3_bind_int(st, k + 1, limit);
    int rc;
    while (*n < limit && (rc = sqlite3_step(st)) == SQLITE_ROW)
        ids[(*n)++] = sqlite3_column_int64(st, 0);
    if (*n == limit)
        rc = SQLITE_DONE;
    sqlite3_finalize(st);
    return store_status_of(&tx->conn, rc, "campaign audience");
}

int store_campaign_audience_stats_read(store_reader *r, const store_campaign_audience *a, int64_t since,
                                       store_campaign_audience_stats *out)
{
    memset(out, 0, sizeof(*out));
    int k;
    sqlite3_stmt *st = audience_stmt(&r->conn, a, "", "count(*)", "", &k);
    if (!st)
        return STORE_ERROR;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        out->members = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW)
        return store_status_of(&r->conn, rc, "campaign audience count");
    /* A join rather than "member_id IN (audience)": SQLite flattens the subquery and may start from the recent
     * purchases (transactions_occurred, then each buyer by rowid) instead of first listing every member of a large
     * audience (measured: 0.9 s for "all" over a million members, against nothing with no recent purchases). */
    st = audience_stmt(&r->conn, a,
                       "SELECT count(*), coalesce(sum(t.amount_minor), 0), coalesce(sum(t.points), 0) FROM (",
                       STORE_AUDIENCE_ID " AS audience_id",
                       ") a JOIN transactions t ON t.member_id = a.audience_id WHERE t.type = 'purchase' AND "
                       "t.occurred_at >= ?",
                       &k);
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, k, since);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        out->purchases = sqlite3_column_int64(st, 0);
        out->spend_minor = sqlite3_column_int64(st, 1);
        out->points = sqlite3_column_int64(st, 2);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? STORE_OK : store_status_of(&r->conn, rc, "campaign audience spend");
}

int store_tx_campaign_due(store_tx *tx, int64_t campaign_id, int limit, int64_t *ids, int *n)
{
    sqlite3_stmt *st = store_stmt(&tx->conn, STMT_CAMPAIGN_DUE,
                                  "SELECT member_id FROM campaign_assignments INDEXED BY campaign_assignments_due "
                                  "WHERE campaign_id = ? AND granted_at IS NULL AND refused IS NULL AND arm IN "
                                  "('pilot', 'rollout') ORDER BY member_id LIMIT ?");
    *n = 0;
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, campaign_id);
    sqlite3_bind_int(st, 2, limit);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && *n < limit)
        ids[(*n)++] = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return store_status_of(&tx->conn, rc == SQLITE_ROW ? SQLITE_DONE : rc, "campaign due");
}

int store_tx_campaign_granted(store_tx *tx, int64_t campaign_id, int64_t member_id, int64_t at, const char *refused)
{
    sqlite3_stmt *st = store_stmt(&tx->conn, STMT_CAMPAIGN_GRANTED,
                                  "UPDATE campaign_assignments SET granted_at = ?3, refused = ?4 WHERE campaign_id = ?1 "
                                  "AND member_id = ?2 AND granted_at IS NULL AND refused IS NULL");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, campaign_id);
    sqlite3_bind_int64(st, 2, member_id);
    if (refused)
        sqlite3_bind_text(st, 4, refused, -1, SQLITE_STATIC);
    else
        sqlite3_bind_int64(st, 3, at);
    int status = store_step_reset(&tx->conn, st, "campaign granted");
    /* never twice: a row already granted or refused is not touched, and the caller's grant is undone */
    return status == STORE_OK && sqlite3_changes(tx->conn.db) != 1 ? STORE_CONFLICT : status;
}

int store_tx_campaign_assignment(store_tx *tx, int64_t campaign_id, int64_t member_id, store_campaign_assignment *out)
{
    sqlite3_stmt *st = store_stmt(&tx->conn, STMT_CAMPAIGN_ASSIGNMENT,
                                  "SELECT arm, granted_at, refused FROM campaign_assignments WHERE campaign_id = ? AND "
                                  "member_id = ?");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, campaign_id);
    sqlite3_bind_int64(st, 2, member_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        store_column_text(st, 0, out->arm, sizeof(out->arm));
        out->granted_at = sqlite3_column_int64(st, 1);
        store_column_text(st, 2, out->refused, sizeof(out->refused));
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? STORE_OK : rc == SQLITE_DONE ? STORE_NOTFOUND : store_status_of(&tx->conn, rc, "assignment");
}

static int ids_query(store_conn *c, const char *sql, int64_t a, int64_t *ids, int cap, int *n, const char *what)
{
    sqlite3_stmt *st = store_prepare(c, sql);
    *n = 0;
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, a);
    sqlite3_bind_int(st, 2, cap);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && *n < cap)
        ids[(*n)++] = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return store_status_of(c, rc == SQLITE_ROW ? SQLITE_DONE : rc, what);
}

int store_tx_campaigns_live(store_tx *tx, int64_t after_id, int64_t *ids, int cap, int *n)
{
    return ids_query(&tx->conn, "SELECT id FROM campaigns WHERE state IN ('pilot', 'evaluating', 'running') AND "
                                "id > ?1 ORDER BY id LIMIT ?2",
                     after_id, ids, cap, n, "campaigns live");
}

int store_tx_campaigns_pilot_ended(store_tx *tx, int64_t now, int64_t *ids, int cap, int *n)
{
    return ids_query(&tx->conn, "SELECT id FROM campaigns WHERE state = 'pilot' AND ends_at IS NOT NULL AND "
                                "ends_at <= ?1 ORDER BY id LIMIT ?2",
                     now, ids, cap, n, "campaigns pilot ended");
}

/* Reads the live multiplier campaigns into the cache. The factor is in the offer's JSON: json_extract reads it. */
static int multipliers_load(store_tx *tx, store_cache *c)
{
    sqlite3_stmt *st = store_stmt(&tx->conn, STMT_CAMPAIGN_MULTIPLIERS,
                                  "SELECT id, CAST(round(json_extract(offer, '$.factor') * 1000) AS INTEGER), "
                                  "coalesce(starts_at, 0), coalesce(ends_at, 0) FROM campaigns INDEXED BY "
                                  "campaigns_state WHERE state IN ('pilot', 'evaluating', 'running') AND "
                                  "json_extract(offer, '$.kind') = 'multiplier' ORDER BY id");
    if (!st)
        return STORE_ERROR;
    int rc;
    c->nmultipliers = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (c->nmultipliers == c->multipliers_cap) {
            c->multipliers_cap = c->multipliers_cap ? 2 * c->multipliers_cap : 16;
            c->multipliers = realloc(c->multipliers, (size_t)c->multipliers_cap * sizeof(*c->multipliers));
            if (!c->multipliers)
                abort(); /* out of memory */
        }
        store_campaign_multiplier *m = &c->multipliers[c->nmultipliers++];
        m->id = sqlite3_column_int64(st, 0);
        m->factor_permille = sqlite3_column_int64(st, 1);
        m->starts_at = sqlite3_column_int64(st, 2);
        m->ends_at = sqlite3_column_int64(st, 3);
    }
    sqlite3_reset(st);
    return store_status_of(&tx->conn, rc == SQLITE_ROW ? SQLITE_DONE : rc, "campaign multipliers");
}

int store_tx_campaign_multipliers(store_tx *tx, const store_campaign_multiplier **out, int *n)
{
    store_cache *c = store_cache_of(tx);
    if (c->multipliers_gen != tx->gen) {
        int status = multipliers_load(tx, c);
        if (status != STORE_OK)
            return status;
        c->multipliers_gen = tx->gen;
    }
    *out = c->multipliers;
    *n = c->nmultipliers;
    return STORE_OK;
}

int store_tx_cost_insert(store_tx *tx, const char *category, int64_t amount_minor, int64_t at, const char *source,
                         int64_t campaign_id, const char *ref, const char *note, const char *actor, int64_t now)
{
    sqlite3_stmt *st = store_stmt(&tx->conn, STMT_COST_INSERT,
                                  "INSERT INTO costs (category, amount_minor, at, source, campaign_id, ref, note, actor, "
                                  "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_text(st, 1, category, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, amount_minor);
    sqlite3_bind_int64(st, 3, at);
    sqlite3_bind_text(st, 4, source, -1, SQLITE_STATIC);
    bind_zero_null(st, 5, campaign_id);
    if (ref)
        sqlite3_bind_text(st, 6, ref, -1, SQLITE_TRANSIENT);
    if (note)
        sqlite3_bind_text(st, 7, note, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 8, actor, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 9, now);
    return store_step_reset(&tx->conn, st, "cost insert");
}
