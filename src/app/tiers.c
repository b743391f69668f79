/* Tiers as use cases: keeping each member's tier in step with their activity (src/core/tiers.c decides; this file
 * reads the activity and writes the outcome), and the tier part of the member record.
 * Invariant: a member's tier changes only here, and every change writes a tier_changes row (and, unless it is the
 * entry tier given to a member who had none, a 'tier_changed' notice) in the same transaction.
 * Callers: the points engine after each purchase, return or adjustment; the daily job (tiers_review); the member
 * record (tiers_member_json); redemptions (tiers_member, for rewards limited to some tiers). */
#include "app/tiers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/webhooks.h"
#include "core/tiers.h"
#include "core/timefmt.h"

#define TIERS_ACTIVITY_MAX 100000 /* events read to find when a qualification lapses */
#define TIERS_REVIEW_BATCH_MAX 1000

typedef struct tier_list {
    tier_rule t[STORE_TIERS_MAX];
    int n;
} tier_list;

static int index_of(const tier_list *l, int64_t id)
{
    for (int i = 0; id && i < l->n; i++)
        if (l->t[i].id == id)
            return i;
    return -1;
}

/* The member's activity for every tier (one query per distinct basis and window), then the tier it reaches. */
static int qualify(store_tx *tx, const tier_list *l, int64_t member_id, int64_t now, int *qualified)
{
    int64_t metric[STORE_TIERS_MAX];
    for (int i = 0; i < l->n; i++) {
        int same = -1;
        for (int j = 0; j < i && same < 0; j++)
            if (l->t[j].basis == l->t[i].basis && l->t[j].window_days == l->t[i].window_days)
                same = j;
        if (same >= 0) {
            metric[i] = metric[same];
            continue;
        }
        int status = store_tx_tier_activity_sum(tx, member_id, l->t[i].basis, tier_window_start(&l->t[i], now),
                                                &metric[i]);
        if (status != STORE_OK)
            return status;
    }
    *qualified = tier_qualified(l->t, l->n, metric);
    return STORE_OK;
}

typedef struct activity {
    tier_event *ev;
    size_t n, cap;
} activity;

static void collect(int64_t at, int64_t amount, void *arg)
{
    activity *a = arg;
    /* Past the limit the newest events are left out: the lapse found is then earlier than the true one, so the
     * review comes early and simply finds the member still qualifying. */
    if (a->n == a->cap) {
        if (a->cap >= TIERS_ACTIVITY_MAX)
            return;
        a->cap = a->cap ? a->cap * 2 : 64;
        a->ev = realloc(a->ev, a->cap * sizeof(*a->ev));
        if (!a->ev)
            abort(); /* out of memory */
    }
    a->ev[a->n++] = (tier_event){at, amount};
}

/* When the member's qualification for t lapses without new activity. */
static int lapse_at(store_tx *tx, const tier_rule *t, int64_t member_id, int64_t now, int64_t *out)
{
    activity a = {0};
    int status = store_tx_tier_activity_each(tx, member_id, t->basis, tier_window_start(t, now), collect, &a);
    *out = tier_lapse_at(a.ev, a.n, t->threshold, t->window_days * TIER_DAY_MS);
    free(a.ev);
    return status;
}

static json_t *tier_ref_json(store_tx *tx, int64_t id)
{
    store_tier t;
    if (!id || store_tx_tier_get(tx, id, &t) != STORE_OK)
        return json_null();
    return json_pack("{s:I, s:s, s:s, s:I}", "id", (json_int_t)id, "name_en", t.name_en, "name_fa", t.name_fa, "rank",
                     (json_int_t)t.rule.rank);
}

