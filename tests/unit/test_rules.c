/*
 * test_rules.c: unit tests for src/core/rules.c, rules_def.c and rules_eval.c (validation and JSON of rules, the
 * evaluation of every rule kind with rounding, item conditions, windows, tiers, caps, best-of and priority, and the
 * local-time helpers) and for src/store/rules.c against a real SQLite file (CRUD, the rules of an event, grants for
 * caps).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dirent.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/calendar.h"
#include "core/rules.h"
#include "core/timefmt.h"
#include "store/store.h"

#define NOW_MS INT64_C(1767225600000) /* 2026-01-01T00:00:00Z, a Thursday */
#define HOUR_MS INT64_C(3600000)
#define DAY_MS (24 * HOUR_MS)

static json_t *parse_json(const char *text)
{
    json_error_t jerr;
    json_t *j = json_loads(text, 0, &jerr);
    if (!j)
        fail_msg("bad JSON in test: %s: %s", text, jerr.text);
    return j;
}

/* A rule created from body text, which must be valid, with the given id. */
static void make_rule(rule *r, int64_t id, const char *text)
{
    json_t *body = parse_json(text);
    errlist e;
    errlist_init(&e);
    rule_init(r);
    if (rule_apply_json(r, body, true, &e) != 0)
        fail_msg("rule refused: %s: %s (%s)", e.items[0].field, e.items[0].message, text);
    json_decref(body);
    r->id = id;
    r->created_at = r->updated_at = NOW_MS;
}

/* Applies text to a fresh rule (creating) and returns the number of errors in e. */
static int apply_errors(const char *text, errlist *e)
{
    rule r;
    json_t *body = parse_json(text);
    errlist_init(e);
    rule_init(&r);
    int n = rule_apply_json(&r, body, true, e);
    json_decref(body);
    rule_release(&r);
    assert_int_equal(n, e->count);
    return n;
}

static int find_error(const errlist *e, const char *field)
{
    for (int i = 0; i < e->count && i < ERRLIST_MAX; i++)
        if (strcmp(e->items[i].field, field) == 0)
            return i;
    return -1;
}

#define ASSERT_FIELD_ERROR(text, name, needle)                                                                     \
    do {                                                                                                         \
        errlist e_;                                                                                              \
        apply_errors((text), &e_);                                                                               \
        int i_ = find_error(&e_, (name));                                                                        \
        if (i_ < 0)                                                                                              \
            fail_msg("no error for field '%s' in %s (first: '%s')", (name), (text),                              \
                     e_.count ? e_.items[0].field : "none");                                                     \
        if (!strstr(e_.items[i_].message, (needle)))                                                             \
            fail_msg("error for '%s' is '%s', expected '%s'", (name), e_.items[i_].message, (needle));           \
    } while (0)

static void release_all(rule *rules, int n)
{
    for (int i = 0; i < n; i++)
        rule_release(&rules[i]);
}

/* A purchase context at NOW_MS (Thursday 12:00 local), no tier, not a first purchase. */
static rule_context purchase(int64_t amount, const rule_item *items, int nitems)
{
    rule_context c = {.event = "purchase", .amount_minor = amount, .items = items, .nitems = nitems,
                      .store = "S1", .occurred_at_ms = NOW_MS, .local_weekday = 4, .local_hour = 12};
    return c;
}

/* Evaluates one rule made from text on ctx and returns the points. */
static int64_t points_of(const char *text, const rule_context *ctx)
{
    rule r;
    rule_result res;
    make_rule(&r, 1, text);
    rules_evaluate(&r, 1, ctx, &res);
    rule_release(&r);
    return res.points;
}

#define PER_10000(rounding)                                                                                      \
    "{\"name\": \"base\", \"priority\": 10, \"definition\": {\"kind\": \"per_amount\", \"per_amount_minor\": "     \
    "10000, \"rounding\": \"" rounding "\"}}"

/* ---- per amount and rounding ---- */

static void test_per_amount_rounds_floor_nearest_and_ceil(void **state)
{
    (void)state;
    rule_context c = purchase(15000, NULL, 0);
    assert_int_equal(points_of(PER_10000("floor"), &c), 1);
    assert_int_equal(points_of(PER_10000("nearest"), &c), 2); /* half rounds up */
    assert_int_equal(points_of(PER_10000("ceil"), &c), 2);
    c.amount_minor = 14999;
    assert_int_equal(points_of(PER_10000("nearest"), &c), 1);
    c.amount_minor = 10001;
    assert_int_equal(points_of(PER_10000("ceil"), &c), 2);
    assert_int_equal(points_of(PER_10000("floor"), &c), 1);
    c.amount_minor = 20000;
    assert_int_equal(points_of(PER_10000("floor"), &c), 2);
    assert_int_equal(points_of(PER_10000("nearest"), &c), 2);
    assert_int_equal(points_of(PER_10000("ceil"), &c), 2);
    c.amount_minor = 0;
    assert_int_equal(points_of(PER_10000("ceil"), &c), 0);
}

static void test_per_amount_with_several_points_per_step(void **state)
{
    (void)state;
    const char *three = "{\"name\": \"3 per 1000\", \"priority\": 1, \"definition\": {\"kind\": \"per_amount\", "
                        "\"points\": 3, \"per_amount_minor\": 1000, \"rounding\": \"%s\"}}";
    char text[256];
    rule_context c = purchase(2500, NULL, 0); /* 7.5 points */
    snprintf(text, sizeof(text), three, "floor");
    assert_int_equal(points_of(text, &c), 7);
    snprintf(text, sizeof(text), three, "nearest");
    assert_int_equal(points_of(text, &c), 8);
    snprintf(text, sizeof(text), three, "ceil");
    assert_int_equal(points_of(text, &c), 8);
}

static void test_rounding_per_item_rounds_each_line(void **state)
{
    (void)state;
    rule_item items[] = {{"A", "dairy", 1, 15000}, {"B", "bread", 1, 15000}};
    rule_context c = purchase(30000, items, 2);
    assert_int_equal(points_of(PER_10000("floor"), &c), 3); /* floor(3.0) over the whole amount */
    assert_int_equal(points_of("{\"name\": \"x\", \"priority\": 1, \"definition\": {\"kind\": \"per_amount\", "
                               "\"per_amount_minor\": 10000, \"rounding_scope\": \"item\"}}",
                               &c),
                     2); /* floor(1.5) + floor(1.5) */
}

static void test_per_amount_over_matching_items_only(void **state)
{
    (void)state;
    rule_item items[] = {{"MILK-1", "dairy", 2, 40000}, {"BREAD", "bread", 1, 60000}, {"CHEESE", "dairy", 1, 5000}};
    rule_context c = purchase(105000, items, 3);
    assert_int_equal(points_of("{\"name\": \"dairy\", \"priority\": 1, \"definition\": {\"kind\": \"per_amount\", "
                               "\"per_amount_minor\": 10000, \"categories\": [\"dairy\"]}}",
                               &c),
                     4); /* 45,000 of dairy */
    /* Categories or skus: an item passes with either. */
    assert_int_equal(points_of("{\"name\": \"d\", \"priority\": 1, \"definition\": {\"kind\": \"per_amount\", "
                               "\"per_amount_minor\": 10000, \"categories\": [\"dairy\"], \"skus\": [\"BREAD\"]}}",
                               &c),
                     10);
    /* No items in the purchase: an item rule gives nothing. */
    rule_context bare = purchase(105000, NULL, 0);
    assert_int_equal(points_of("{\"name\": \"d\", \"priority\": 1, \"definition\": {\"kind\": \"per_amount\", "
                               "\"per_amount_minor\": 10000, \"skus\": [\"MILK-1\"]}}",
                               &bare),
                     0);
}

