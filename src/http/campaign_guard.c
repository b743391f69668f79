/* A campaign's guard rails: what its offer may give back, estimated from its audience's recent spend
 * (campaign_guard_compute in core), kept with the record at each save and checked against the programme's
 * ceilings. Reads on the thread's reader; called by the campaign handlers (campaigns.c). */
#include <string.h>

#include "core/timefmt.h"
#include "http/campaigns.h"

#define DAY_MS (24LL * 3600 * 1000)
#define GUARD_RECENT_DAYS 90 /* the audience's recent spend: the last 90 days */
#define GUARD_WINDOW_DAYS_DEFAULT 30 /* a campaign without an end is judged over 30 days */

json_t *http_campaign_guard_json(const campaign_change *c)
{
    if (!c->has_guard)
        return json_null();
    const campaign_guard *g = &c->guard;
    return json_pack("{s:I, s:i, s:I, s:i, s:I, s:I, s:b, s:o}", "discount_permille", (json_int_t)g->discount_permille,
                     "discount_max_permille", c->guard_discount_max, "giveback_permille",
                     (json_int_t)g->giveback_permille, "giveback_max_permille", c->guard_giveback_max,
                     "give_max_minor", (json_int_t)g->give_max_minor, "revenue_minor", (json_int_t)g->revenue_minor,
                     "ok", g->discount_permille <= c->guard_discount_max && g->giveback_permille <= c->guard_giveback_max,
                     "estimated_at", timefmt_json(c->guard_at));
}

/* The estimate a save made (or none) onto c's row, as of now. */
int http_campaign_guard_store(store_tx *tx, store_campaign *c, campaign_change *ch, int64_t now)
{
    ch->guard_at = ch->has_guard ? now : 0;
    c->guard_discount_permille = ch->guard.discount_permille;
    c->guard_giveback_permille = ch->guard.giveback_permille;
    c->guard_give_max_minor = ch->guard.give_max_minor;
    c->guard_revenue_minor = ch->guard.revenue_minor;
    c->guard_at = ch->guard_at;
    return store_tx_campaign_guard_set(tx, c);
}

/* The estimate stored with c, against the programme's ceilings as they are now. */
void http_campaign_guard_stored(http_request *r, const store_campaign *c, campaign_change *out)
{
    store_programme p;
    if (!c->guard_at || store_programme_read(r->thread->reader, &p) != STORE_OK)
        return;
    out->has_guard = true;
    out->guard = (campaign_guard){c->guard_discount_permille, c->guard_giveback_permille, c->guard_give_max_minor,
                                  c->guard_revenue_minor};
    out->guard_at = c->guard_at;
    out->guard_discount_max = p.guard_discount_max_permille;
    out->guard_giveback_max = p.guard_giveback_max_permille;
}

/* Estimates the guard rails of c from its audience's recent spend (the thread's reader). 0, or -1 when they cannot
 * be read (the audience's segment is gone: the writer names it). */
int http_campaign_guard_compute(http_request *r, const store_campaign *c, campaign_change *out)
{
    store_programme p;
    campaign_guard_input in = {0};
    json_t *o = c->offer ? json_loads(c->offer, 0, NULL) : NULL;
    errlist e;
    errlist_init(&e);
    int bad = !o || campaign_offer_parse(o, &in.offer, &e) != 0;
    json_decref(o);
    if (bad || store_programme_read(r->thread->reader, &p) != STORE_OK)
        return -1;
    store_campaign_audience a;
    segment_sql sql;
    char cls[CAMPAIGN_CLASS_MAX];
    store_campaign_audience_stats st;
    int status = campaign_audience_open(NULL, r->thread->reader, c->audience, r->now_ms, &a, &sql, cls, sizeof(cls));
    if (status == STORE_OK)
        status = store_campaign_audience_stats_read(r->thread->reader, &a, r->now_ms - GUARD_RECENT_DAYS * DAY_MS, &st);
    segment_sql_release(&sql);
    store_reward rw;
    if (status == STORE_OK &&
        (in.offer.kind == CAMPAIGN_OFFER_FREE_REWARD || in.offer.kind == CAMPAIGN_OFFER_GIFT)) {
        status = store_reward_get(r->thread->reader, in.offer.reward_id, &rw);
        in.reward_cost_minor = status == STORE_OK ? rw.cost_minor : 0;
    }
    if (status != STORE_OK)
        return -1;
    int64_t from = c->starts_at ? c->starts_at : r->now_ms;
    in.point_value_minor = p.point_value_minor;
    in.audience_members = st.members;
    in.audience_purchases = st.purchases;
    in.audience_spend_minor = st.spend_minor;
    in.audience_points = st.points;
    in.recent_days = GUARD_RECENT_DAYS;
    in.window_days = c->ends_at > from ? (c->ends_at - from + DAY_MS - 1) / DAY_MS : GUARD_WINDOW_DAYS_DEFAULT;
    in.budget_points = c->budget_points;
    in.budget_money_minor = c->budget_money_minor;
    campaign_guard_compute(&in, &out->guard);
    out->has_guard = true;
    out->guard_discount_max = p.guard_discount_max_permille;
    out->guard_giveback_max = p.guard_giveback_max_permille;
    return 0;
}

/* The offer's field a discount ceiling names. */
static const char *offer_value_field(const store_campaign *c)
{
    if (!c->offer)
        return "offer";
    if (strstr(c->offer, "\"multiplier\""))
        return "offer.factor";
    if (strstr(c->offer, "\"bonus_points\""))
        return "offer.points";
    if (strstr(c->offer, "reward_id"))
        return "offer.reward_id";
    return "offer";
}

void http_campaign_guard_check(const store_campaign *c, const campaign_change *ch, errlist *e)
{
    if (!ch->has_guard)
        return;
    if (ch->guard.discount_permille > ch->guard_discount_max)
        errlist_add(e, offer_value_field(c), "gives %lld per mille of the purchase it rewards; the club's ceiling is "
                    "%d (guard_discount_max_permille)", (long long)ch->guard.discount_permille, ch->guard_discount_max);
    if (ch->guard.giveback_permille > ch->guard_giveback_max)
        errlist_add(e, "budget.money", "could give back %lld per mille of the revenue of the campaign's window; the "
                    "club's ceiling is %d (guard_giveback_max_permille)", (long long)ch->guard.giveback_permille,
                    ch->guard_giveback_max);
}
