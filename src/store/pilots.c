/* Campaign pilots in SQLite: the candidates of a draw (the audience less everyone already assigned), waves and
 * assignment rows, state changes and decisions, and the per-member sums the evaluation and the minimum detectable
 * effect are computed from. Statements are prepared per call: each runs once per request, and the assignment
 * insert once per draw for all its rows. */
#include "store/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/timefmt.h"

#define DAY_MS 86400000LL

/* ---- the campaign ---- */

static int campaign_get(store_conn *c, int64_t id, store_pilot_campaign *out)
{
    sqlite3_stmt *st = store_prepare(c, "SELECT id, state, metric, metric_days, coalesce(survey_id, 0), "
                                  "json_extract(audience, '$.kind'), coalesce(json_extract(audience, '$.class'), ''), "
                                  "coalesce(json_extract(audience, '$.segment_id'), 0), budget_money_minor, "
                                  "spent_money_minor FROM campaigns WHERE id = ?");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        memset(out, 0, sizeof(*out));
        out->id = sqlite3_column_int64(st, 0);
        store_column_text(st, 1, out->state, sizeof(out->state));
        store_column_text(st, 2, out->metric, sizeof(out->metric));
        out->metric_days = sqlite3_column_int(st, 3);
        out->survey_id = sqlite3_column_int64(st, 4);
        store_column_text(st, 5, out->audience_kind, sizeof(out->audience_kind));
        store_column_text(st, 6, out->audience_class, sizeof(out->audience_class));
        out->audience_segment = sqlite3_column_int64(st, 7);
        out->budget_money_minor = sqlite3_column_int64(st, 8);
        out->spent_money_minor = sqlite3_column_int64(st, 9);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? STORE_OK : rc == SQLITE_DONE ? STORE_NOTFOUND : store_status_of(c, rc, "campaign");
}

int store_tx_pilot_campaign(store_tx *tx, int64_t id, store_pilot_campaign *out)
{
    return campaign_get(&tx->conn, id, out);
}

int store_pilot_campaign_get(store_reader *r, int64_t id, store_pilot_campaign *out)
{
    return campaign_get(&r->conn, id, out);
}

/* ---- drawing ---- */

/* In no set order (the draw does not depend on it): a scan of member_stats, the narrow table of the members'
 * aggregates, rather than of every member row. Those already assigned to the campaign are skipped through a
 * bitmap of member ids read once from its assignments: a NOT EXISTS probe per member cost more than the scan. */
static const char candidates_sql[] =
    "SELECT m.member_id, m.class FROM member_stats m WHERE m.erased_at IS NULL AND (?1 IS NULL OR m.class = ?1)";
static const char candidate_sql[] =
    "SELECT m.member_id, m.class FROM member_stats m WHERE m.member_id = ?2 AND m.erased_at IS NULL AND NOT EXISTS "
    "(SELECT 1 FROM campaign_assignments a WHERE a.campaign_id = ?1 AND a.member_id = m.member_id)";

typedef struct id_bitmap {
    uint64_t *words;
    int64_t limit; /* ids in [0, limit) have a bit */
} id_bitmap;

static bool bitmap_has(const id_bitmap *b, int64_t id)
{
    return id >= 0 && id < b->limit && (b->words[id >> 6] >> (id & 63) & 1);
}

/* The member ids assigned to the campaign, as bits up to the largest member id. */
static int assigned_bitmap(store_conn *c, int64_t campaign_id, id_bitmap *out)
{
    out->words = NULL, out->limit = 0;
    sqlite3_stmt *st = store_prepare(c, "SELECT coalesce(max(id), 0) + 1 FROM members");
    if (!st)
        return STORE_ERROR;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        out->limit = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW)
        return store_status_of(c, rc, "member ids");
    out->words = calloc((size_t)(out->limit + 63) / 64 + 1, sizeof(uint64_t));
    if (!out->words)
        abort(); /* out of memory: as h2o does */
    st = store_prepare(c, "SELECT member_id FROM campaign_assignments WHERE campaign_id = ?");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, campaign_id);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(st, 0);
        if (id >= 0 && id < out->limit)
            out->words[id >> 6] |= UINT64_C(1) << (id & 63);
    }
    sqlite3_finalize(st);
    return store_status_of(c, rc, "campaign assignments");
}

