/* A campaign's pure rules (see campaign.h). */
#include "core/campaign.h"

#include "core/classes.h"

#include <stdio.h>
#include <string.h>

static const char *const offer_kinds[] = {"bonus_points", "multiplier", "free_reward", "gift", "message"};
static const char *const states[] = {"draft", "pilot", "evaluating", "running", "finished", "stopped"};

/* The changes a person makes through POST /campaigns/{id}/state: {from, to}. A pilot starts through its own route
 * (draft -> pilot), a roll-out through its own (evaluating -> running). */
static const struct {
    const char *from, *to;
} transitions[] = {
    {"draft", "running"},      /* a launch without pilot */
    {"pilot", "evaluating"},   /* the pilot's window ended, or by hand */
    {"running", "finished"},
    {"draft", "stopped"},      {"pilot", "stopped"}, {"evaluating", "stopped"}, {"running", "stopped"},
};

const char *campaign_offer_kind_name(campaign_offer_kind k) { return offer_kinds[k]; }

static bool int_field(const json_t *o, const char *name, const char *path, int64_t min, int64_t max, bool required,
                      int64_t *out, errlist *e)
{
    json_t *v = json_object_get(o, name);
    char field[64];
    snprintf(field, sizeof(field), "%s.%s", path, name);
    if (!v) {
        if (required)
            errlist_add(e, field, "is required");
        return false;
    }
    if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max) {
        errlist_add(e, field, "must be a whole number from %lld to %lld", (long long)min, (long long)max);
        return false;
    }
    *out = json_integer_value(v);
    return true;
}

int campaign_offer_parse(const json_t *v, campaign_offer *out, errlist *e)
{
    int before = e->count;
    memset(out, 0, sizeof(*out));
    if (!json_is_object(v)) {
        errlist_add(e, "offer", "must be an object {\"kind\": ...}");
        return e->count - before;
    }
    json_t *kind = json_object_get(v, "kind");
    int k = -1;
    for (int i = 0; json_is_string(kind) && i < 5; i++)
        if (strcmp(json_string_value(kind), offer_kinds[i]) == 0)
            k = i;
    if (k < 0) {
        errlist_add(e, "offer.kind", "must be one of bonus_points, multiplier, free_reward, gift, message");
        return e->count - before;
    }
    out->kind = (campaign_offer_kind)k;
    const char *key;
    json_t *val;
    json_object_foreach((json_t *)v, key, val) {
        bool known = strcmp(key, "kind") == 0 || (strcmp(key, "points") == 0 && k == CAMPAIGN_OFFER_BONUS_POINTS) ||
                     (strcmp(key, "factor") == 0 && k == CAMPAIGN_OFFER_MULTIPLIER) ||
                     (strcmp(key, "reward_id") == 0 && (k == CAMPAIGN_OFFER_FREE_REWARD || k == CAMPAIGN_OFFER_GIFT));
        if (!known) {
            char field[64];
            snprintf(field, sizeof(field), "offer.%.40s", key);
            errlist_add(e, field, "is not a field of a %s offer", offer_kinds[k]);
        }
    }
    if (k == CAMPAIGN_OFFER_BONUS_POINTS)
        int_field(v, "points", "offer", 1, CAMPAIGN_POINTS_MAX, true, &out->points, e);
    if (k == CAMPAIGN_OFFER_FREE_REWARD || k == CAMPAIGN_OFFER_GIFT)
        int_field(v, "reward_id", "offer", 1, INT64_MAX, true, &out->reward_id, e);
    if (k == CAMPAIGN_OFFER_MULTIPLIER) {
        json_t *factor = json_object_get(v, "factor");
        double x = json_is_number(factor) ? json_number_value(factor) : 0;
        if (!factor)
            errlist_add(e, "offer.factor", "is required");
        else if (!json_is_number(factor) || x <= 1.0 || x > CAMPAIGN_FACTOR_MAX_PERMILLE / 1000.0)
            errlist_add(e, "offer.factor", "must be a number above 1 and at most %d", CAMPAIGN_FACTOR_MAX_PERMILLE / 1000);
        else
            out->factor_permille = (int64_t)(x * 1000 + 0.5);
        if (out->factor_permille == 1000) {
            errlist_add(e, "offer.factor", "must be a number above 1 and at most %d", CAMPAIGN_FACTOR_MAX_PERMILLE / 1000);
            out->factor_permille = 0;
        }
    }
    return e->count - before;
}

