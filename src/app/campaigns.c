/* Campaigns' use cases inside a write transaction (see campaigns.h). */
#include "app/campaigns.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/webhooks.h"
#include "base/log.h"
#include "core/sampling.h"
#include "core/segment_filter.h"

#define GIFT_CODE_LEN 10

static void account_of(int64_t campaign_id, char out[40]) { snprintf(out, 40, "campaign:%lld", (long long)campaign_id); }

/* ---- the audience ---- */

int campaign_audience_open(store_tx *tx, store_reader *r, const char *audience_json, int64_t now,
                           store_campaign_audience *a, segment_sql *sql, char *class_name, size_t cap)
{
    memset(a, 0, sizeof(*a));
    segment_sql_init(sql);
    json_t *j = audience_json ? json_loads(audience_json, 0, NULL) : NULL;
    campaign_audience aud;
    errlist e;
    errlist_init(&e);
    int bad = !j || campaign_audience_parse(j, &aud, &e) != 0;
    json_decref(j);
    if (bad)
        return STORE_INVALID;
    if (aud.kind == CAMPAIGN_AUDIENCE_CLASS) {
        snprintf(class_name, cap, "%s", aud.class_name);
        a->class_name = class_name;
    }
    if (aud.kind != CAMPAIGN_AUDIENCE_SEGMENT)
        return STORE_OK;
    store_segment g;
    store_programme p;
    int status = tx ? store_tx_segment_get(tx, aud.segment_id, &g) : store_segment_get(r, aud.segment_id, &g);
    if (status == STORE_NOTFOUND)
        return STORE_INVALID;
    if (status != STORE_OK)
        return status;
    status = tx ? store_tx_programme_get(tx, &p) : store_programme_read(r, &p);
    a->has_segment = true;
    if (status == STORE_OK && strcmp(g.kind, "static") == 0) {
        a->segment.static_id = g.id;
    } else if (status == STORE_OK) {
        json_t *filter = g.filter ? json_loads(g.filter, 0, NULL) : NULL;
        segment_context ctx = {now, p.time_zone[0] ? p.time_zone : "UTC"};
        segment_sql_release(sql);
        if (!filter || segment_filter_compile(filter, "filter", &ctx, sql, &e) != 0)
            status = STORE_INVALID;
        json_decref(filter);
        a->segment.sql = sql;
    }
    store_segment_release(&g);
    return status;
}

/* Assigns the next chunk of c's audience (members above after_id, at most CAMPAIGN_AUDIENCE_CHUNK) to wave:
 * arm holdout by the seeded draw, rollout otherwise; adds the counts to the wave and records how far it went.
 * *more says whether members may remain. */
static int assign_chunk(store_tx *tx, const store_campaign *c, int64_t wave, int64_t seed, int64_t after, int64_t now,
                        int64_t *treated, int64_t *holdout, bool *more)
{
    store_campaign_audience a;
    segment_sql sql;
    char cls[CAMPAIGN_CLASS_MAX];
    int64_t *ids = calloc(CAMPAIGN_AUDIENCE_CHUNK, sizeof(*ids));
    if (!ids)
        abort(); /* out of memory */
    int n = 0;
    int64_t in = 0, out = 0;
    int status = campaign_audience_open(tx, NULL, c->audience, now, &a, &sql, cls, sizeof(cls));
    if (status == STORE_OK)
        status = store_tx_campaign_audience_ids(tx, &a, after, CAMPAIGN_AUDIENCE_CHUNK, ids, &n);
    /* the holdout: a seeded draw per member, so the same seed keeps the same people out (the seed's key derived once
     * for the chunk, not once per member) */
    sampling_unit *draws = NULL;
    if (status == STORE_OK && c->holdout_share_permille > 0 && n > 0) {
        draws = calloc((size_t)n, sizeof(*draws));
        if (!draws)
            abort(); /* out of memory */
        for (int i = 0; i < n; i++)
            draws[i].id = ids[i];
        sampling_draw_all((uint64_t)seed, draws, (size_t)n);
    }
    for (int i = 0; status == STORE_OK && i < n; i++) {
        bool kept = draws && draws[i].draw % 1000 < (uint64_t)c->holdout_share_permille;
        bool added = false;
        status = store_tx_campaign_assign(tx, c->id, ids[i], kept ? "holdout" : "rollout", wave, "", now, &added);
        if (added)
            *(kept ? &out : &in) += 1;
    }
    *more = n == CAMPAIGN_AUDIENCE_CHUNK;
    if (status == STORE_OK)
        status = store_tx_campaign_wave_progress(tx, wave, in + out, in, out, *more ? ids[n - 1] : 0);
    *treated += in;
    *holdout += out;
    free(draws);
    free(ids);
    segment_sql_release(&sql);
    return status;
}