/* Records a move from the member's tier to tiers[to] (to -1: none). */
static int record_change(store_tx *tx, const tier_list *l, store_member_tier *mt, int to, int64_t review_at,
                         int64_t now)
{
    int64_t from_id = mt->tier_id, to_id = to >= 0 ? l->t[to].id : 0;
    int from = index_of(l, from_id);
    bool up = to >= 0 && (from < 0 || l->t[to].rank > l->t[from].rank);
    const char *reason = !up ? "downgrade" : from_id == 0 && l->t[to].rank == 0 ? "entry" : "upgrade";
    mt->tier_id = to_id;
    mt->since = to_id ? now : 0;
    mt->review_at = review_at;
    int status = store_tx_member_tier_set(tx, mt);
    if (status == STORE_OK)
        status = store_tx_tier_change_insert(tx, mt->member_id, from_id, to_id, now, reason);
    if (status == STORE_OK) /* webhooks (app/webhooks.c) */
        status = webhooks_emit(tx, WEBHOOK_TIER_CHANGED, now, "{s:I, s:I, s:I, s:s}", "member", (json_int_t)mt->member_id,
                               "from", (json_int_t)from_id, "to", (json_int_t)to_id, "reason", reason);
    if (status != STORE_OK || strcmp(reason, "entry") == 0)
        return status; /* joining the entry tier is not news */
    json_t *data = json_pack("{s:o, s:o, s:s}", "from", tier_ref_json(tx, from_id), "to", tier_ref_json(tx, to_id),
                             "reason", reason);
    return store_tx_notice(tx, "tier_changed", mt->member_id, data, NULL, now);
}

static void info_of(const tier_rule *t, const store_tier *row, tier_info *out)
{
    memset(out, 0, sizeof(*out));
    out->multiplier_permille = 1000;
    if (!t)
        return;
    out->id = t->id;
    out->multiplier_permille = (int)t->multiplier_permille;
    if (row) {
        snprintf(out->name_en, sizeof(out->name_en), "%s", row->name_en);
        snprintf(out->name_fa, sizeof(out->name_fa), "%s", row->name_fa);
    }
}

/* Fills out with tier id (0: none) and its names. */
static int info_by_id(store_tx *tx, int64_t id, tier_info *out)
{
    store_tier row;
    if (!id) {
        info_of(NULL, NULL, out);
        return STORE_OK;
    }
    int status = store_tx_tier_get(tx, id, &row);
    if (status == STORE_NOTFOUND) {
        info_of(NULL, NULL, out);
        return STORE_OK;
    }
    if (status == STORE_OK)
        info_of(&row.rule, &row, out);
    return status;
}

int tiers_reevaluate_known(store_tx *tx, const store_member_tier *known, int64_t now, tier_info *out)
{
    tier_list l;
    store_member_tier mt = *known;
    int status = store_tx_tier_rules(tx, l.t, STORE_TIERS_MAX, &l.n);
    if (status != STORE_OK)
        return status;
    int current = index_of(&l, mt.tier_id), qualified = -1;
    if (l.n > 0 && (status = qualify(tx, &l, mt.member_id, now, &qualified)) != STORE_OK)
        return status;
    tier_decision d = tier_decide(l.t, l.n, current, mt.review_at, qualified, now);
    if (d.needs_lapse) {
        int64_t lapse;
        if ((status = lapse_at(tx, &l.t[d.to], mt.member_id, now, &lapse)) != STORE_OK)
            return status;
        d.review_at = tier_review_date(&l.t[d.to], lapse, now);
    }
    int64_t to_id = d.to >= 0 ? l.t[d.to].id : 0;
    if (to_id != mt.tier_id) {
        status = record_change(tx, &l, &mt, d.to, d.review_at, now);
    } else if (d.review_at != mt.review_at) {
        mt.review_at = d.review_at;
        status = store_tx_member_tier_set(tx, &mt);
    }
    if (status == STORE_OK && out)
        status = info_by_id(tx, to_id, out);
    return status;
}

int tiers_reevaluate(store_tx *tx, int64_t member_id, int64_t now, tier_info *out)
{
    store_member_tier mt;
    int status = store_tx_member_tier_get(tx, member_id, &mt);
    return status == STORE_OK ? tiers_reevaluate_known(tx, &mt, now, out) : status;
}

int tiers_member_known(store_tx *tx, const store_member_tier *mt, tier_info *out)
{
    if (mt->tier_id)
        return info_by_id(tx, mt->tier_id, out);
    /* A member without a tier stands in the entry tier until their next activity records it. */
    tier_list l;
    int status = store_tx_tier_rules(tx, l.t, STORE_TIERS_MAX, &l.n);
    if (status != STORE_OK)
        return status;
    return info_by_id(tx, l.n > 0 && l.t[0].rank == 0 ? l.t[0].id : 0, out);
}