json_t *campaign_offer_json(const campaign_offer *o)
{
    json_t *j = json_pack("{s:s}", "kind", offer_kinds[o->kind]);
    if (o->kind == CAMPAIGN_OFFER_BONUS_POINTS)
        json_object_set_new(j, "points", json_integer(o->points));
    if (o->kind == CAMPAIGN_OFFER_MULTIPLIER)
        json_object_set_new(j, "factor", o->factor_permille % 1000 == 0 ? json_integer(o->factor_permille / 1000)
                                                                         : json_real(o->factor_permille / 1000.0));
    if (o->kind == CAMPAIGN_OFFER_FREE_REWARD || o->kind == CAMPAIGN_OFFER_GIFT)
        json_object_set_new(j, "reward_id", json_integer(o->reward_id));
    return j;
}

int campaign_audience_parse(const json_t *v, campaign_audience *out, errlist *e)
{
    int before = e->count;
    memset(out, 0, sizeof(*out));
    if (!json_is_object(v)) {
        errlist_add(e, "audience", "must be an object {\"kind\": \"all\" | \"segment\" | \"class\"}");
        return e->count - before;
    }
    const char *kind = json_string_value(json_object_get(v, "kind"));
    const char *key;
    json_t *val;
    if (!kind || (strcmp(kind, "all") != 0 && strcmp(kind, "segment") != 0 && strcmp(kind, "class") != 0)) {
        errlist_add(e, "audience.kind", "must be all, segment or class");
        return e->count - before;
    }
    json_object_foreach((json_t *)v, key, val) {
        if (strcmp(key, "kind") != 0 && !(strcmp(key, "segment_id") == 0 && strcmp(kind, "segment") == 0) &&
            !(strcmp(key, "class") == 0 && strcmp(kind, "class") == 0)) {
            char field[64];
            snprintf(field, sizeof(field), "audience.%.40s", key);
            errlist_add(e, field, "is not a field of a %s audience", kind);
        }
    }
    if (strcmp(kind, "segment") == 0) {
        out->kind = CAMPAIGN_AUDIENCE_SEGMENT;
        int_field(v, "segment_id", "audience", 1, INT64_MAX, true, &out->segment_id, e);
    } else if (strcmp(kind, "class") == 0) {
        out->kind = CAMPAIGN_AUDIENCE_CLASS;
        const char *c = json_string_value(json_object_get(v, "class"));
        class_kind k;
        if (!c || classes_from_name(c, &k) != 0)
            errlist_add(e, "audience.class", "must be one of prospect, new, main, occasional, at_risk, lapsed");
        else
            snprintf(out->class_name, sizeof(out->class_name), "%s", c);
    }
    return e->count - before;
}

json_t *campaign_audience_json(const campaign_audience *a)
{
    if (a->kind == CAMPAIGN_AUDIENCE_SEGMENT)
        return json_pack("{s:s, s:I}", "kind", "segment", "segment_id", (json_int_t)a->segment_id);
    if (a->kind == CAMPAIGN_AUDIENCE_CLASS)
        return json_pack("{s:s, s:s}", "kind", "class", "class", a->class_name);
    return json_pack("{s:s}", "kind", "all");
}

bool campaign_state_valid(const char *s)
{
    for (size_t i = 0; s && i < sizeof(states) / sizeof(states[0]); i++)
        if (strcmp(s, states[i]) == 0)
            return true;
    return false;
}

bool campaign_state_live(const char *s)
{
    return strcmp(s, "pilot") == 0 || strcmp(s, "evaluating") == 0 || strcmp(s, "running") == 0;
}

bool campaign_transition_allowed(const char *from, const char *to)
{
    for (size_t i = 0; i < sizeof(transitions) / sizeof(transitions[0]); i++)
        if (strcmp(from, transitions[i].from) == 0 && strcmp(to, transitions[i].to) == 0)
            return true;
    return false;
}