static void test_amounts_up_to_10e15_never_overflow(void **state)
{
    (void)state;
    const char *rich = "{\"name\": \"rich\", \"priority\": 1, \"definition\": {\"kind\": \"per_amount\", "
                       "\"points\": 1000000, \"per_amount_minor\": 1}}";
    rule_context c = purchase(RULE_AMOUNT_MAX, NULL, 0);
    assert_int_equal(points_of(rich, &c), RULE_POINTS_MAX); /* 10^21 saturates */
    c.amount_minor = INT64_MAX;
    assert_int_equal(points_of(rich, &c), RULE_POINTS_MAX);
    c.amount_minor = -5000;
    assert_int_equal(points_of(rich, &c), 0);
    /* The largest step with the largest rate: the remainder product stays in range. */
    c.amount_minor = RULE_AMOUNT_MAX - 1;
    assert_int_equal(points_of("{\"name\": \"r\", \"priority\": 1, \"definition\": {\"kind\": \"per_amount\", "
                               "\"points\": 1000000, \"per_amount_minor\": 1000000000000, \"rounding\": \"ceil\"}}",
                               &c),
                     INT64_C(1000000000)); /* 999 steps * 10^6 + ceil(0.999999...) * 10^6 */
    c.amount_minor = RULE_AMOUNT_MAX;
    assert_int_equal(points_of("{\"name\": \"r\", \"priority\": 1, \"definition\": {\"kind\": \"multiplier\", "
                               "\"multiplier_permille\": 100000}}",
                               &c),
                     0); /* a multiplier with no base gives nothing */
}

/* ---- multipliers ---- */

static void test_category_multiplier_applies_to_the_base_of_matching_items(void **state)
{
    (void)state;
    rule rules[2];
    make_rule(&rules[0], 1, PER_10000("floor"));
    make_rule(&rules[1], 2, "{\"name\": \"double dairy\", \"priority\": 20, \"definition\": {\"kind\": "
                            "\"multiplier\", \"multiplier_permille\": 2000, \"categories\": [\"dairy\"]}}");
    rule_item items[] = {{"MILK-1", "dairy", 2, 40000}, {"BREAD", "bread", 1, 60000}};
    rule_context c = purchase(100000, items, 2);
    rule_result res;
    rules_evaluate(rules, 2, &c, &res);
    assert_int_equal(res.points, 14); /* 10 base + 4 more for the 40,000 of dairy */
    assert_int_equal(res.count, 2);
    assert_int_equal(res.grants[0].rule_id, 1);
    assert_int_equal(res.grants[0].points, 10);
    assert_string_equal(res.grants[1].rule, "double dairy");
    assert_int_equal(res.grants[1].points, 4);
    /* No dairy: the multiplier does not apply. */
    rule_item bread[] = {{"BREAD", "bread", 1, 100000}};
    rule_context c2 = purchase(100000, bread, 1);
    rules_evaluate(rules, 2, &c2, &res);
    assert_int_equal(res.points, 10);
    assert_int_equal(res.count, 1);
    release_all(rules, 2);
}

static void test_multiplier_rounds_by_its_policy_and_multipliers_add_up(void **state)
{
    (void)state;
    rule rules[3];
    make_rule(&rules[0], 1, "{\"name\": \"base\", \"priority\": 1, \"definition\": {\"kind\": \"per_amount\", "
                            "\"per_amount_minor\": 1000}}");
    make_rule(&rules[1], 2, "{\"name\": \"x1.5\", \"priority\": 2, \"definition\": {\"kind\": \"multiplier\", "
                            "\"multiplier_permille\": 1500, \"rounding\": \"nearest\"}}");
    make_rule(&rules[2], 3, "{\"name\": \"x1.25\", \"priority\": 3, \"definition\": {\"kind\": \"multiplier\", "
                            "\"multiplier_permille\": 1250}}");
    rule_context c = purchase(7000, NULL, 0); /* base 7 */
    rule_result res;
    rules_evaluate(rules, 3, &c, &res);
    assert_int_equal(res.grants[1].points, 4); /* round(3.5) */
    assert_int_equal(res.grants[2].points, 1); /* floor(1.75): each multiplier works on the base alone */
    assert_int_equal(res.points, 12);
    release_all(rules, 3);
}

static void test_multiplier_by_store_day_hour_and_tier(void **state)
{
    (void)state;
    rule rules[2];
    make_rule(&rules[0], 1, PER_10000("floor"));
    make_rule(&rules[1], 2, "{\"name\": \"late friday gold\", \"priority\": 5, \"definition\": {\"kind\": "
                            "\"multiplier\", \"multiplier_permille\": 3000, \"stores\": [\"S1\", \"S2\"], "
                            "\"days\": [\"thu\", \"fri\"], \"hours\": {\"from\": 22, \"to\": 2}, \"tiers\": [7]}}");
    rule_context c = purchase(100000, NULL, 0);
    c.tier_id = 7;
    c.local_weekday = 5;
    c.local_hour = 23;
    rule_result res;
    rules_evaluate(rules, 2, &c, &res);
    assert_int_equal(res.points, 30);
    c.local_hour = 1; /* past midnight is still inside 22..2 */
    rules_evaluate(rules, 2, &c, &res);
    assert_int_equal(res.points, 30);
    c.local_hour = 2; /* "to" is not included */
    rules_evaluate(rules, 2, &c, &res);
    assert_int_equal(res.points, 10);
    c.local_hour = 23;
    c.local_weekday = 6; /* Saturday */
    rules_evaluate(rules, 2, &c, &res);
    assert_int_equal(res.points, 10);
    c.local_weekday = 5;
    c.store = "S3";
    rules_evaluate(rules, 2, &c, &res);
    assert_int_equal(res.points, 10);
    c.store = "S2";
    c.tier_id = 3;
    rules_evaluate(rules, 2, &c, &res);
    assert_int_equal(res.points, 10);
    c.tier_id = 0; /* no tier never matches a tier condition */
    rules_evaluate(rules, 2, &c, &res);
    assert_int_equal(res.points, 10);
    release_all(rules, 2);
}

/* ---- bonuses ---- */

static void test_first_purchase_bonus_only_on_the_first(void **state)
{
    (void)state;
    const char *welcome = "{\"name\": \"welcome\", \"priority\": 1, \"definition\": {\"kind\": \"bonus\", "
                          "\"points\": 500, \"first_purchase\": true}}";
    rule_context c = purchase(1000, NULL, 0);
    assert_int_equal(points_of(welcome, &c), 0);
    c.first_purchase = true;
    assert_int_equal(points_of(welcome, &c), 500);
    const char *big = "{\"name\": \"big basket\", \"priority\": 1, \"definition\": {\"kind\": \"bonus\", "
                      "\"points\": 50, \"min_amount_minor\": 1000000}}";
    assert_int_equal(points_of(big, &c), 0);
    c.amount_minor = 1000000;
    assert_int_equal(points_of(big, &c), 50);
}

static void test_event_bonuses_match_their_event_and_custom_name(void **state)
{
    (void)state;
    rule rules[3];
    make_rule(&rules[0], 1, "{\"name\": \"joined\", \"event\": \"joined\", \"priority\": 1, \"definition\": "
                            "{\"kind\": \"bonus\", \"points\": 100}}");
    make_rule(&rules[1], 2, "{\"name\": \"review\", \"event\": \"custom\", \"priority\": 1, \"definition\": "
                            "{\"kind\": \"bonus\", \"points\": 30, \"event_name\": \"app_review\"}}");
    make_rule(&rules[2], 3, "{\"name\": \"any custom\", \"event\": \"custom\", \"priority\": 2, \"definition\": "
                            "{\"kind\": \"bonus\", \"points\": 5}}");
    rule_context c = {.event = "joined", .occurred_at_ms = NOW_MS, .local_weekday = 4, .local_hour = 12};
    rule_result res;
    rules_evaluate(rules, 3, &c, &res);
    assert_int_equal(res.points, 100);
    c.event = "custom";
    c.event_name = "app_review";
    rules_evaluate(rules, 3, &c, &res);
    assert_int_equal(res.points, 35);
    c.event_name = "newsletter";
    rules_evaluate(rules, 3, &c, &res);
    assert_int_equal(res.points, 5);
    c.event = "survey_answered";
    rules_evaluate(rules, 3, &c, &res);
    assert_int_equal(res.points, 0);
    assert_int_equal(res.count, 0);
    release_all(rules, 3);
}