int campaign_launch_assign(store_tx *tx, const store_campaign *c, int64_t seed, const char *actor, int64_t now,
                           int64_t *treated, int64_t *holdout, bool *more)
{
    int64_t wave = 0;
    *treated = *holdout = 0;
    *more = false;
    int status = store_tx_campaign_wave_insert(tx, c->id, "rollout", "none", seed, 0, 0, 0, "[]", actor, now, &wave);
    return status == STORE_OK ? assign_chunk(tx, c, wave, seed, 0, now, treated, holdout, more) : status;
}

/* The grant job's first part: one more chunk of each launch still being assigned. *more when any has more. */
static int assign_waves(store_tx *tx, int64_t now, bool *more)
{
    store_campaign_wave_open waves[16];
    int n = 0;
    *more = false;
    int status = store_tx_campaign_waves_assigning(tx, waves, 16, &n);
    for (int i = 0; status == STORE_OK && i < n; i++) {
        store_campaign c;
        int64_t treated = 0, holdout = 0;
        bool left = false;
        if ((status = store_tx_campaign_get(tx, waves[i].campaign_id, &c)) != STORE_OK)
            break;
        status = assign_chunk(tx, &c, waves[i].id, waves[i].seed, waves[i].assigned_upto, now, &treated, &holdout,
                              &left);
        if (status == STORE_INVALID) { /* the audience no longer reads (its segment gone): the wave ends here */
            log_msg(LOG_WARN, "campaign_audience_unusable", "campaign=%lld", (long long)c.id);
            status = store_tx_campaign_wave_progress(tx, waves[i].id, 0, 0, 0, 0);
        }
        *more = *more || left;
        store_campaign_release(&c);
    }
    return status;
}

/* ---- granting ---- */

typedef struct grant_ctx {
    store_tx *tx;
    const store_campaign *c;
    campaign_offer offer;
    points_programme p;
    store_reward reward; /* free_reward, gift */
    json_t *message;     /* the campaign's message, or NULL */
    const char *channel; /* its channel */
    int64_t message_cost; /* what one costs (programme, by channel) */
    int64_t now;
    char account[40];
    char actor[48];
} grant_ctx;

/* Bonus points from the campaign's account to the member: a lot like any earned one. */
static int grant_points(grant_ctx *g, int64_t member_id)
{
    json_t *why = json_pack("[{s:I, s:s, s:I}]", "campaign_id", (json_int_t)g->c->id, "rule", g->c->name, "points",
                            (json_int_t)g->offer.points);
    points_ref ref = {.kind = "earn", .actor = g->actor, .explanation = why};
    int status = points_earn_from(g->tx, &g->p, member_id, g->offer.points, g->now, g->account, &ref);
    json_decref(why);
    char member[40];
    snprintf(member, sizeof(member), "member:%lld", (long long)member_id);
    if (status == STORE_OK)
        status = store_tx_cost_insert(g->tx, "points", campaign_points_money(g->offer.points, g->p.point_value_minor),
                                      g->now, "campaign", g->c->id, member, NULL, g->actor, g->now);
    return status;
}

/* A reward from the catalogue at 0 points: a redemption, its stock taken, its cost counted. STORE_INVALID when the
 * stock is out (the caller refuses the grant). */
static int grant_reward(grant_ctx *g, int64_t member_id)
{
    static const char alphabet[] = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
    store_redemption d = {.member_id = member_id, .reward_id = g->reward.id, .points = 0, .created_at = g->now,
                          .updated_at = g->now};
    snprintf(d.status, sizeof(d.status), "issued");
    for (int i = 0; i < GIFT_CODE_LEN; i++)
        d.code[i] = alphabet[randombytes_uniform(sizeof(alphabet) - 1)];
    snprintf(d.idempotency_key, sizeof(d.idempotency_key), "campaign:%lld", (long long)g->c->id);
    int status = store_tx_reward_stock_take(g->tx, g->reward.id, g->now);
    if (status == STORE_OK)
        status = store_tx_redemption_insert(g->tx, &d);
    char ref[40];
    snprintf(ref, sizeof(ref), "redemption:%lld", (long long)d.id);
    if (status == STORE_OK)
        status = store_tx_cost_insert(g->tx, "gifts", g->reward.cost_minor, g->now, "campaign", g->c->id, ref, NULL,
                                      g->actor, g->now);
    return status;
}

