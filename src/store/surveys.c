/* Surveys in SQLite: the surveys, the audiences they invite (members and contacts), invitation waves with each
 * stratum's population, one-use invitations (token hashes only), responses, and the outbox rows that carry the
 * links. Statements are prepared per call (surveys are written rarely; the answer path prepares three). */
#include "store/internal.h"

#include <stdlib.h>
#include <string.h>

static void bind_time_or_null(sqlite3_stmt *st, int i, int64_t v)
{
    if (v)
        sqlite3_bind_int64(st, i, v);
    else
        sqlite3_bind_null(st, i);
}

/* ---- surveys ---- */

void store_survey_release(store_survey *s)
{
    json_decref(s->questions);
    s->questions = NULL;
}

#define SURVEY_COLUMNS                                                                                            \
    "id, title_en, title_fa, questions, opens_at, closes_at, anonymous, k_min, target_permille, reminder_days, " \
    "reminder_max, created_at, updated_at"

static void survey_from_row(sqlite3_stmt *st, void *out)
{
    store_survey *s = out;
    memset(s, 0, sizeof(*s));
    s->id = sqlite3_column_int64(st, 0);
    store_column_text(st, 1, s->title_en, sizeof(s->title_en));
    store_column_text(st, 2, s->title_fa, sizeof(s->title_fa));
    const char *q = (const char *)sqlite3_column_text(st, 3);
    s->questions = q ? json_loads(q, 0, NULL) : NULL;
    if (!s->questions)
        s->questions = json_array();
    s->opens_at = sqlite3_column_int64(st, 4);
    s->closes_at = sqlite3_column_int64(st, 5);
    s->anonymous = sqlite3_column_int(st, 6) != 0;
    s->k_min = sqlite3_column_int(st, 7);
    s->target_permille = sqlite3_column_int(st, 8);
    s->reminder_days = sqlite3_column_int(st, 9);
    s->reminder_max = sqlite3_column_int(st, 10);
    s->created_at = sqlite3_column_int64(st, 11);
    s->updated_at = sqlite3_column_int64(st, 12);
}

static int survey_get(store_conn *c, int64_t id, store_survey *out)
{
    return store_get_by_id(c, "SELECT " SURVEY_COLUMNS " FROM surveys WHERE id = ?", id, survey_from_row, out,
                           "survey get");
}

int store_survey_get(store_reader *r, int64_t id, store_survey *out) { return survey_get(&r->conn, id, out); }
int store_tx_survey_get(store_tx *tx, int64_t id, store_survey *out) { return survey_get(&tx->conn, id, out); }

int store_survey_list(store_reader *r, int64_t after_id, int limit, void (*cb)(const store_survey *s, void *arg),
                      void *arg, int *count)
{
    *count = 0;
    sqlite3_stmt *st = store_prepare(&r->conn, "SELECT " SURVEY_COLUMNS " FROM surveys WHERE id > ? ORDER BY id LIMIT ?");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, after_id);
    sqlite3_bind_int(st, 2, limit);
    STORE_EACH_ROW(&r->conn, st, store_survey, survey_from_row, cb, arg, store_survey_release, count, "survey list");
}

/* Binds title_en .. updated_at from parameter 1; *text is the questions' JSON (freed by the caller). */
static void bind_survey(sqlite3_stmt *st, const store_survey *s, char **text)
{
    *text = json_dumps(s->questions, JSON_COMPACT);
    sqlite3_bind_text(st, 1, s->title_en, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, s->title_fa, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, *text ? *text : "[]", -1, SQLITE_STATIC);
    bind_time_or_null(st, 4, s->opens_at);
    bind_time_or_null(st, 5, s->closes_at);
    sqlite3_bind_int(st, 6, s->anonymous);
    sqlite3_bind_int(st, 7, s->k_min);
    sqlite3_bind_int(st, 8, s->target_permille);
    sqlite3_bind_int(st, 9, s->reminder_days);
    sqlite3_bind_int(st, 10, s->reminder_max);
    sqlite3_bind_int64(st, 11, s->created_at);
    sqlite3_bind_int64(st, 12, s->updated_at);
}