/* ---- caps ---- */

typedef struct granted_stub {
    int64_t points;
    int calls;
    int64_t rule_id;
    rule_period period;
    int64_t at;
} granted_stub;

static int64_t granted_cb(void *arg, int64_t rule_id, rule_period period, int64_t at)
{
    granted_stub *g = arg;
    g->calls++;
    g->rule_id = rule_id;
    g->period = period;
    g->at = at;
    return g->points;
}

static void test_cap_gives_only_what_is_left_and_says_capped(void **state)
{
    (void)state;
    rule r;
    make_rule(&r, 9, "{\"name\": \"base\", \"priority\": 1, \"definition\": {\"kind\": \"per_amount\", "
                     "\"per_amount_minor\": 1000, \"cap\": {\"period\": \"week\", \"points\": 1000}}}");
    granted_stub g = {.points = 900};
    rule_context c = purchase(300000, NULL, 0); /* 300 points before the cap */
    c.granted = granted_cb;
    c.granted_arg = &g;
    rule_result res;
    rules_evaluate(&r, 1, &c, &res);
    assert_int_equal(res.points, 100);
    assert_int_equal(res.count, 1);
    assert_true(res.grants[0].capped);
    assert_string_equal(res.grants[0].rule, "base" RULE_CAPPED_SUFFIX);
    assert_int_equal(g.rule_id, 9);
    assert_int_equal(g.period, RULE_PERIOD_WEEK);
    assert_int_equal(g.at, NOW_MS);
    /* Room enough: not capped. */
    g.points = 0;
    rules_evaluate(&r, 1, &c, &res);
    assert_int_equal(res.points, 300);
    assert_false(res.grants[0].capped);
    assert_string_equal(res.grants[0].rule, "base");
    /* The cap reached: nothing, and no explanation line. */
    g.points = 1000;
    rules_evaluate(&r, 1, &c, &res);
    assert_int_equal(res.points, 0);
    assert_int_equal(res.count, 0);
    g.points = 5000; /* beyond the cap (the cap was lowered since) */
    rules_evaluate(&r, 1, &c, &res);
    assert_int_equal(res.points, 0);
    rule_release(&r);
}

static void test_uncapped_rules_never_ask_what_was_granted(void **state)
{
    (void)state;
    rule r;
    make_rule(&r, 1, PER_10000("floor"));
    granted_stub g = {.points = 1000000};
    rule_context c = purchase(50000, NULL, 0);
    c.granted = granted_cb;
    c.granted_arg = &g;
    rule_result res;
    rules_evaluate(&r, 1, &c, &res);
    assert_int_equal(res.points, 5);
    assert_int_equal(g.calls, 0);
    rule_release(&r);
}

static void test_multiplier_never_exceeds_what_a_capped_base_gave(void **state)
{
    (void)state;
    rule rules[2];
    make_rule(&rules[0], 1, "{\"name\": \"base\", \"priority\": 1, \"definition\": {\"kind\": \"per_amount\", "
                            "\"per_amount_minor\": 1000, \"cap\": {\"period\": \"day\", \"points\": 50}}}");
    make_rule(&rules[1], 2, "{\"name\": \"double dairy\", \"priority\": 2, \"definition\": {\"kind\": "
                            "\"multiplier\", \"multiplier_permille\": 2000, \"categories\": [\"dairy\"]}}");
    rule_item items[] = {{"MILK", "dairy", 1, 80000}, {"BREAD", "bread", 1, 20000}};
    rule_context c = purchase(100000, items, 2);
    rule_result res;
    rules_evaluate(rules, 2, &c, &res); /* base 100 capped to 50; dairy's base 80 limited to 50 */
    assert_int_equal(res.grants[0].points, 50);
    assert_int_equal(res.grants[1].points, 50);
    assert_int_equal(res.points, 100);
    release_all(rules, 2);
}

/* ---- combining ---- */

static void test_best_of_keeps_only_the_best_and_stack_adds(void **state)
{
    (void)state;
    rule rules[4];
    make_rule(&rules[0], 1, "{\"name\": \"standard\", \"priority\": 10, \"combine\": \"best\", \"definition\": "
                            "{\"kind\": \"per_amount\", \"per_amount_minor\": 1000}}");
    make_rule(&rules[1], 2, "{\"name\": \"gold rate\", \"priority\": 20, \"combine\": \"best\", \"definition\": "
                            "{\"kind\": \"per_amount\", \"points\": 2, \"per_amount_minor\": 1000, \"tiers\": [5]}}");
    make_rule(&rules[2], 3, "{\"name\": \"store promo\", \"priority\": 30, \"definition\": {\"kind\": "
                            "\"per_amount\", \"per_amount_minor\": 5000, \"stores\": [\"S1\"]}}");
    make_rule(&rules[3], 4, "{\"name\": \"weekend bonus\", \"priority\": 40, \"combine\": \"best\", \"definition\": "
                            "{\"kind\": \"bonus\", \"points\": 7}}");
    rule_context c = purchase(10000, NULL, 0);
    rule_result res;
    rules_evaluate(rules, 4, &c, &res);
    assert_int_equal(res.points, 10 + 2 + 7); /* standard (gold does not apply), promo stacks, bonus competes alone */
    c.tier_id = 5;
    rules_evaluate(rules, 4, &c, &res);
    assert_int_equal(res.points, 20 + 2 + 7);
    assert_int_equal(res.count, 3);
    assert_string_equal(res.grants[0].rule, "gold rate");
    assert_string_equal(res.grants[1].rule, "store promo");
    release_all(rules, 4);
}

static void test_best_of_ties_go_to_lower_priority_then_lower_id(void **state)
{
    (void)state;
    rule rules[3];
    make_rule(&rules[0], 7, "{\"name\": \"b7\", \"priority\": 5, \"combine\": \"best\", \"definition\": "
                            "{\"kind\": \"bonus\", \"points\": 10}}");
    make_rule(&rules[1], 3, "{\"name\": \"b3\", \"priority\": 5, \"combine\": \"best\", \"definition\": "
                            "{\"kind\": \"bonus\", \"points\": 10}}");
    make_rule(&rules[2], 1, "{\"name\": \"b1\", \"priority\": 9, \"combine\": \"best\", \"definition\": "
                            "{\"kind\": \"bonus\", \"points\": 10}}");
    rule_context c = purchase(100, NULL, 0);
    rule_result res;
    rules_evaluate(rules, 3, &c, &res);
    assert_int_equal(res.points, 10);
    assert_int_equal(res.count, 1);
    assert_int_equal(res.grants[0].rule_id, 3); /* priority 5 beats 9; then id 3 beats 7 */
    rules[1].priority = 6;
    rules_evaluate(rules, 3, &c, &res);
    assert_int_equal(res.grants[0].rule_id, 7);
    release_all(rules, 3);
}

static void test_best_of_compares_points_after_caps(void **state)
{
    (void)state;
    rule rules[2];
    make_rule(&rules[0], 1, "{\"name\": \"big but capped\", \"priority\": 1, \"combine\": \"best\", \"definition\": "
                            "{\"kind\": \"bonus\", \"points\": 100, \"cap\": {\"period\": \"month\", "
                            "\"points\": 100}}}");
    make_rule(&rules[1], 2, "{\"name\": \"small\", \"priority\": 2, \"combine\": \"best\", \"definition\": "
                            "{\"kind\": \"bonus\", \"points\": 30}}");
    granted_stub g = {.points = 80};
    rule_context c = purchase(100, NULL, 0);
    c.granted = granted_cb;
    c.granted_arg = &g;
    rule_result res;
    rules_evaluate(rules, 2, &c, &res);
    assert_int_equal(res.points, 30);
    assert_string_equal(res.grants[0].rule, "small");
    release_all(rules, 2);
}

