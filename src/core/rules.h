/* Earning rules: what a purchase or another event earns, and why. Pure: the caller gives the event in the
 * club's local time and a way to ask what a rule already gave the member (for caps); rules_evaluate() returns
 * the points and one explanation line per rule that gave something.
 *
 * A rule is stored as its fields plus a JSON "definition"; rule_apply_json() validates both, naming each bad
 * field, and keeps the definition in its normalised form (docs/rules.md describes the format and semantics). */
#ifndef BASHGAH_RULES_H
#define BASHGAH_RULES_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/errlist.h"

#define RULES_MAX 64          /* rules evaluated for one event */
#define RULE_NAME_MAX 128
#define RULE_ITEMS_MAX 200    /* items in one purchase */
#define RULE_DEFINITION_MAX 8192 /* bytes of the definition as compact JSON */
#define RULE_LIST_MAX 100         /* entries in one condition list (categories, skus, stores, tiers) */
#define RULE_AMOUNT_MAX INT64_C(1000000000000000) /* 10^15 minor units: larger amounts count as this */
#define RULE_POINTS_MAX INT64_C(1000000000000000) /* what one rule, or one evaluation, gives at most */
#define RULE_CAPPED_SUFFIX " (capped)"

typedef enum rule_period { RULE_PERIOD_DAY, RULE_PERIOD_WEEK, RULE_PERIOD_MONTH } rule_period;

typedef struct rule {
    int64_t id;
    char name[RULE_NAME_MAX + 1];
    char event[32];   /* purchase | joined | profile_completed | survey_answered | custom */
    int priority;     /* lower first */
    bool best_of;     /* combine: false = stack, true = best of (only the best-paying "best" rule counts) */
    bool active;
    int64_t starts_at, ends_at; /* ms; 0 = open */
    json_t *definition;         /* owned */
    int64_t created_at, updated_at;
    struct rule_def *parsed;    /* owned: the definition parsed once by rule_prepare; NULL = parsed when evaluated */
} rule;

typedef struct rule_item {
    char sku[65];
    char category[65];
    int64_t quantity;
    int64_t amount_minor;
} rule_item;

typedef struct rule_context {
    const char *event;      /* "purchase" or another event type */
    const char *event_name; /* a custom event's name, or NULL */
    int64_t amount_minor;   /* purchases */
    const rule_item *items;
    int nitems;
    const char *store;
    int64_t occurred_at_ms;
    int local_weekday;      /* in the club's time zone: 0 Sunday .. 6 Saturday */
    int local_hour;         /* 0..23 */
    int64_t tier_id;        /* 0: none */
    bool first_purchase;
    /* Points rule_id already gave this member in the period (day, week or month, in the club's zone) that
     * holds occurred_at_ms. */
    int64_t (*granted)(void *arg, int64_t rule_id, rule_period period, int64_t occurred_at_ms);
    void *granted_arg;
} rule_context;

typedef struct rule_grant {
    int64_t rule_id;
    char rule[RULE_NAME_MAX + sizeof(RULE_CAPPED_SUFFIX)]; /* the name, + RULE_CAPPED_SUFFIX when capped */
    int64_t points;
    bool capped; /* the rule's cap cut what it would have given */
} rule_grant;

typedef struct rule_result {
    int64_t points;
    int count;
    rule_grant grants[RULES_MAX];
} rule_result;

void rule_init(rule *r);
void rule_release(rule *r);
/* Parses r's definition once for evaluation (a rule kept between evaluations, as the writer's cache keeps them);
 * a definition that does not parse is left to evaluation, which skips it. r->definition must not change after,
 * except through rule_apply_json or rule_release. */
void rule_prepare(rule *r);
/* Validates a rule body (create: every required field; update: a merge onto r). Errors name the field. */
int rule_apply_json(rule *r, json_t *body, bool creating, errlist *e);
json_t *rule_to_json(const rule *r);
/* Evaluates rules (any order; sorted here by priority then id) for ctx. Inactive rules, rules of another event
 * and rules outside their date window give nothing. Deterministic. */
void rules_evaluate(const rule *rules, int n, const rule_context *ctx, rule_result *out);
/* The explanation as JSON: [{"rule_id", "rule", "points"}] (new reference). */
json_t *rules_explanation(const rule_result *res);

/* "day" | "week" | "month" (static strings). */
const char *rules_period_name(rule_period p);
/* Deep copy: dst must be released by the caller. */
void rule_copy(rule *dst, const rule *src);
/* True for the events a rule can earn on: purchase, joined, profile_completed, survey_answered, custom. */
bool rules_event_valid(const char *event);

/* The period [from, to) of kind p that holds at_ms, in time_zone (IANA). A day runs from local midnight to
 * the next; a week from Saturday 00:00; a month is a calendar month: Persian (Solar Hijri) in Iran's zones,
 * Gregorian elsewhere. Returns 0, or -1 when time_zone is not an IANA zone or ICU fails. */
int rules_period_bounds(rule_period p, int64_t at_ms, const char *time_zone, int64_t *from_ms, int64_t *to_ms);
/* The local day of the week (0 Sunday .. 6 Saturday) and hour (0..23) of at_ms in time_zone, for
 * rule_context. Returns 0, or -1 as above. */
int rules_local_time(int64_t at_ms, const char *time_zone, int *weekday, int *hour);

#endif