/* The member's address and consent for the message's channel: NULL when the message is not to go (no consent,
 * no address, erased). */
static const char *message_destination(const grant_ctx *g, const member *m)
{
    if (m->erased_at)
        return NULL;
    if (strcmp(g->channel, "sms") == 0)
        return m->consent_sms && m->phone[0] ? m->phone : NULL;
    if (strcmp(g->channel, "email") == 0)
        return m->consent_email && m->email[0] ? m->email : NULL;
    return ""; /* the portal inbox: the member's own page */
}

static const char *localized(json_t *o, const char *locale)
{
    json_t *v = json_object_get(o, locale);
    return json_is_string(v) ? json_string_value(v) : json_string_value(json_object_get(o, "en"));
}

/* The campaign's message to a granted member, through the outbox in this commit, and its cost. */
static int send_message(grant_ctx *g, const member *m, const char *destination)
{
    const char *locale = strcmp(m->locale, "fa") == 0 ? "fa" : "en";
    json_t *data = json_pack("{s:I}", "campaign_id", (json_int_t)g->c->id);
    json_t *subject = json_object_get(g->message, "subject");
    store_outbox_msg msg = {.kind = "campaign", .channel = g->channel, .member_id = m->id,
                            .destination = destination, .locale = locale,
                            .subject = json_is_object(subject) ? localized(subject, locale) : NULL,
                            .body_text = localized(json_object_get(g->message, "body"), locale), .data = data,
                            .ref_id = g->c->id, .not_after = g->c->ends_at, .now = g->now};
    int64_t id = 0;
    int status = store_outbox_enqueue(g->tx, &msg, &id);
    json_decref(data);
    char ref[40];
    snprintf(ref, sizeof(ref), "outbox:%lld", (long long)id);
    if (status == STORE_OK && g->message_cost > 0)
        status = store_tx_cost_insert(g->tx, "messages", g->message_cost, g->now, "campaign", g->c->id, ref, g->channel,
                                      g->actor, g->now);
    return status;
}

/* What one grant costs the budget: points and money. */
static void grant_cost(const grant_ctx *g, int64_t *points, int64_t *money)
{
    *points = 0;
    *money = 0;
    if (g->offer.kind == CAMPAIGN_OFFER_BONUS_POINTS) {
        *points = g->offer.points;
        *money = campaign_points_money(g->offer.points, g->p.point_value_minor);
    } else if (g->offer.kind == CAMPAIGN_OFFER_FREE_REWARD || g->offer.kind == CAMPAIGN_OFFER_GIFT) {
        *money = g->reward.cost_minor;
    }
}

static int grant_offer(grant_ctx *g, int64_t member_id, int64_t points, int64_t money, bool *given);

/* One member's grant, all in the caller's savepoint: the cap, the offer, the assignment row. */
static int grant_one(grant_ctx *g, int64_t member_id)
{
    store_member_account m;
    int status = store_tx_member_account(g->tx, member_id, NULL, NULL, &m);
    if (status == STORE_NOTFOUND || (status == STORE_OK && m.erased))
        return store_tx_campaign_granted(g->tx, g->c->id, member_id, g->now, "erased");
    if (status != STORE_OK)
        return status;
    int64_t points, money;
    grant_cost(g, &points, &money);
    member who;
    const char *destination = NULL;
    if (g->message) {
        if ((status = store_tx_member_get(g->tx, member_id, &who)) != STORE_OK)
            return status;
        destination = message_destination(g, &who);
        if (destination)
            money += g->message_cost;
        else
            member_release(&who);
    }
    bool given = false;
    status = grant_offer(g, member_id, points, money, &given);
    if (status == STORE_OK && given && destination)
        status = send_message(g, &who, destination);
    if (destination)
        member_release(&who);
    return status;
}

/* The offer's part of a grant: the cap, then the points or the reward, then the assignment row; *given says whether
 * it was given (else refused, and the row says why). */