static void test_explanation_follows_priority_then_id(void **state)
{
    (void)state;
    rule rules[3];
    make_rule(&rules[0], 5, "{\"name\": \"third\", \"priority\": 30, \"definition\": {\"kind\": \"bonus\", "
                            "\"points\": 3}}");
    make_rule(&rules[1], 9, "{\"name\": \"first\", \"priority\": 10, \"definition\": {\"kind\": \"bonus\", "
                            "\"points\": 1}}");
    make_rule(&rules[2], 2, "{\"name\": \"second\", \"priority\": 30, \"definition\": {\"kind\": \"bonus\", "
                            "\"points\": 2}}");
    rule_context c = purchase(100, NULL, 0);
    rule_result res;
    rules_evaluate(rules, 3, &c, &res);
    assert_int_equal(res.count, 3);
    assert_string_equal(res.grants[0].rule, "first");
    assert_string_equal(res.grants[1].rule, "second");
    assert_string_equal(res.grants[2].rule, "third");
    json_t *why = rules_explanation(&res);
    json_t *want = parse_json("[{\"rule_id\": 9, \"rule\": \"first\", \"points\": 1}, {\"rule_id\": 2, \"rule\": "
                              "\"second\", \"points\": 2}, {\"rule_id\": 5, \"rule\": \"third\", \"points\": 3}]");
    assert_true(json_equal(why, want));
    json_decref(why);
    json_decref(want);
    release_all(rules, 3);
}

/* ---- windows and states ---- */

static void test_date_window_includes_start_and_excludes_end(void **state)
{
    (void)state;
    rule r;
    make_rule(&r, 1, "{\"name\": \"nowruz\", \"priority\": 1, \"starts_at\": \"2026-01-01T00:00:00Z\", "
                     "\"ends_at\": \"2026-01-02T00:00:00Z\", \"definition\": {\"kind\": \"bonus\", \"points\": 5}}");
    rule_context c = purchase(100, NULL, 0);
    rule_result res;
    rules_evaluate(&r, 1, &c, &res);
    assert_int_equal(res.points, 5);
    c.occurred_at_ms = NOW_MS - 1;
    rules_evaluate(&r, 1, &c, &res);
    assert_int_equal(res.points, 0);
    c.occurred_at_ms = NOW_MS + DAY_MS - 1;
    rules_evaluate(&r, 1, &c, &res);
    assert_int_equal(res.points, 5);
    c.occurred_at_ms = NOW_MS + DAY_MS;
    rules_evaluate(&r, 1, &c, &res);
    assert_int_equal(res.points, 0);
    rule_release(&r);
}

static void test_inactive_and_other_event_rules_give_nothing(void **state)
{
    (void)state;
    rule rules[2];
    make_rule(&rules[0], 1, "{\"name\": \"off\", \"priority\": 1, \"active\": false, \"definition\": "
                            "{\"kind\": \"bonus\", \"points\": 5}}");
    make_rule(&rules[1], 2, "{\"name\": \"j\", \"event\": \"joined\", \"priority\": 1, \"definition\": "
                            "{\"kind\": \"bonus\", \"points\": 5}}");
    rule_context c = purchase(100, NULL, 0);
    rule_result res;
    rules_evaluate(rules, 2, &c, &res);
    assert_int_equal(res.points, 0);
    /* A definition that no longer parses (a hand-edited database) is skipped, not trusted. */
    json_decref(rules[1].definition);
    rules[1].definition = parse_json("{\"kind\": \"bonus\", \"points\": -5}");
    c.event = "joined";
    rules_evaluate(rules, 2, &c, &res);
    assert_int_equal(res.points, 0);
    release_all(rules, 2);
}

static void test_evaluation_is_deterministic_in_any_input_order(void **state)
{
    (void)state;
    const char *texts[] = {
        PER_10000("nearest"),
        "{\"name\": \"gold\", \"priority\": 10, \"combine\": \"best\", \"definition\": {\"kind\": \"per_amount\", "
        "\"points\": 2, \"per_amount_minor\": 10000}}",
        "{\"name\": \"silver\", \"priority\": 10, \"combine\": \"best\", \"definition\": {\"kind\": \"per_amount\", "
        "\"points\": 2, \"per_amount_minor\": 10000}}",
        "{\"name\": \"dairy x3\", \"priority\": 15, \"definition\": {\"kind\": \"multiplier\", "
        "\"multiplier_permille\": 3000, \"categories\": [\"dairy\"], \"rounding\": \"ceil\"}}",
        "{\"name\": \"bonus\", \"priority\": 1, \"definition\": {\"kind\": \"bonus\", \"points\": 4}}",
    };
    enum { N = 5 };
    rule base[N];
    for (int i = 0; i < N; i++)
        make_rule(&base[i], 100 - i, texts[i]);
    rule_item items[] = {{"MILK", "dairy", 1, 33333}, {"BREAD", "bread", 1, 66667}};
    rule_context c = purchase(100000, items, 2);
    rule_result first, again;
    rules_evaluate(base, N, &c, &first);
    assert_true(first.points > 0);
    unsigned seed = 7;
    for (int round = 0; round < 50; round++) {
        rule shuffled[N];
        memcpy(shuffled, base, sizeof(base));
        for (int i = N - 1; i > 0; i--) {
            seed = seed * 1103515245u + 12345u;
            int j = (int)((seed >> 16) % (unsigned)(i + 1));
            rule t = shuffled[i];
            shuffled[i] = shuffled[j];
            shuffled[j] = t;
        }
        rules_evaluate(shuffled, N, &c, &again);
        assert_int_equal(again.points, first.points);
        assert_int_equal(again.count, first.count);
        assert_memory_equal(again.grants, first.grants, sizeof(rule_grant) * (size_t)first.count);
    }
    release_all(base, N);
}

/* Rules parsed once (rule_prepare, as the writer's cache keeps them) give what rules parsed at every evaluation
 * give; a change through rule_apply_json and a copy never use a parse of another definition. */
static void test_prepared_rules_evaluate_as_unprepared_ones(void **state)
{
    (void)state;
    const char *texts[] = {
        PER_10000("nearest"),
        "{\"name\": \"gold\", \"priority\": 10, \"combine\": \"best\", \"definition\": {\"kind\": \"per_amount\", "
        "\"points\": 2, \"per_amount_minor\": 10000, \"stores\": [\"S1\"], \"cap\": {\"points\": 5, "
        "\"period\": \"day\"}}}",
        "{\"name\": \"dairy x3\", \"priority\": 15, \"definition\": {\"kind\": \"multiplier\", "
        "\"multiplier_permille\": 3000, \"categories\": [\"dairy\"], \"rounding\": \"ceil\"}}",
        "{\"name\": \"bonus\", \"priority\": 1, \"definition\": {\"kind\": \"bonus\", \"points\": 4, "
        "\"days\": [\"thu\"], \"hours\": {\"from\": 10, \"to\": 14}}}",
    };
    enum { N = 4 };
    rule plain[N], prepared[N];
    for (int i = 0; i < N; i++) {
        make_rule(&plain[i], i + 1, texts[i]);
        make_rule(&prepared[i], i + 1, texts[i]);
        rule_prepare(&prepared[i]);
        assert_non_null(prepared[i].parsed);
    }
    rule_item items[] = {{"MILK", "dairy", 1, 33333}, {"BREAD", "bread", 1, 66667}};
    rule_context c = purchase(100000, items, 2);
    rule_result a, b;
    rules_evaluate(plain, N, &c, &a);
    rules_evaluate(prepared, N, &c, &b);
    assert_true(a.points > 0);
    assert_int_equal(b.points, a.points);
    assert_int_equal(b.count, a.count);
    assert_memory_equal(b.grants, a.grants, sizeof(rule_grant) * (size_t)a.count);

    /* A new definition replaces the parse of the old one. */
    json_t *patch = parse_json("{\"definition\": {\"kind\": \"per_amount\", \"per_amount_minor\": 1000}}");
    errlist e;
    errlist_init(&e);
    assert_int_equal(rule_apply_json(&prepared[0], patch, false, &e), 0);
    json_decref(patch);
    assert_null(prepared[0].parsed);
    rules_evaluate(&prepared[0], 1, &c, &b);
    assert_int_equal(b.points, 100);
    rule_prepare(&prepared[0]);
    rule copy;
    rule_copy(&copy, &prepared[0]);
    assert_null(copy.parsed);
    rules_evaluate(&copy, 1, &c, &b);
    assert_int_equal(b.points, 100);
    rule_release(&copy);

    /* A definition that does not parse (a hand-edited database) is not prepared, and gives nothing. */
    json_decref(prepared[1].definition);
    prepared[1].definition = parse_json("{\"kind\": \"per_amount\"}");
    rule_prepare(&prepared[1]);
    assert_null(prepared[1].parsed);
    rules_evaluate(&prepared[1], 1, &c, &b);
    assert_int_equal(b.points, 0);
    release_all(plain, N);
    release_all(prepared, N);
}