int store_tx_pilot_candidates(store_tx *tx, const store_pilot_campaign *c, const int64_t *ids, size_t n,
                              void (*cb)(int64_t id, const char *cls, void *arg), void *arg)
{
    int rc = SQLITE_DONE;
    if (!ids) {
        id_bitmap drawn;
        int status = assigned_bitmap(&tx->conn, c->id, &drawn);
        sqlite3_stmt *st = status == STORE_OK ? store_prepare(&tx->conn, candidates_sql) : NULL;
        if (st) {
            if (strcmp(c->audience_kind, "class") == 0)
                sqlite3_bind_text(st, 1, c->audience_class, -1, SQLITE_STATIC);
            while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                int64_t id = sqlite3_column_int64(st, 0);
                if (!bitmap_has(&drawn, id))
                    cb(id, (const char *)sqlite3_column_text(st, 1), arg);
            }
            sqlite3_finalize(st);
        }
        free(drawn.words);
        return st ? store_status_of(&tx->conn, rc, "pilot candidates") : status == STORE_OK ? STORE_ERROR : status;
    }
    sqlite3_stmt *st = store_prepare(&tx->conn, candidate_sql);
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, c->id);
    for (size_t i = 0; i < n && (rc == SQLITE_DONE || rc == SQLITE_ROW); i++) {
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 2, ids[i]);
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW)
            cb(sqlite3_column_int64(st, 0), (const char *)sqlite3_column_text(st, 1), arg);
    }
    sqlite3_finalize(st);
    return store_status_of(&tx->conn, rc == SQLITE_ROW ? SQLITE_DONE : rc, "pilot candidates");
}

int store_pilot_candidate_count(store_reader *r, const store_pilot_campaign *c, const int64_t *ids, size_t n,
                                int64_t *count)
{
    sqlite3_stmt *st =
        store_prepare(&r->conn, ids ? candidate_sql
                                    : "SELECT count(*) FROM member_stats m WHERE m.erased_at IS NULL AND "
                                      "(?2 IS NULL OR m.class = ?2) AND NOT EXISTS (SELECT 1 FROM "
                                      "campaign_assignments a WHERE a.campaign_id = ?1 AND a.member_id = "
                                      "m.member_id)");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, c->id);
    int rc = SQLITE_DONE;
    *count = 0;
    if (!ids) {
        if (strcmp(c->audience_kind, "class") == 0)
            sqlite3_bind_text(st, 2, c->audience_class, -1, SQLITE_STATIC);
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW)
            *count = sqlite3_column_int64(st, 0), rc = SQLITE_DONE;
    }
    for (size_t i = 0; ids && i < n && rc == SQLITE_DONE; i++) {
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 2, ids[i]);
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW)
            (*count)++, rc = SQLITE_DONE;
    }
    sqlite3_finalize(st);
    return store_status_of(&r->conn, rc, "pilot candidate count");
}

int store_tx_pilot_wave_insert(store_tx *tx, store_pilot_wave *w)
{
    sqlite3_stmt *st = store_prepare(&tx->conn, "INSERT INTO campaign_waves (campaign_id, kind, stratify_by, seed, "
                                          "audience_size, treated, control, strata, actor, at) "
                                          "VALUES (?,?,?,?,?,?,?,?,?,?)");
    if (st) {
        sqlite3_bind_int64(st, 1, w->campaign_id);
        sqlite3_bind_text(st, 2, w->kind, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, w->stratify_by, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 4, w->seed);
        sqlite3_bind_int64(st, 5, w->audience_size);
        sqlite3_bind_int64(st, 6, w->treated);
        sqlite3_bind_int64(st, 7, w->control);
        sqlite3_bind_text(st, 8, w->strata_json, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 9, w->actor, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 10, w->at);
    }
    int status = store_step_once(&tx->conn, st, "campaign wave insert");
    if (status == STORE_OK)
        w->id = sqlite3_last_insert_rowid(tx->conn.db);
    return status;
}