int tiers_member(store_tx *tx, int64_t member_id, tier_info *out)
{
    store_member_tier mt;
    int status = store_tx_member_tier_get(tx, member_id, &mt);
    return status == STORE_OK ? tiers_member_known(tx, &mt, out) : status;
}

static json_t *time_or_null(int64_t ms)
{
    if (!ms)
        return json_null();
    char at[TIMEFMT_LEN];
    timefmt_rfc3339(ms, at);
    return json_string(at);
}

/* {"basis", "current", "next_tier", "needed"}: the activity that counts towards the next tier and what is missing. */
static json_t *progress_json(store_reader *r, const tier_list *l, int current, int64_t member_id, int64_t now)
{
    int next = current + 1 < l->n ? current + 1 : -1, measured = next >= 0 ? next : current;
    if (measured < 0)
        return json_pack("{s:n, s:I, s:n, s:I}", "basis", "current", (json_int_t)0, "next_tier", "needed",
                         (json_int_t)0);
    const tier_rule *t = &l->t[measured];
    int64_t sum = 0;
    store_tier_activity_sum(r, member_id, t->basis, tier_window_start(t, now), &sum);
    json_t *next_json = json_null();
    store_tier row;
    if (next >= 0 && store_tier_get(r, t->id, &row) == STORE_OK)
        next_json = json_pack("{s:I, s:s, s:s, s:I, s:I}", "id", (json_int_t)t->id, "name_en", row.name_en, "name_fa",
                              row.name_fa, "rank", (json_int_t)t->rank, "threshold", (json_int_t)t->threshold);
    int64_t needed = next >= 0 && t->threshold > sum ? t->threshold - sum : 0;
    return json_pack("{s:s, s:I, s:o, s:I}", "basis", tier_basis_name(t->basis), "current", (json_int_t)sum,
                     "next_tier", next_json, "needed", (json_int_t)needed);
}

json_t *tiers_member_json(store_reader *r, int64_t member_id, int64_t now)
{
    tier_list l;
    store_member_tier mt;
    if (store_member_tier_get(r, member_id, &mt) != STORE_OK ||
        store_tier_rules(r, l.t, STORE_TIERS_MAX, &l.n) != STORE_OK)
        return json_null();
    int current = index_of(&l, mt.tier_id);
    if (current < 0 && mt.tier_id == 0 && l.n > 0 && l.t[0].rank == 0)
        current = 0; /* the entry tier, not yet recorded */
    store_tier row;
    bool named = current >= 0 && store_tier_get(r, l.t[current].id, &row) == STORE_OK;
    json_t *doc = json_object();
    json_object_set_new(doc, "id", named ? json_integer(row.rule.id) : json_null());
    json_object_set_new(doc, "name_en", named ? json_string(row.name_en) : json_null());
    json_object_set_new(doc, "name_fa", named ? json_string(row.name_fa) : json_null());
    json_object_set_new(doc, "since", time_or_null(named && mt.tier_id ? mt.since : 0));
    json_object_set_new(doc, "review_at", time_or_null(named ? mt.review_at : 0));
    json_object_set_new(doc, "multiplier_permille", json_integer(named ? row.rule.multiplier_permille : 1000));
    json_object_set_new(doc, "progress", progress_json(r, &l, current, member_id, now));
    return doc;
}

int tiers_review(store_tx *tx, int64_t now, int limit, int *done)
{
    *done = 0;
    if (limit > TIERS_REVIEW_BATCH_MAX)
        limit = TIERS_REVIEW_BATCH_MAX;
    int64_t ids[TIERS_REVIEW_BATCH_MAX];
    int n;
    int status = store_tx_tier_due(tx, now, ids, limit, &n);
    /* Each review either moves the member down or gives them a review date after now (or none), so a member is
     * never due twice in a row and repeated calls work through the backlog. */
    for (int i = 0; i < n && status == STORE_OK; i++) {
        status = tiers_reevaluate(tx, ids[i], now, NULL);
        if (status == STORE_OK)
            (*done)++;
    }
    return status;
}