/* The worked examples of docs/rules.md, so the page stays true. */
static void test_docs_examples_give_the_documented_points(void **state)
{
    (void)state;
    rule rules[4];
    make_rule(&rules[0], 1, "{\"name\": \"base\", \"priority\": 10, \"definition\": {\"kind\": \"per_amount\", "
                            "\"per_amount_minor\": 10000}}");
    make_rule(&rules[1], 2, "{\"name\": \"double dairy\", \"priority\": 20, \"definition\": {\"kind\": "
                            "\"multiplier\", \"multiplier_permille\": 2000, \"categories\": [\"dairy\"]}}");
    make_rule(&rules[2], 3, "{\"name\": \"weekend\", \"priority\": 30, \"definition\": {\"kind\": \"multiplier\", "
                            "\"multiplier_permille\": 1500, \"rounding\": \"nearest\", \"days\": [\"thu\", \"fri\"]}}");
    make_rule(&rules[3], 4, "{\"name\": \"welcome\", \"priority\": 40, \"definition\": {\"kind\": \"bonus\", "
                            "\"points\": 500, \"first_purchase\": true}}");
    rule_item items[] = {{"MILK", "dairy", 1, 40000}, {"BREAD", "bread", 1, 85000}};
    rule_context c = purchase(125000, items, 2);
    c.local_weekday = 3; /* Wednesday */
    rule_result res;
    rules_evaluate(rules, 4, &c, &res);
    assert_int_equal(res.points, 16);
    json_t *why = rules_explanation(&res);
    json_t *want = parse_json("[{\"rule_id\": 1, \"rule\": \"base\", \"points\": 12}, {\"rule_id\": 2, "
                              "\"rule\": \"double dairy\", \"points\": 4}]");
    assert_true(json_equal(why, want));
    json_decref(why);
    json_decref(want);
    c.local_weekday = 5; /* Friday */
    rules_evaluate(rules, 4, &c, &res);
    assert_int_equal(res.points, 22);
    c.first_purchase = true;
    rules_evaluate(rules, 4, &c, &res);
    assert_int_equal(res.points, 522);
    /* A daily cap of 20 on the base with 15 given today. */
    c.local_weekday = 3;
    c.first_purchase = false;
    json_object_set_new(rules[0].definition, "cap", json_pack("{s:s, s:i}", "period", "day", "points", 20));
    granted_stub g = {.points = 15};
    c.granted = granted_cb;
    c.granted_arg = &g;
    rules_evaluate(rules, 4, &c, &res);
    assert_string_equal(res.grants[0].rule, "base (capped)");
    assert_int_equal(res.grants[0].points, 5);
    assert_int_equal(res.grants[1].points, 4);
    release_all(rules, 4);
}

/* ---- validation and JSON ---- */

static void test_validation_names_each_bad_field(void **state)
{
    (void)state;
    ASSERT_FIELD_ERROR("{\"name\": \"x\", \"priority\": 1, \"definition\": {\"kind\": \"per_amount\"}}",
                       "definition.per_amount_minor", "required");
    ASSERT_FIELD_ERROR("{\"name\": \"x\", \"priority\": 1, \"definition\": {\"kind\": \"per_amount\", "
                       "\"per_amount_minor\": 0}}",
                       "definition.per_amount_minor", "from 1");
    ASSERT_FIELD_ERROR("{\"name\": \"x\", \"priority\": 1, \"definition\": {\"kind\": \"per_amount\", "
                       "\"per_amount_minor\": 10, \"colour\": 1}}",
                       "definition.colour", "not a known field");
    ASSERT_FIELD_ERROR("{\"name\": \"x\", \"priority\": 1, \"definition\": {\"kind\": \"bonus\", \"points\": 5, "
                       "\"multiplier_permille\": 2000}}",
                       "definition.multiplier_permille", "not a field of a bonus rule");
    ASSERT_FIELD_ERROR("{\"name\": \"x\", \"priority\": 1, \"definition\": {\"kind\": \"multiplier\", "
                       "\"multiplier_permille\": 1000}}",
                       "definition.multiplier_permille", "from 1001");
    ASSERT_FIELD_ERROR("{\"name\": \"x\", \"priority\": 1, \"definition\": {\"kind\": \"tip\"}}", "definition.kind",
                       "must be one of");
    ASSERT_FIELD_ERROR("{\"name\": \"x\", \"priority\": 1, \"definition\": {\"kind\": \"per_amount\", "
                       "\"per_amount_minor\": 10, \"rounding\": \"up\"}}",
                       "definition.rounding", "\"nearest\"");
    ASSERT_FIELD_ERROR("{\"name\": \"x\", \"priority\": 1, \"event\": \"joined\", \"definition\": {\"kind\": "
                       "\"per_amount\", \"per_amount_minor\": 10}}",
                       "definition.kind", "bonus");
    ASSERT_FIELD_ERROR("{\"name\": \"x\", \"priority\": 1, \"event\": \"joined\", \"definition\": {\"kind\": "
                       "\"bonus\", \"points\": 5, \"stores\": [\"S1\"]}}",
                       "definition.stores", "purchase rules only");
    ASSERT_FIELD_ERROR("{\"name\": \"x\", \"priority\": 1, \"definition\": {\"kind\": \"bonus\", \"points\": 5, "
                       "\"event_name\": \"x\"}}",
                       "definition.event_name", "custom event rules only");
    ASSERT_FIELD_ERROR("{\"name\": \"x\", \"priority\": 1, \"definition\": {\"kind\": \"bonus\", \"points\": 5, "
                       "\"hours\": {\"from\": 25, \"to\": 3}}}",
                       "definition.hours.from", "from 0 to 23");
    ASSERT_FIELD_ERROR("{\"name\": \"x\", \"priority\": 1, \"definition\": {\"kind\": \"bonus\", \"points\": 5, "
                       "\"hours\": {\"from\": 5, \"to\": 5}}}",
                       "definition.hours.to", "differ");
    ASSERT_FIELD_ERROR("{\"name\": \"x\", \"priority\": 1, \"definition\": {\"kind\": \"bonus\", \"points\": 5, "
                       "\"days\": [\"fri\", \"friday\"]}}",
                       "definition.days[1]", "must be one of");
    ASSERT_FIELD_ERROR("{\"name\": \"x\", \"priority\": 1, \"definition\": {\"kind\": \"bonus\", \"points\": 5, "
                       "\"days\": [\"fri\", \"fri\"]}}",
                       "definition.days[1]", "repeats");
    ASSERT_FIELD_ERROR("{\"name\": \"x\", \"priority\": 1, \"definition\": {\"kind\": \"bonus\", \"points\": 5, "
                       "\"categories\": [\"a\", 3]}}",
                       "definition.categories[1]", "texts");
    ASSERT_FIELD_ERROR("{\"name\": \"x\", \"priority\": 1, \"definition\": {\"kind\": \"bonus\", \"points\": 5, "
                       "\"skus\": []}}",
                       "definition.skus", "leave it out");
    ASSERT_FIELD_ERROR("{\"name\": \"x\", \"priority\": 1, \"definition\": {\"kind\": \"bonus\", \"points\": 5, "
                       "\"tiers\": [0]}}",
                       "definition.tiers[0]", "tier ids");
    ASSERT_FIELD_ERROR("{\"name\": \"x\", \"priority\": 1, \"definition\": {\"kind\": \"bonus\", \"points\": 5, "
                       "\"cap\": {\"period\": \"year\", \"points\": 5}}}",
                       "definition.cap.period", "\"month\"");
    ASSERT_FIELD_ERROR("{\"name\": \"x\", \"priority\": 1, \"definition\": {\"kind\": \"bonus\", \"points\": 5, "
                       "\"cap\": {\"period\": \"day\"}}}",
                       "definition.cap.points", "whole number");
    ASSERT_FIELD_ERROR("{\"name\": \"x\", \"priority\": 1, \"definition\": {\"kind\": \"bonus\", \"points\": 5, "
                       "\"cap\": {\"period\": \"day\", \"points\": 5, \"per\": 1}}}",
                       "definition.cap.per", "not a known field");
    ASSERT_FIELD_ERROR("{\"name\": \"x\", \"priority\": 1, \"definition\": {\"kind\": \"bonus\", \"points\": 1.5}}",
                       "definition.points", "whole number");
    ASSERT_FIELD_ERROR("{\"name\": \"x\", \"priority\": 1, \"definition\": [1]}", "definition", "JSON object");
    ASSERT_FIELD_ERROR("{\"priority\": 1, \"definition\": {\"kind\": \"bonus\", \"points\": 5}}", "name", "required");
    ASSERT_FIELD_ERROR("{\"name\": \"x\", \"definition\": {\"kind\": \"bonus\", \"points\": 5}}", "priority",
                       "required");
    ASSERT_FIELD_ERROR("{\"name\": \"x\", \"priority\": 1}", "definition", "required");
    ASSERT_FIELD_ERROR("{\"name\": \"  \", \"priority\": 1, \"definition\": {\"kind\": \"bonus\", \"points\": 5}}",
                       "name", "1 to 128");
    ASSERT_FIELD_ERROR("{\"name\": \"x\", \"priority\": -1, \"definition\": {\"kind\": \"bonus\", \"points\": 5}}",
                       "priority", "from 0");
    ASSERT_FIELD_ERROR("{\"name\": \"x\", \"priority\": 1, \"combine\": \"max\", \"definition\": {\"kind\": "
                       "\"bonus\", \"points\": 5}}",
                       "combine", "\"best\"");
    ASSERT_FIELD_ERROR("{\"name\": \"x\", \"priority\": 1, \"event\": \"birthday\", \"definition\": {\"kind\": "
                       "\"bonus\", \"points\": 5}}",
                       "event", "must be one of");
    ASSERT_FIELD_ERROR("{\"name\": \"x\", \"priority\": 1, \"starts_at\": \"2026-02-01T00:00:00Z\", \"ends_at\": "
                       "\"2026-01-01T00:00:00Z\", \"definition\": {\"kind\": \"bonus\", \"points\": 5}}",
                       "ends_at", "after starts_at");
    ASSERT_FIELD_ERROR("{\"name\": \"x\", \"priority\": 1, \"starts_at\": \"tomorrow\", \"definition\": {\"kind\": "
                       "\"bonus\", \"points\": 5}}",
                       "starts_at", "RFC 3339");
    ASSERT_FIELD_ERROR("{\"name\": \"x\", \"priority\": 1, \"id\": 4, \"definition\": {\"kind\": \"bonus\", "
                       "\"points\": 5}}",
                       "id", "read-only");
    ASSERT_FIELD_ERROR("{\"name\": \"x\", \"priority\": 1, \"colour\": 1, \"definition\": {\"kind\": \"bonus\", "
                       "\"points\": 5}}",
                       "colour", "not a known field");
    errlist e;
    assert_int_equal(apply_errors("[]", &e), 1);
}