static int grant_offer(grant_ctx *g, int64_t member_id, int64_t points, int64_t money, bool *given)
{
    int status;
    bool reward = g->offer.kind == CAMPAIGN_OFFER_FREE_REWARD || g->offer.kind == CAMPAIGN_OFFER_GIFT;
    /* A reward may be out of stock after the spend: its own savepoint undoes both. */
    if (reward && (status = store_tx_savepoint(g->tx)) != STORE_OK)
        return status;
    /* The cap: the spend and the check are one statement in this commit. */
    const char *refused = "budget";
    status = store_tx_campaign_spend(g->tx, g->c->id, points, money);
    if (status == STORE_OK && g->offer.kind == CAMPAIGN_OFFER_BONUS_POINTS)
        status = grant_points(g, member_id);
    if (status == STORE_OK && reward) {
        refused = "stock";
        status = grant_reward(g, member_id);
    }
    if (reward) {
        int undo = status == STORE_OK ? store_tx_release(g->tx) : store_tx_rollback(g->tx);
        if (undo != STORE_OK)
            return undo;
    }
    if (status == STORE_INVALID)
        return store_tx_campaign_granted(g->tx, g->c->id, member_id, g->now, refused);
    if (status == STORE_OK)
        status = store_tx_campaign_granted(g->tx, g->c->id, member_id, g->now, NULL);
    *given = status == STORE_OK;
    return status;
}

static int grant_ctx_open(store_tx *tx, const store_campaign *c, int64_t now, grant_ctx *g)
{
    memset(g, 0, sizeof(*g));
    g->tx = tx;
    g->c = c;
    g->now = now;
    account_of(c->id, g->account);
    snprintf(g->actor, sizeof(g->actor), "campaign:%lld", (long long)c->id);
    json_t *o = c->offer ? json_loads(c->offer, 0, NULL) : NULL;
    errlist e;
    errlist_init(&e);
    int bad = !o || campaign_offer_parse(o, &g->offer, &e) != 0;
    json_decref(o);
    if (bad)
        return STORE_INVALID;
    int status = points_programme_get(tx, &g->p);
    if (status == STORE_OK && (g->offer.kind == CAMPAIGN_OFFER_FREE_REWARD || g->offer.kind == CAMPAIGN_OFFER_GIFT))
        status = store_tx_reward_get(tx, g->offer.reward_id, &g->reward);
    g->message = c->message ? json_loads(c->message, 0, NULL) : NULL;
    g->channel = g->message ? json_string_value(json_object_get(g->message, "channel")) : NULL;
    if (g->message && !g->channel) {
        json_decref(g->message);
        g->message = NULL;
    }
    if (g->channel)
        g->message_cost = strcmp(g->channel, "sms") == 0     ? g->p.message_cost_sms_minor
                          : strcmp(g->channel, "email") == 0 ? g->p.message_cost_email_minor
                                                             : 0;
    return status;
}

int campaign_grant_due(store_tx *tx, int64_t campaign_id, int64_t now, int limit, int *granted)
{
    *granted = 0;
    store_campaign c;
    int status = store_tx_campaign_get(tx, campaign_id, &c);
    if (status != STORE_OK)
        return status;
    /* Grants stop when the campaign is stopped or finished, and wait for its window. */
    if (!campaign_state_live(c.state) || (c.starts_at && now < c.starts_at) || limit <= 0) {
        store_campaign_release(&c);
        return STORE_OK;
    }
    grant_ctx g;
    int64_t *ids = calloc((size_t)limit, sizeof(*ids));
    if (!ids)
        abort(); /* out of memory */
    int n = 0;
    status = grant_ctx_open(tx, &c, now, &g);
    if (status == STORE_OK)
        status = store_tx_campaign_due(tx, c.id, limit, ids, &n);
    for (int i = 0; status == STORE_OK && i < n; i++)
        status = grant_one(&g, ids[i]);
    if (status == STORE_OK)
        *granted = n;
    json_decref(g.message);
    free(ids);
    store_campaign_release(&c);
    return status;
}

int campaigns_grant_run(store_tx *tx, int64_t now, int limit, int *done)
{
    int64_t ids[64];
    int n = 0;
    bool assigning = false;
    *done = 0;
    int status = assign_waves(tx, now, &assigning);
    if (status == STORE_OK)
        status = store_tx_campaigns_pilot_ended(tx, now, ids, 64, &n);
    for (int i = 0; status == STORE_OK && i < n; i++)
        status = campaigns_state_change(tx, ids[i], "pilot", "evaluating", "system", "the pilot's window ended", now);
    int64_t after = 0;
    while (status == STORE_OK && *done < limit) {
        if ((status = store_tx_campaigns_live(tx, after, ids, 64, &n)) != STORE_OK || n == 0)
            break;
        for (int i = 0; status == STORE_OK && i < n && *done < limit; i++) {
            int handled = 0;
            status = campaign_grant_due(tx, ids[i], now, limit - *done, &handled);
            if (status == STORE_INVALID || status == STORE_NOTFOUND) {
                /* an offer that no longer reads (its reward gone): this campaign waits, the others go on */
                log_msg(LOG_WARN, "campaign_offer_unusable", "campaign=%lld", (long long)ids[i]);
                status = STORE_OK;
            }
            *done += handled;
        }
        after = ids[n - 1];
        if (n < 64)
            break;
    }
    if (assigning)
        *done = limit; /* run again at once: more of a launch's audience to assign */
    return status;
}