int store_tx_survey_insert(store_tx *tx, store_survey *s)
{
    sqlite3_stmt *st = store_prepare(&tx->conn, "INSERT INTO surveys (title_en, title_fa, questions, opens_at, closes_at, "
                                          "anonymous, k_min, target_permille, reminder_days, reminder_max, "
                                          "created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)");
    char *text = NULL;
    if (st)
        bind_survey(st, s, &text);
    int status = store_step_once(&tx->conn, st, "survey insert");
    free(text);
    if (status == STORE_OK)
        s->id = sqlite3_last_insert_rowid(tx->conn.db);
    return status;
}

int store_tx_survey_update(store_tx *tx, const store_survey *s)
{
    sqlite3_stmt *st = store_prepare(&tx->conn, "UPDATE surveys SET title_en = ?, title_fa = ?, questions = ?, "
                                          "opens_at = ?, closes_at = ?, anonymous = ?, k_min = ?, "
                                          "target_permille = ?, reminder_days = ?, reminder_max = ?, created_at = ?, "
                                          "updated_at = ? WHERE id = ?");
    char *text = NULL;
    if (st) {
        bind_survey(st, s, &text);
        sqlite3_bind_int64(st, 13, s->id);
    }
    int status = store_step_once(&tx->conn, st, "survey update");
    free(text);
    return status;
}

int store_tx_survey_has_waves(store_tx *tx, int64_t id, bool *yes)
{
    sqlite3_stmt *st = store_prepare(&tx->conn, "SELECT 1 FROM survey_waves WHERE survey_id = ? LIMIT 1");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    *yes = rc == SQLITE_ROW;
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? STORE_OK : store_status_of(&tx->conn, rc, "survey waves");
}

int store_tx_survey_delete(store_tx *tx, int64_t id)
{
    bool waves;
    int status = store_tx_survey_has_waves(tx, id, &waves);
    if (status != STORE_OK)
        return status;
    if (waves)
        return STORE_CONFLICT;
    sqlite3_stmt *st = store_prepare(&tx->conn, "DELETE FROM surveys WHERE id = ?");
    if (st)
        sqlite3_bind_int64(st, 1, id);
    status = store_step_once(&tx->conn, st, "survey delete");
    if (status == STORE_OK && sqlite3_changes(tx->conn.db) == 0)
        return STORE_NOTFOUND;
    return status;
}

/* ---- audiences and invitations ---- */

int store_tx_audience_each(store_tx *tx, const char *audience, const char *value, const char *stratify_by,
                           void (*cb)(const store_person *p, void *arg), void *arg)
{
    bool contacts = strcmp(audience, "contact_kind") == 0;
    const char *sql;
    if (contacts)
        sql = "SELECT id, kind FROM contacts WHERE (?1 IS NULL OR kind = ?1) ORDER BY id";
    else if (strcmp(audience, "class") == 0)
        sql = "SELECT member_id, class FROM member_stats WHERE erased_at IS NULL AND class = ?1 ORDER BY member_id";
    else
        sql = "SELECT member_id, class FROM member_stats WHERE erased_at IS NULL ORDER BY member_id";
    sqlite3_stmt *st = store_prepare(&tx->conn, sql);
    if (!st)
        return STORE_ERROR;
    if (value && sqlite3_bind_parameter_count(st) >= 1)
        sqlite3_bind_text(st, 1, value, -1, SQLITE_STATIC);
    bool by_column = strcmp(stratify_by, contacts ? "kind" : "class") == 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        store_person p = {.id = sqlite3_column_int64(st, 0)};
        snprintf(p.kind, sizeof(p.kind), "%s", contacts ? "contact" : "member");
        if (by_column)
            store_column_text(st, 1, p.stratum, sizeof(p.stratum));
        else
            snprintf(p.stratum, sizeof(p.stratum), "all");
        cb(&p, arg);
    }
    sqlite3_finalize(st);
    return store_status_of(&tx->conn, rc, "audience");
}