static void test_definition_is_kept_in_normal_form(void **state)
{
    (void)state;
    rule r;
    make_rule(&r, 1, "{\"name\": \" double  dairy \", \"priority\": 3, \"definition\": {\"days\": [\"fri\", "
                     "\"sat\"], \"kind\": \"multiplier\", \"multiplier_permille\": 2000, \"categories\": "
                     "[\"dairy\"]}}");
    json_t *want = parse_json("{\"kind\": \"multiplier\", \"multiplier_permille\": 2000, \"rounding\": \"floor\", "
                              "\"categories\": [\"dairy\"], \"days\": [\"fri\", \"sat\"]}");
    assert_true(json_equal(r.definition, want));
    assert_string_equal(r.name, "double dairy");
    json_decref(want);
    rule_release(&r);
}

static void test_to_json_round_trips_through_apply(void **state)
{
    (void)state;
    rule r, back;
    make_rule(&r, 42, "{\"name\": \"everything\", \"event\": \"purchase\", \"priority\": 7, \"combine\": \"best\", "
                      "\"active\": false, \"starts_at\": \"2026-01-01T00:00:00+03:30\", \"ends_at\": "
                      "\"2026-06-01T00:00:00Z\", \"definition\": {\"kind\": \"per_amount\", \"points\": 2, "
                      "\"per_amount_minor\": 10000, \"rounding\": \"ceil\", \"rounding_scope\": \"item\", "
                      "\"categories\": [\"dairy\"], \"skus\": [\"MILK\"], \"stores\": [\"S1\"], "
                      "\"min_amount_minor\": 5000, \"first_purchase\": true, \"days\": [\"sun\"], \"hours\": "
                      "{\"from\": 9, \"to\": 17}, \"tiers\": [1, 2], \"cap\": {\"period\": \"month\", \"points\": "
                      "900}}}");
    json_t *out = rule_to_json(&r);
    json_t *body = json_deep_copy(out);
    json_object_del(body, "id");
    json_object_del(body, "created_at");
    json_object_del(body, "updated_at");
    errlist e;
    errlist_init(&e);
    rule_init(&back);
    assert_int_equal(rule_apply_json(&back, body, true, &e), 0);
    back.id = r.id;
    back.created_at = r.created_at;
    back.updated_at = r.updated_at;
    json_t *again = rule_to_json(&back);
    assert_true(json_equal(out, again));
    assert_string_equal(json_string_value(json_object_get(out, "starts_at")), "2025-12-31T20:30:00.000Z");
    assert_true(json_is_false(json_object_get(out, "active")));
    json_decref(out);
    json_decref(again);
    json_decref(body);
    rule_release(&r);
    rule_release(&back);
}

static void test_update_is_a_merge_and_rechecks_the_definition_for_a_new_event(void **state)
{
    (void)state;
    rule r;
    make_rule(&r, 1, PER_10000("floor"));
    json_t *patch = parse_json("{\"priority\": 99, \"ends_at\": \"2027-01-01T00:00:00Z\"}");
    errlist e;
    errlist_init(&e);
    assert_int_equal(rule_apply_json(&r, patch, false, &e), 0);
    assert_int_equal(r.priority, 99);
    assert_string_equal(r.name, "base");
    assert_int_equal(json_integer_value(json_object_get(r.definition, "per_amount_minor")), 10000);
    json_decref(patch);
    patch = parse_json("{\"ends_at\": null}");
    assert_int_equal(rule_apply_json(&r, patch, false, &e), 0);
    assert_int_equal(r.ends_at, 0);
    json_decref(patch);
    patch = parse_json("{\"event\": \"joined\"}");
    errlist_init(&e);
    assert_true(rule_apply_json(&r, patch, false, &e) >= 1); /* and the purchase-only fields are named too */
    assert_string_equal(e.items[0].field, "definition.kind");
    json_decref(patch);
    rule_release(&r);
}

/* ---- local time ---- */