/* ---- the multiplier on purchases ---- */

static void explain(rule_result *res, int64_t points, const char *fmt, int64_t id, int64_t factor)
{
    if (res->count >= RULES_MAX)
        return;
    rule_grant *line = &res->grants[res->count++];
    memset(line, 0, sizeof(*line));
    snprintf(line->rule, sizeof(line->rule), fmt, (long long)id, (int)(factor / 1000), (int)(factor % 1000));
    line->points = points;
}

/* One campaign's extra for a purchase whose rules gave base points. */
static int multiplier_apply(store_tx *tx, const points_programme *p, const store_campaign_multiplier *m,
                            int64_t member_id, int64_t base, int64_t now, rule_result *res)
{
    store_campaign_assignment a;
    int status = store_tx_campaign_assignment(tx, m->id, member_id, &a);
    if (status == STORE_NOTFOUND || (status == STORE_OK && a.granted_at == 0))
        return STORE_OK; /* not treated, or not yet granted */
    if (status != STORE_OK)
        return status;
    int64_t extra = campaign_multiplier_extra(base, m->factor_permille);
    if (extra <= 0)
        return STORE_OK;
    int64_t money = campaign_points_money(extra, p->point_value_minor);
    status = store_tx_campaign_spend(tx, m->id, extra, money);
    if (status == STORE_INVALID) {
        explain(res, 0, "campaign %lld x%d.%03d: its budget is spent, no extra points", m->id, m->factor_permille);
        return STORE_OK;
    }
    if (status != STORE_OK)
        return status;
    /* The extra joins the purchase's own lot (from club:issued, so a return takes it back with the rest); the
     * campaign pays it to club:issued here, so its account shows what it gave. */
    char from[40], member[40];
    account_of(m->id, from);
    snprintf(member, sizeof(member), "member:%lld", (long long)member_id);
    store_posting post = {.at = now, .points = extra, .kind = "campaign", .member_id = member_id,
                          .actor = "system"};
    snprintf(post.from_account, sizeof(post.from_account), "%s", from);
    snprintf(post.to_account, sizeof(post.to_account), "club:issued");
    status = store_tx_posting_insert(tx, &post);
    if (status == STORE_OK)
        status = store_tx_cost_insert(tx, "points", money, now, "campaign", m->id, member, "multiplier", "system", now);
    if (status == STORE_OK) {
        explain(res, extra, "campaign %lld x%d.%03d", m->id, m->factor_permille);
        res->points += extra;
    }
    return status;
}

int campaigns_on_purchase(store_tx *tx, const points_programme *p, int64_t member_id, int64_t occurred_at,
                          int64_t now, rule_result *res)
{
    const store_campaign_multiplier *ms;
    int n = 0;
    int status = store_tx_campaign_multipliers(tx, &ms, &n);
    int64_t base = res->points;
    for (int i = 0; status == STORE_OK && i < n; i++) {
        if (occurred_at < ms[i].starts_at || (ms[i].ends_at && occurred_at >= ms[i].ends_at))
            continue;
        status = multiplier_apply(tx, p, &ms[i], member_id, base, now, res);
    }
    return status;
}

int campaigns_state_change(store_tx *tx, int64_t id, const char *from, const char *to, const char *actor,
                           const char *reason, int64_t now)
{
    if (from && strcmp(from, to) == 0)
        return store_tx_campaign_touch(tx, id, from, now); /* another wave of the same state: nothing to record */
    int status = store_tx_campaign_state(tx, id, from, to, actor, reason, now);
    if (status == STORE_OK)
        status = webhooks_emit(tx, WEBHOOK_CAMPAIGN_STATE_CHANGED, now, "{s:I, s:s?, s:s, s:s, s:s}", "campaign",
                               (json_int_t)id, "from", from, "to", to, "actor", actor, "reason", reason ? reason : "");
    return status;
}