int store_tx_pilot_assign(store_tx *tx, int64_t campaign_id, int64_t wave_id, int64_t now, size_t n,
                          const int64_t *ids, const char *const *arms, const int *strata,
                          const char (*names)[STORE_PILOT_STRATUM_MAX + 1])
{
    sqlite3_stmt *st = store_prepare(&tx->conn, "INSERT INTO campaign_assignments (campaign_id, member_id, arm, wave_id, "
                                          "stratum, assigned_at) VALUES (?,?,?,?,?,?)");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, campaign_id);
    sqlite3_bind_int64(st, 4, wave_id);
    sqlite3_bind_int64(st, 6, now);
    int rc = SQLITE_DONE;
    for (size_t i = 0; i < n && rc == SQLITE_DONE; i++) {
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 2, ids[i]);
        sqlite3_bind_text(st, 3, arms[i], -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 5, names[strata[i]], -1, SQLITE_STATIC);
        rc = sqlite3_step(st);
    }
    sqlite3_finalize(st);
    if ((rc & 0xff) == SQLITE_CONSTRAINT)
        return STORE_CONFLICT;
    return store_status_of(&tx->conn, rc, "campaign assign");
}

/* ---- state, holdout and decisions ---- */

int store_tx_pilot_holdout_set(store_tx *tx, int64_t campaign_id, int permille, int64_t now)
{
    sqlite3_stmt *st = store_prepare(&tx->conn, "UPDATE campaigns SET holdout_share_permille = ?, updated_at = ? "
                                          "WHERE id = ?");
    if (st) {
        sqlite3_bind_int(st, 1, permille);
        sqlite3_bind_int64(st, 2, now);
        sqlite3_bind_int64(st, 3, campaign_id);
    }
    return store_step_once(&tx->conn, st, "campaign holdout");
}

int store_tx_pilot_decision_insert(store_tx *tx, int64_t campaign_id, const char *decision, const char *reason,
                                   const char *evaluation_json, const char *actor, int64_t now, int64_t *id)
{
    sqlite3_stmt *st = store_prepare(&tx->conn, "INSERT INTO campaign_decisions (campaign_id, decision, reason, "
                                          "evaluation, actor, at) VALUES (?,?,?,?,?,?)");
    if (st) {
        sqlite3_bind_int64(st, 1, campaign_id);
        sqlite3_bind_text(st, 2, decision, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, reason, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, evaluation_json, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 5, actor, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 6, now);
    }
    int status = store_step_once(&tx->conn, st, "campaign decision insert");
    if (status == STORE_OK)
        *id = sqlite3_last_insert_rowid(tx->conn.db);
    return status;
}

int store_tx_pilot_last_decision(store_tx *tx, int64_t campaign_id, char *out, size_t cap)
{
    sqlite3_stmt *st = store_prepare(&tx->conn, "SELECT decision FROM campaign_decisions WHERE campaign_id = ? "
                                          "ORDER BY id DESC LIMIT 1");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, campaign_id);
    int rc = sqlite3_step(st);
    out[0] = '\0';
    if (rc == SQLITE_ROW)
        store_column_text(st, 0, out, cap);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? STORE_OK : store_status_of(&tx->conn, rc, "campaign decision");
}

/* ---- the metric's sums ---- */

/* One value per row of a relation "a" with member_id and assigned_at (?3: until, ?4: the repeat window in ms,
 * ?5: the survey, ?6: the NPS answer's JSON path). */
static const char *metric_expr(const char *metric)
{
    if (strcmp(metric, "redemption_rate") == 0)
        return "EXISTS (SELECT 1 FROM redemptions x WHERE x.member_id = a.member_id AND x.status != 'cancelled' "
               "AND x.created_at >= a.assigned_at AND x.created_at <= ?3)";
    if (strcmp(metric, "repeat_purchase") == 0)
        return "EXISTS (SELECT 1 FROM transactions t WHERE t.member_id = a.member_id AND t.type = 'purchase' AND "
               "t.occurred_at >= a.assigned_at AND t.occurred_at < min(a.assigned_at + ?4, ?3 + 1))";
    if (strcmp(metric, "points_earned") == 0)
        return "(SELECT total(p.points) FROM postings p WHERE p.to_account = 'member:' || a.member_id AND "
               "p.kind = 'earn' AND p.at >= a.assigned_at AND p.at <= ?3)";
    if (strcmp(metric, "spend_per_member") == 0)
        return "(SELECT total(t.amount_minor - t.amount_returned_minor) FROM transactions t WHERE t.member_id = "
               "a.member_id AND t.type = 'purchase' AND t.occurred_at >= a.assigned_at AND t.occurred_at <= ?3)";
    return NULL;
}