static void test_local_time_in_tehran_and_utc(void **state)
{
    (void)state;
    int wd = -1, h = -1;
    assert_int_equal(rules_local_time(NOW_MS, "Asia/Tehran", &wd, &h), 0);
    assert_int_equal(wd, 4); /* Thursday 03:30 */
    assert_int_equal(h, 3);
    assert_int_equal(rules_local_time(NOW_MS - 1, "UTC", &wd, &h), 0);
    assert_int_equal(wd, 3); /* Wednesday 23:59 */
    assert_int_equal(h, 23);
    assert_int_equal(rules_local_time(NOW_MS, "Mars/Olympus", &wd, &h), -1);
    assert_int_equal(rules_local_time(NOW_MS, NULL, &wd, &h), -1);
}

/* Midnight at the start of a Gregorian date in Tehran (UTC+03:30 since 2022). */
static int64_t tehran_midnight(int y, int m, int d)
{
    char text[40];
    int64_t ms;
    snprintf(text, sizeof(text), "%04d-%02d-%02dT00:00:00+03:30", y, m, d);
    assert_int_equal(timefmt_parse(text, &ms), 0);
    return ms;
}

static void test_period_bounds_day_week_and_persian_month_in_tehran(void **state)
{
    (void)state;
    int64_t from, to;
    /* 2026-01-01T12:00Z is Thursday 15:30 in Tehran, 11 Dey 1404. */
    int64_t at = NOW_MS + 12 * HOUR_MS;
    assert_int_equal(rules_period_bounds(RULE_PERIOD_DAY, at, "Asia/Tehran", &from, &to), 0);
    assert_int_equal(from, tehran_midnight(2026, 1, 1));
    assert_int_equal(to, tehran_midnight(2026, 1, 2));
    assert_int_equal(rules_period_bounds(RULE_PERIOD_WEEK, at, "Asia/Tehran", &from, &to), 0);
    assert_int_equal(from, tehran_midnight(2025, 12, 27)); /* the Saturday before */
    assert_int_equal(to, tehran_midnight(2026, 1, 3));
    assert_int_equal(rules_period_bounds(RULE_PERIOD_MONTH, at, "Asia/Tehran", &from, &to), 0);
    int gy, gm, gd;
    assert_int_equal(calendar_to_gregorian(CALENDAR_PERSIAN, 1404, 10, 1, &gy, &gm, &gd), 0);
    assert_int_equal(from, tehran_midnight(gy, gm, gd));
    assert_int_equal(calendar_to_gregorian(CALENDAR_PERSIAN, 1404, 11, 1, &gy, &gm, &gd), 0);
    assert_int_equal(to, tehran_midnight(gy, gm, gd));
    /* A Saturday starts its own week; the bounds hold at every instant of the period. */
    int64_t sat = tehran_midnight(2026, 1, 3);
    assert_int_equal(rules_period_bounds(RULE_PERIOD_WEEK, sat, "Asia/Tehran", &from, &to), 0);
    assert_int_equal(from, sat);
    assert_int_equal(rules_period_bounds(RULE_PERIOD_WEEK, sat - 1, "Asia/Tehran", &from, &to), 0);
    assert_int_equal(to, sat);
}

static void test_period_bounds_elsewhere_use_gregorian_months_and_local_days(void **state)
{
    (void)state;
    int64_t from, to, want;
    assert_int_equal(rules_period_bounds(RULE_PERIOD_MONTH, NOW_MS + DAY_MS * 40, "UTC", &from, &to), 0);
    assert_int_equal(timefmt_parse("2026-02-01T00:00:00Z", &want), 0);
    assert_int_equal(from, want);
    assert_int_equal(timefmt_parse("2026-03-01T00:00:00Z", &want), 0);
    assert_int_equal(to, want);
    /* New York springs forward on 2026-03-08: that day has 23 hours. */
    assert_int_equal(timefmt_parse("2026-03-08T12:00:00-04:00", &want), 0);
    assert_int_equal(rules_period_bounds(RULE_PERIOD_DAY, want, "America/New_York", &from, &to), 0);
    assert_int_equal(timefmt_parse("2026-03-08T00:00:00-05:00", &want), 0);
    assert_int_equal(from, want);
    assert_int_equal(to - from, 23 * HOUR_MS);
    assert_int_equal(rules_period_bounds(RULE_PERIOD_DAY, NOW_MS, "Nowhere/Land", &from, &to), -1);
    /* Switching zones on one thread gives each zone's own answer. */
    assert_int_equal(rules_period_bounds(RULE_PERIOD_DAY, NOW_MS, "Asia/Tehran", &from, &to), 0);
    assert_int_equal(from, tehran_midnight(2026, 1, 1));
    assert_int_equal(rules_period_bounds(RULE_PERIOD_DAY, NOW_MS, "UTC", &from, &to), 0);
    assert_int_equal(from, NOW_MS);
}

/* ---- the store ---- */

typedef struct fixture {
    char dir[64];
    store *s;
    store_reader *r;
} fixture;

static int store_setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    snprintf(f->dir, sizeof f->dir, "/tmp/bashgah-rules-XXXXXX");
    char err[256];
    if (!mkdtemp(f->dir) || store_open(&f->s, f->dir, err, sizeof err) != STORE_OK)
        return -1;
    f->r = store_reader_open(f->s);
    *state = f;
    return f->r ? 0 : -1;
}

static int store_teardown(void **state)
{
    fixture *f = *state;
    store_reader_close(f->r);
    store_close(f->s);
    DIR *d = opendir(f->dir);
    struct dirent *ent;
    while (d && (ent = readdir(d)) != NULL) {
        char path[512];
        snprintf(path, sizeof path, "%s/%s", f->dir, ent->d_name);
        if (ent->d_name[0] != '.')
            unlink(path);
    }
    if (d)
        closedir(d);
    rmdir(f->dir);
    free(f);
    return 0;
}

typedef struct store_work {
    rule *rules;
    int n;
    int64_t at;
    rule loaded[RULES_MAX];
    int nloaded;
    int64_t granted_today, granted_other;
} store_work;

static int insert_rules(store_tx *tx, void *arg)
{
    store_work *w = arg;
    for (int i = 0; i < w->n; i++) {
        int status = store_tx_rule_insert(tx, &w->rules[i]);
        if (status != STORE_OK)
            return status;
    }
    return STORE_OK;
}

static int load_for_event(store_tx *tx, void *arg)
{
    store_work *w = arg;
    return store_tx_rules_for_event(tx, "purchase", w->at, w->loaded, RULES_MAX, &w->nloaded);
}

static void test_store_keeps_rules_and_loads_those_for_an_event(void **state)
{
    fixture *f = *state;
    rule rules[4];
    make_rule(&rules[0], 0, "{\"name\": \"late\", \"priority\": 20, \"definition\": {\"kind\": \"bonus\", "
                            "\"points\": 2}}");
    make_rule(&rules[1], 0, "{\"name\": \"early\", \"priority\": 10, \"starts_at\": \"2026-01-01T00:00:00Z\", "
                            "\"ends_at\": \"2026-02-01T00:00:00Z\", \"definition\": {\"kind\": \"per_amount\", "
                            "\"per_amount_minor\": 1000, \"cap\": {\"period\": \"day\", \"points\": 10}}}");
    make_rule(&rules[2], 0, "{\"name\": \"off\", \"priority\": 1, \"active\": false, \"definition\": {\"kind\": "
                            "\"bonus\", \"points\": 2}}");
    make_rule(&rules[3], 0, "{\"name\": \"joined\", \"event\": \"joined\", \"priority\": 1, \"definition\": "
                            "{\"kind\": \"bonus\", \"points\": 2}}");
    store_work w = {.rules = rules, .n = 4, .at = NOW_MS};
    assert_int_equal(store_run(f->s, insert_rules, &w), STORE_OK);
    assert_true(rules[0].id > 0 && rules[3].id > rules[0].id);

    rule got;
    assert_int_equal(store_rule_get(f->r, rules[1].id, &got), STORE_OK);
    json_t *a = rule_to_json(&rules[1]), *b = rule_to_json(&got);
    assert_true(json_equal(a, b));
    json_decref(a);
    json_decref(b);
    rule_release(&got);
    assert_int_equal(store_rule_get(f->r, 999999, &got), STORE_NOTFOUND);

    assert_int_equal(store_run(f->s, load_for_event, &w), STORE_OK);
    assert_int_equal(w.nloaded, 2); /* not the inactive one nor the joined one; by priority */
    assert_string_equal(w.loaded[0].name, "early");
    assert_string_equal(w.loaded[1].name, "late");
    release_all(w.loaded, w.nloaded);
    w.at = NOW_MS + 40 * DAY_MS; /* after early's window */
    assert_int_equal(store_run(f->s, load_for_event, &w), STORE_OK);
    assert_int_equal(w.nloaded, 1);
    assert_string_equal(w.loaded[0].name, "late");
    release_all(w.loaded, w.nloaded);
    release_all(rules, 4);
}