int64_t campaign_cap_fit(int64_t budget_points, int64_t spent_points, int64_t budget_money, int64_t spent_money,
                         int64_t points_each, int64_t money_each, int64_t want)
{
    if (want <= 0 || points_each < 0 || money_each < 0)
        return 0;
    int64_t left_points = budget_points - spent_points, left_money = budget_money - spent_money;
    if (left_points < 0 || left_money < 0)
        return 0;
    int64_t fit = want;
    if (points_each > 0 && left_points / points_each < fit)
        fit = left_points / points_each;
    if (money_each > 0 && left_money / money_each < fit)
        fit = left_money / money_each;
    return fit;
}

bool campaign_cap_allows(int64_t budget_points, int64_t spent_points, int64_t budget_money, int64_t spent_money,
                         int64_t points, int64_t money)
{
    return campaign_cap_fit(budget_points, spent_points, budget_money, spent_money, points, money, 1) == 1;
}

int64_t campaign_points_money(int64_t points, int64_t point_value_minor)
{
    __int128 v = (__int128)points * point_value_minor;
    return v > INT64_MAX ? INT64_MAX : v < 0 ? 0 : (int64_t)v;
}

int64_t campaign_multiplier_extra(int64_t base_points, int64_t factor_permille)
{
    if (base_points <= 0 || factor_permille <= 1000)
        return 0;
    __int128 v = (__int128)base_points * (factor_permille - 1000) / 1000;
    return v > CAMPAIGN_BUDGET_MAX ? CAMPAIGN_BUDGET_MAX : (int64_t)v;
}

static int64_t clamp128(__int128 v) { return v > INT64_MAX ? INT64_MAX : v < 0 ? 0 : (int64_t)v; }

static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

void campaign_guard_compute(const campaign_guard_input *in, campaign_guard *out)
{
    memset(out, 0, sizeof(*out));
    const campaign_offer *o = &in->offer;
    int64_t window = in->window_days > 0 ? in->window_days : 1, recent = in->recent_days > 0 ? in->recent_days : 1;
    /* Without purchases in the recent period nothing can be estimated: both stay 0 (shown as such). */
    if (in->audience_spend_minor <= 0 || in->audience_purchases <= 0)
        return;
    __int128 spend = in->audience_spend_minor, pv = in->point_value_minor;
    __int128 give = 0; /* the most the offer could give the audience over the window, in money */
    switch (o->kind) {
    case CAMPAIGN_OFFER_BONUS_POINTS:
        /* one bonus against the audience's average purchase */
        out->discount_permille = clamp128((__int128)o->points * pv * 1000 * in->audience_purchases / spend);
        give = (__int128)o->points * pv * in->audience_members;
        break;
    case CAMPAIGN_OFFER_MULTIPLIER:
        /* the extra points' value per unit of money spent: (factor - 1) x the rules' earning rate */
        out->discount_permille = clamp128((__int128)(o->factor_permille - 1000) * in->audience_points * pv / spend);
        give = (__int128)(o->factor_permille - 1000) * in->audience_points * pv * window / recent / 1000;
        break;
    case CAMPAIGN_OFFER_FREE_REWARD:
    case CAMPAIGN_OFFER_GIFT:
        out->discount_permille = clamp128((__int128)in->reward_cost_minor * 1000 * in->audience_purchases / spend);
        give = (__int128)in->reward_cost_minor * in->audience_members;
        break;
    case CAMPAIGN_OFFER_MESSAGE:
        break;
    }
    int64_t cap = in->budget_money_minor;
    if (o->kind == CAMPAIGN_OFFER_BONUS_POINTS || o->kind == CAMPAIGN_OFFER_MULTIPLIER)
        cap = min64(cap, campaign_points_money(in->budget_points, in->point_value_minor));
    out->give_max_minor = min64(clamp128(give), cap);
    out->revenue_minor = clamp128(spend * window / recent);
    if (out->revenue_minor > 0)
        out->giveback_permille = clamp128((__int128)out->give_max_minor * 1000 / out->revenue_minor);
}