/* NPS: one score per answer of a member of the relation, given after their assignment. */
static const char nps_from[] =
    " FROM a JOIN survey_invitations i ON i.survey_id = ?5 AND i.person_kind = 'member' AND i.person_id = a.member_id "
    "JOIN survey_responses r ON r.invitation_id = i.id AND r.answered_at >= a.assigned_at AND r.answered_at <= ?3 "
    "WHERE json_extract(r.answers, ?6) IS NOT NULL";
static const char nps_value[] =
    "CASE WHEN json_extract(r.answers, ?6) >= 9 THEN 100 WHEN json_extract(r.answers, ?6) <= 6 THEN -100 ELSE 0 END";

/* Runs "WITH a AS (<rel>) SELECT count, total, total of squares" for the metric and reads the sums. */
static int sums(store_conn *c, const char *rel, const char *metric, int64_t campaign_id, const char *arm,
                int64_t until, int metric_days, int64_t survey_id, const char *nps_key, int64_t from, int64_t every,
                store_sums *out)
{
    char sql[2048], path[160];
    bool nps = strcmp(metric, "nps") == 0;
    const char *e = nps ? nps_value : metric_expr(metric);
    if (!e || (nps && !nps_key))
        return STORE_INVALID;
    if (nps)
        snprintf(sql, sizeof(sql), "WITH a AS (%s) SELECT count(*), total(v), total(v * v) FROM (SELECT %s AS v%s)",
                 rel, e, nps_from);
    else
        snprintf(sql, sizeof(sql), "WITH a AS (%s) SELECT count(*), total(v), total(v * v) FROM (SELECT %s AS v "
                                   "FROM a)", rel, e);
    sqlite3_stmt *st = store_prepare(c, sql);
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, campaign_id);
    if (arm)
        sqlite3_bind_text(st, 2, arm, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, until);
    sqlite3_bind_int64(st, 4, (int64_t)metric_days * DAY_MS);
    sqlite3_bind_int64(st, 5, survey_id);
    if (nps) {
        snprintf(path, sizeof(path), "$.\"%s\"", nps_key);
        sqlite3_bind_text(st, 6, path, -1, SQLITE_TRANSIENT);
    }
    sqlite3_bind_int64(st, 7, from);
    sqlite3_bind_int64(st, 8, every);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *out = (store_sums){sqlite3_column_int64(st, 0), sqlite3_column_double(st, 1), sqlite3_column_double(st, 2)};
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? STORE_OK : store_status_of(c, rc, "pilot sums");
}

int store_pilot_arm_sums(store_reader *r, int64_t campaign_id, const char *arm, const char *metric, int metric_days,
                         int64_t survey_id, const char *nps_key, int64_t until, store_sums *out)
{
    static const char rel[] = "SELECT x.member_id, x.assigned_at FROM campaign_assignments x JOIN members m ON "
                              "m.id = x.member_id AND m.erased_at IS NULL WHERE x.campaign_id = ?1 AND x.arm = ?2";
    return sums(&r->conn, rel, metric, campaign_id, arm, until, metric_days, survey_id, nps_key, 0, 1, out);
}

/* At most this many members are read for a baseline: every k-th member by id (?8) of a larger audience. */
#define BASELINE_MEMBERS_MAX 50000