typedef struct list_seen {
    int count;
    char names[8][RULE_NAME_MAX + 1];
} list_seen;

static void seen_rule(const rule *x, void *arg)
{
    list_seen *s = arg;
    if (s->count < 8)
        snprintf(s->names[s->count], sizeof(s->names[0]), "%s", x->name);
    s->count++;
}

static int deactivate_first(store_tx *tx, void *arg)
{
    store_work *w = arg;
    rule r;
    int status = store_tx_rule_get(tx, w->rules[0].id, &r);
    if (status != STORE_OK)
        return status;
    r.active = false;
    status = store_tx_rule_update(tx, &r);
    rule_release(&r);
    int count = -1;
    if (status == STORE_OK)
        status = store_tx_rules_active_count(tx, "purchase", &count);
    return status == STORE_OK && count == 1 ? STORE_OK : STORE_ERROR;
}

static void test_store_lists_with_filters_and_deactivates(void **state)
{
    fixture *f = *state;
    rule rules[3];
    make_rule(&rules[0], 0, "{\"name\": \"p1\", \"priority\": 1, \"definition\": {\"kind\": \"bonus\", "
                            "\"points\": 1}}");
    make_rule(&rules[1], 0, "{\"name\": \"p2\", \"priority\": 1, \"definition\": {\"kind\": \"bonus\", "
                            "\"points\": 1}}");
    make_rule(&rules[2], 0, "{\"name\": \"s1\", \"event\": \"survey_answered\", \"priority\": 1, \"definition\": "
                            "{\"kind\": \"bonus\", \"points\": 1}}");
    store_work w = {.rules = rules, .n = 3};
    assert_int_equal(store_run(f->s, insert_rules, &w), STORE_OK);
    assert_int_equal(store_run(f->s, deactivate_first, &w), STORE_OK);

    list_seen seen = {0};
    int count;
    store_rule_filter all = {.active = -1, .limit = 10};
    assert_int_equal(store_rule_list(f->r, &all, seen_rule, &seen, &count), STORE_OK);
    assert_int_equal(count, 3);
    memset(&seen, 0, sizeof(seen));
    store_rule_filter active_purchase = {.event = "purchase", .active = 1, .limit = 10};
    assert_int_equal(store_rule_list(f->r, &active_purchase, seen_rule, &seen, &count), STORE_OK);
    assert_int_equal(count, 1);
    assert_string_equal(seen.names[0], "p2");
    memset(&seen, 0, sizeof(seen));
    store_rule_filter page = {.active = -1, .after_id = rules[0].id, .limit = 1};
    assert_int_equal(store_rule_list(f->r, &page, seen_rule, &seen, &count), STORE_OK);
    assert_int_equal(count, 1);
    assert_string_equal(seen.names[0], "p2");
    release_all(rules, 3);
}

static int grants_work(store_tx *tx, void *arg)
{
    store_work *w = arg;
    int64_t from, to;
    int status = STORE_OK;
    status = status ? status : store_tx_rule_grant_add(tx, 1, 10, NOW_MS + HOUR_MS, 30);
    status = status ? status : store_tx_rule_grant_add(tx, 1, 10, NOW_MS + 2 * HOUR_MS, 12);
    status = status ? status : store_tx_rule_grant_add(tx, 1, 10, NOW_MS - HOUR_MS, 500); /* the day before */
    status = status ? status : store_tx_rule_grant_add(tx, 1, 11, NOW_MS + HOUR_MS, 700); /* another rule */
    status = status ? status : store_tx_rule_grant_add(tx, 2, 10, NOW_MS + HOUR_MS, 900); /* another member */
    if (status != STORE_OK || rules_period_bounds(RULE_PERIOD_DAY, NOW_MS + 3 * HOUR_MS, "UTC", &from, &to) != 0)
        return STORE_ERROR;
    status = store_tx_rule_granted(tx, 1, 10, from, to, &w->granted_today);
    if (status == STORE_OK)
        status = store_tx_rule_granted(tx, 3, 10, from, to, &w->granted_other);
    return status;
}

static void test_store_sums_grants_of_a_member_and_rule_in_a_period(void **state)
{
    fixture *f = *state;
    store_work w = {0};
    w.granted_other = -1;
    assert_int_equal(store_run(f->s, grants_work, &w), STORE_OK);
    assert_int_equal(w.granted_today, 42);
    assert_int_equal(w.granted_other, 0);
}

int main(void)
{
#define S(fn) cmocka_unit_test_setup_teardown(fn, store_setup, store_teardown)
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_per_amount_rounds_floor_nearest_and_ceil),
        cmocka_unit_test(test_per_amount_with_several_points_per_step),
        cmocka_unit_test(test_rounding_per_item_rounds_each_line),
        cmocka_unit_test(test_per_amount_over_matching_items_only),
        cmocka_unit_test(test_amounts_up_to_10e15_never_overflow),
        cmocka_unit_test(test_category_multiplier_applies_to_the_base_of_matching_items),
        cmocka_unit_test(test_multiplier_rounds_by_its_policy_and_multipliers_add_up),
        cmocka_unit_test(test_multiplier_by_store_day_hour_and_tier),
        cmocka_unit_test(test_first_purchase_bonus_only_on_the_first),
        cmocka_unit_test(test_event_bonuses_match_their_event_and_custom_name),
        cmocka_unit_test(test_cap_gives_only_what_is_left_and_says_capped),
        cmocka_unit_test(test_uncapped_rules_never_ask_what_was_granted),
        cmocka_unit_test(test_multiplier_never_exceeds_what_a_capped_base_gave),
        cmocka_unit_test(test_best_of_keeps_only_the_best_and_stack_adds),
        cmocka_unit_test(test_best_of_ties_go_to_lower_priority_then_lower_id),
        cmocka_unit_test(test_best_of_compares_points_after_caps),
        cmocka_unit_test(test_explanation_follows_priority_then_id),
        cmocka_unit_test(test_date_window_includes_start_and_excludes_end),
        cmocka_unit_test(test_inactive_and_other_event_rules_give_nothing),
        cmocka_unit_test(test_evaluation_is_deterministic_in_any_input_order),
        cmocka_unit_test(test_prepared_rules_evaluate_as_unprepared_ones),
        cmocka_unit_test(test_docs_examples_give_the_documented_points),
        cmocka_unit_test(test_validation_names_each_bad_field),
        cmocka_unit_test(test_definition_is_kept_in_normal_form),
        cmocka_unit_test(test_to_json_round_trips_through_apply),
        cmocka_unit_test(test_update_is_a_merge_and_rechecks_the_definition_for_a_new_event),
        cmocka_unit_test(test_local_time_in_tehran_and_utc),
        cmocka_unit_test(test_period_bounds_day_week_and_persian_month_in_tehran),
        cmocka_unit_test(test_period_bounds_elsewhere_use_gregorian_months_and_local_days),
        S(test_store_keeps_rules_and_loads_those_for_an_event),
        S(test_store_lists_with_filters_and_deactivates),
        S(test_store_sums_grants_of_a_member_and_rule_in_a_period),
    };
#undef S
    return cmocka_run_group_tests(tests, NULL, NULL);
}