int store_tx_member_class(store_tx *tx, int64_t id, char *out, size_t cap)
{
    sqlite3_stmt *st =
        store_prepare(&tx->conn, "SELECT class FROM member_stats WHERE member_id = ? AND erased_at IS NULL");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        store_column_text(st, 0, out, cap);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? STORE_OK : rc == SQLITE_DONE ? STORE_NOTFOUND : store_status_of(&tx->conn, rc, "class");
}

int store_tx_survey_invited(store_tx *tx, int64_t survey_id, const char *person_kind, int64_t person_id, bool *yes)
{
    sqlite3_stmt *st = store_prepare(&tx->conn, "SELECT 1 FROM survey_invitations WHERE survey_id = ? AND "
                                          "person_kind = ? AND person_id = ?");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, survey_id);
    sqlite3_bind_text(st, 2, person_kind, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, person_id);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    *yes = rc == SQLITE_ROW;
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? STORE_OK : store_status_of(&tx->conn, rc, "survey invited");
}

int store_tx_survey_wave_insert(store_tx *tx, int64_t survey_id, const char *audience_json, const char *stratify_by,
                                int64_t seed, int64_t now, int64_t *wave_id)
{
    sqlite3_stmt *st = store_prepare(&tx->conn, "INSERT INTO survey_waves (survey_id, audience, stratify_by, seed, "
                                          "created_at) VALUES (?,?,?,?,?)");
    if (st) {
        sqlite3_bind_int64(st, 1, survey_id);
        sqlite3_bind_text(st, 2, audience_json, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, stratify_by, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 4, seed);
        sqlite3_bind_int64(st, 5, now);
    }
    int status = store_step_once(&tx->conn, st, "survey wave insert");
    if (status == STORE_OK)
        *wave_id = sqlite3_last_insert_rowid(tx->conn.db);
    return status;
}

int store_tx_survey_stratum_insert(store_tx *tx, int64_t wave_id, const char *stratum, int64_t population,
                                   int64_t invited)
{
    sqlite3_stmt *st = store_prepare(&tx->conn, "INSERT INTO survey_strata (wave_id, stratum, population, invited) "
                                          "VALUES (?,?,?,?)");
    if (st) {
        sqlite3_bind_int64(st, 1, wave_id);
        sqlite3_bind_text(st, 2, stratum, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, population);
        sqlite3_bind_int64(st, 4, invited);
    }
    return store_step_once(&tx->conn, st, "survey stratum insert");
}

#define INVITATION_COLUMNS                                                                                  \
    "id, survey_id, wave_id, person_kind, person_id, stratum, token_hash, channel, created_at, answered_at, " \
    "reminders, last_sent_at"

static void invitation_from_row(sqlite3_stmt *st, store_invitation *v)
{
    memset(v, 0, sizeof(*v));
    v->id = sqlite3_column_int64(st, 0);
    v->survey_id = sqlite3_column_int64(st, 1);
    v->wave_id = sqlite3_column_int64(st, 2);
    store_column_text(st, 3, v->person_kind, sizeof(v->person_kind));
    v->person_id = sqlite3_column_int64(st, 4);
    store_column_text(st, 5, v->stratum, sizeof(v->stratum));
    if (sqlite3_column_bytes(st, 6) == 32)
        memcpy(v->token_hash, sqlite3_column_blob(st, 6), 32);
    store_column_text(st, 7, v->channel, sizeof(v->channel));
    v->created_at = sqlite3_column_int64(st, 8);
    v->answered_at = sqlite3_column_int64(st, 9);
    v->reminders = sqlite3_column_int(st, 10);
    v->last_sent_at = sqlite3_column_int64(st, 11);
}