int store_pilot_baseline_sums(store_reader *r, const store_pilot_campaign *c, int64_t from, int64_t until,
                              const char *nps_key, store_sums *out)
{
    static const char rel_all[] = "SELECT m.member_id, ?7 AS assigned_at FROM member_stats m WHERE m.erased_at IS "
                                  "NULL AND m.member_id % ?8 = 0";
    static const char rel_class[] = "SELECT m.member_id, ?7 AS assigned_at FROM member_stats m WHERE m.erased_at "
                                    "IS NULL AND m.class = ?2 AND m.member_id % ?8 = 0";
    bool by_class = strcmp(c->audience_kind, "class") == 0;
    sqlite3_stmt *st = store_prepare(&r->conn, by_class ? "SELECT count(*) FROM member_stats WHERE erased_at IS NULL "
                                                          "AND class = ?"
                                                        : "SELECT count(*) FROM member_stats WHERE erased_at IS NULL");
    if (!st)
        return STORE_ERROR;
    if (by_class)
        sqlite3_bind_text(st, 1, c->audience_class, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    int64_t n = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW)
        return store_status_of(&r->conn, rc, "baseline count");
    int64_t every = n > BASELINE_MEMBERS_MAX ? (n + BASELINE_MEMBERS_MAX - 1) / BASELINE_MEMBERS_MAX : 1;
    if (strcmp(c->metric, "nps") == 0) {
        /* the survey's answers in the window, whoever gave them */
        static const char rel_nps[] = "SELECT i.person_id AS member_id, ?7 AS assigned_at FROM survey_invitations i "
                                      "WHERE i.survey_id = ?5 AND i.person_kind = 'member'";
        return sums(&r->conn, rel_nps, "nps", c->id, by_class ? c->audience_class : NULL, until, c->metric_days,
                    c->survey_id, nps_key, from, every, out);
    }
    return sums(&r->conn, by_class ? rel_class : rel_all, c->metric, c->id, by_class ? c->audience_class : NULL,
                until, c->metric_days, c->survey_id, nps_key, from, every, out);
}

int store_pilot_planned(store_reader *r, int64_t campaign_id, const char *kind, int64_t *treated, int64_t *control)
{
    sqlite3_stmt *st = store_prepare(&r->conn, "SELECT total(treated), total(control) FROM campaign_waves WHERE "
                                         "campaign_id = ? AND kind = ?");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, campaign_id);
    sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *treated = sqlite3_column_int64(st, 0), *control = sqlite3_column_int64(st, 1);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? STORE_OK : store_status_of(&r->conn, rc, "campaign planned");
}

int store_pilot_history(store_reader *r, int64_t campaign_id, json_t *waves, json_t *decisions)
{
    sqlite3_stmt *st = store_prepare(&r->conn, "SELECT id, kind, stratify_by, seed, audience_size, treated, control, "
                                         "strata, actor, at FROM campaign_waves WHERE campaign_id = ? ORDER BY id");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, campaign_id);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        json_t *strata = json_loads((const char *)sqlite3_column_text(st, 7), 0, NULL);
        json_array_append_new(waves, json_pack("{s:I, s:s, s:s, s:I, s:I, s:I, s:I, s:o, s:s, s:o}", "id",
                                               (json_int_t)sqlite3_column_int64(st, 0), "kind",
                                               (const char *)sqlite3_column_text(st, 1), "stratify_by",
                                               (const char *)sqlite3_column_text(st, 2), "seed",
                                               (json_int_t)sqlite3_column_int64(st, 3), "audience_size",
                                               (json_int_t)sqlite3_column_int64(st, 4), "treated",
                                               (json_int_t)sqlite3_column_int64(st, 5), "control",
                                               (json_int_t)sqlite3_column_int64(st, 6), "strata",
                                               strata ? strata : json_array(), "actor",
                                               (const char *)sqlite3_column_text(st, 8), "at",
                                               timefmt_json(sqlite3_column_int64(st, 9))));
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return store_status_of(&r->conn, rc, "campaign waves");
    st = store_prepare(&r->conn, "SELECT id, decision, reason, evaluation, actor, at FROM campaign_decisions WHERE "
                           "campaign_id = ? ORDER BY id");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, campaign_id);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        json_t *ev = json_loads((const char *)sqlite3_column_text(st, 3), 0, NULL);
        json_array_append_new(decisions, json_pack("{s:I, s:s, s:s, s:o, s:s, s:o}", "id",
                                                   (json_int_t)sqlite3_column_int64(st, 0), "decision",
                                                   (const char *)sqlite3_column_text(st, 1), "reason",
                                                   (const char *)sqlite3_column_text(st, 2), "evaluation",
                                                   ev ? ev : json_null(), "actor",
                                                   (const char *)sqlite3_column_text(st, 4), "at",
                                                   timefmt_json(sqlite3_column_int64(st, 5))));
    }
    sqlite3_finalize(st);
    return store_status_of(&r->conn, rc, "campaign decisions");
}
