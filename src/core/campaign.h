/* A campaign's pure rules: its offer and audience as JSON, the states and which changes between them are allowed,
 * the budget cap's arithmetic, a multiplier's extra points, and the guard rails against discounting the market
 * away (docs/campaigns.md).
 *
 * Invariant: the cap functions never let spent pass budget, in points or in money, whatever the inputs (overflow
 * included): a grant either fits whole or is refused. Pure: no I/O, no clock. Called by app/campaigns.c and the
 * campaign handlers; unit-tested in tests/unit/test_campaign.c. */
#ifndef BASHGAH_CORE_CAMPAIGN_H
#define BASHGAH_CORE_CAMPAIGN_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/errlist.h"

#define CAMPAIGN_POINTS_MAX 100000000LL        /* points of one bonus */
#define CAMPAIGN_FACTOR_MAX_PERMILLE 10000     /* a multiplier of at most x10 */
#define CAMPAIGN_BUDGET_MAX 1000000000000000LL /* 10^15 minor units or points */
#define CAMPAIGN_CLASS_MAX 32

typedef enum campaign_offer_kind {
    CAMPAIGN_OFFER_BONUS_POINTS,
    CAMPAIGN_OFFER_MULTIPLIER,
    CAMPAIGN_OFFER_FREE_REWARD,
    CAMPAIGN_OFFER_GIFT,
    CAMPAIGN_OFFER_MESSAGE
} campaign_offer_kind;

typedef struct campaign_offer {
    campaign_offer_kind kind;
    int64_t points;          /* bonus_points */
    int64_t factor_permille; /* multiplier: 2000 = x2 */
    int64_t reward_id;       /* free_reward, gift */
} campaign_offer;

typedef enum campaign_audience_kind {
    CAMPAIGN_AUDIENCE_ALL,
    CAMPAIGN_AUDIENCE_SEGMENT,
    CAMPAIGN_AUDIENCE_CLASS
} campaign_audience_kind;

typedef struct campaign_audience {
    campaign_audience_kind kind;
    int64_t segment_id;
    char class_name[CAMPAIGN_CLASS_MAX];
} campaign_audience;

/* Reads an offer object ({"kind": ..., and its fields}); errors name "offer.<field>". Returns e's new errors. */
int campaign_offer_parse(const json_t *v, campaign_offer *out, errlist *e);
json_t *campaign_offer_json(const campaign_offer *o);
const char *campaign_offer_kind_name(campaign_offer_kind k);
/* Reads an audience object; errors name "audience.<field>". */
int campaign_audience_parse(const json_t *v, campaign_audience *out, errlist *e);
json_t *campaign_audience_json(const campaign_audience *a);

/* States: draft, pilot, evaluating, running, finished, stopped. */
bool campaign_state_valid(const char *s);
/* Whether a state is live: its grants go on (pilot, evaluating, running). */
bool campaign_state_live(const char *s);
/* Whether the campaign handlers may move a campaign from `from` to `to` by hand (pilots and roll-outs have their
 * own routes). */
bool campaign_transition_allowed(const char *from, const char *to);

/* How many of `want` grants, each costing points_each points and money_each minor units, fit under the caps
 * (budget - spent, in both), all or nothing per grant. Never negative. */
int64_t campaign_cap_fit(int64_t budget_points, int64_t spent_points, int64_t budget_money, int64_t spent_money,
                         int64_t points_each, int64_t money_each, int64_t want);
/* Whether one more grant of points and money passes neither cap. */
bool campaign_cap_allows(int64_t budget_points, int64_t spent_points, int64_t budget_money, int64_t spent_money,
                         int64_t points, int64_t money);
/* Points x point value in minor units, saturating at INT64_MAX. */
int64_t campaign_points_money(int64_t points, int64_t point_value_minor);
/* The extra points a multiplier adds to base points: base x (factor - 1), rounded down. */
int64_t campaign_multiplier_extra(int64_t base_points, int64_t factor_permille);

/* What the guard rails look at, estimated from the audience and the programme when a campaign is saved. */
typedef struct campaign_guard_input {
    campaign_offer offer;
    int64_t point_value_minor;
    int64_t reward_cost_minor;    /* free_reward, gift: the reward's cost */
    int64_t audience_members;     /* members in the audience now */
    int64_t audience_purchases;   /* their purchases over the recent period */
    int64_t audience_spend_minor; /* their spend over the recent period */
    int64_t audience_points;      /* points the rules gave them for those purchases */
    int64_t recent_days;          /* the recent period's length */
    int64_t window_days;          /* the campaign's window (at least 1) */
    int64_t budget_points, budget_money_minor;
} campaign_guard_input;

typedef struct campaign_guard {
    int64_t discount_permille;   /* the offer's depth relative to the purchase it rewards */
    int64_t giveback_permille;   /* the most the campaign can give back, as a share of the window's revenue */
    int64_t give_max_minor;      /* that most, in money */
    int64_t revenue_minor;       /* the window's estimated revenue */
} campaign_guard;

void campaign_guard_compute(const campaign_guard_input *in, campaign_guard *out);

#endif