int store_tx_invitation_insert(store_tx *tx, store_invitation *v)
{
    sqlite3_stmt *st = store_prepare(&tx->conn, "INSERT INTO survey_invitations (survey_id, wave_id, person_kind, "
                                          "person_id, stratum, token_hash, channel, created_at, last_sent_at) "
                                          "VALUES (?,?,?,?,?,?,?,?,?)");
    if (st) {
        sqlite3_bind_int64(st, 1, v->survey_id);
        sqlite3_bind_int64(st, 2, v->wave_id);
        sqlite3_bind_text(st, 3, v->person_kind, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 4, v->person_id);
        sqlite3_bind_text(st, 5, v->stratum, -1, SQLITE_STATIC);
        sqlite3_bind_blob(st, 6, v->token_hash, 32, SQLITE_STATIC);
        sqlite3_bind_text(st, 7, v->channel, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 8, v->created_at);
        sqlite3_bind_int64(st, 9, v->last_sent_at);
    }
    int status = store_step_once(&tx->conn, st, "invitation insert");
    if (status == STORE_OK)
        v->id = sqlite3_last_insert_rowid(tx->conn.db);
    return status;
}

static int invitation_by_token(store_conn *c, const uint8_t token_hash[32], store_invitation *out)
{
    sqlite3_stmt *st = store_prepare(c, "SELECT " INVITATION_COLUMNS " FROM survey_invitations WHERE token_hash = ?");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_blob(st, 1, token_hash, 32, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        invitation_from_row(st, out);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? STORE_OK : rc == SQLITE_DONE ? STORE_NOTFOUND : store_status_of(c, rc, "invitation");
}

int store_invitation_by_token(store_reader *r, const uint8_t token_hash[32], store_invitation *out)
{
    return invitation_by_token(&r->conn, token_hash, out);
}

int store_tx_invitation_by_token(store_tx *tx, const uint8_t token_hash[32], store_invitation *out)
{
    return invitation_by_token(&tx->conn, token_hash, out);
}

int store_tx_invitation_answered(store_tx *tx, int64_t id, int64_t at)
{
    sqlite3_stmt *st = store_prepare(&tx->conn, "UPDATE survey_invitations SET answered_at = ? WHERE id = ? AND "
                                          "answered_at IS NULL");
    if (st) {
        sqlite3_bind_int64(st, 1, at);
        sqlite3_bind_int64(st, 2, id);
    }
    int status = store_step_once(&tx->conn, st, "invitation answered");
    if (status == STORE_OK && sqlite3_changes(tx->conn.db) == 0)
        return STORE_CONFLICT;
    return status;
}

int store_tx_invitations_due(store_tx *tx, int64_t now, store_invitation *out, int cap, int *n)
{
    *n = 0;
    sqlite3_stmt *st = store_prepare(
        &tx->conn,
        "SELECT i.id, i.survey_id, i.wave_id, i.person_kind, i.person_id, i.stratum, i.token_hash, i.channel, "
        "i.created_at, i.answered_at, i.reminders, i.last_sent_at FROM survey_invitations i JOIN surveys s ON "
        "s.id = i.survey_id WHERE i.answered_at IS NULL AND s.reminder_days > 0 AND i.reminders < s.reminder_max "
        "AND i.last_sent_at + s.reminder_days * 86400000 <= ?1 AND (s.closes_at IS NULL OR s.closes_at > ?1) "
        "ORDER BY i.id LIMIT ?2");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, now);
    sqlite3_bind_int(st, 2, cap);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        invitation_from_row(st, &out[(*n)++]);
    sqlite3_finalize(st);
    return store_status_of(&tx->conn, rc, "invitations due");
}

int store_tx_invitation_reminded(store_tx *tx, int64_t id, const uint8_t token_hash[32], int64_t now)
{
    sqlite3_stmt *st = store_prepare(&tx->conn, "UPDATE survey_invitations SET token_hash = ?, reminders = reminders + 1, "
                                          "last_sent_at = ? WHERE id = ?");
    if (st) {
        sqlite3_bind_blob(st, 1, token_hash, 32, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, now);
        sqlite3_bind_int64(st, 3, id);
    }
    return store_step_once(&tx->conn, st, "invitation reminded");
}

int store_tx_response_insert(store_tx *tx, int64_t survey_id, int64_t invitation_id, const char *stratum,
                             int64_t answered_at, const char *answers_json)
{
    sqlite3_stmt *st = store_prepare(&tx->conn, "INSERT INTO survey_responses (survey_id, invitation_id, stratum, "
                                          "answered_at, answers) VALUES (?,?,?,?,?)");
    if (st) {
        sqlite3_bind_int64(st, 1, survey_id);
        bind_time_or_null(st, 2, invitation_id);
        sqlite3_bind_text(st, 3, stratum, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 4, answered_at);
        sqlite3_bind_text(st, 5, answers_json, -1, SQLITE_STATIC);
    }
    return store_step_once(&tx->conn, st, "response insert");
}

/* An invitation or a reminder into the message outbox, in the caller's transaction: the delivery worker sends it
 * over the person's channel. */
int store_tx_survey_outbox(store_tx *tx, const store_survey_message *sm)
{
    store_outbox_msg m = {.kind = "survey_invitation",
                          .channel = sm->channel,
                          .member_id = sm->member_id,
                          .contact_id = sm->contact_id,
                          .destination = sm->destination,
                          .locale = sm->locale,
                          .subject = sm->subject,
                          .body_text = sm->body_text,
                          .data = sm->data,
                          .ref_id = sm->invitation_id,
                          .not_after = sm->not_after,
                          .now = sm->now};
    return store_outbox_enqueue(tx, &m, NULL);
}

/* ---- results ---- */

int store_survey_coverage(store_reader *r, int64_t survey_id,
                          void (*cb)(const char *stratum, int64_t population, int64_t invited, int64_t answered,
                                     void *arg),
                          void *arg)
{
    /* A stratum's population is the largest any wave saw (a second wave over the same audience tops up the
     * invitations, it does not add people); invited and answered come from the invitations themselves. */
    sqlite3_stmt *st = store_prepare(
        &r->conn, "SELECT t.stratum, MAX(t.population), "
                  "(SELECT COUNT(*) FROM survey_invitations i WHERE i.survey_id = ?1 AND i.stratum = t.stratum), "
                  "(SELECT COUNT(*) FROM survey_invitations i WHERE i.survey_id = ?1 AND i.stratum = t.stratum "
                  "AND i.answered_at IS NOT NULL) "
                  "FROM survey_strata t JOIN survey_waves w ON w.id = t.wave_id WHERE w.survey_id = ?1 "
                  "GROUP BY t.stratum ORDER BY t.stratum");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, survey_id);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        cb((const char *)sqlite3_column_text(st, 0), sqlite3_column_int64(st, 1), sqlite3_column_int64(st, 2),
           sqlite3_column_int64(st, 3), arg);
    sqlite3_finalize(st);
    return store_status_of(&r->conn, rc, "survey coverage");
}

int store_survey_responses(store_reader *r, int64_t survey_id,
                           void (*cb)(const char *stratum, int64_t answered_at, json_t *answers, void *arg),
                           void *arg)
{
    sqlite3_stmt *st = store_prepare(&r->conn, "SELECT stratum, answered_at, answers FROM survey_responses WHERE "
                                         "survey_id = ? ORDER BY id");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, survey_id);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        json_t *a = json_loads((const char *)sqlite3_column_text(st, 2), 0, NULL);
        if (!a)
            a = json_object();
        cb((const char *)sqlite3_column_text(st, 0), sqlite3_column_int64(st, 1), a, arg);
        json_decref(a);
    }
    sqlite3_finalize(st);
    return store_status_of(&r->conn, rc, "survey responses");
}
