/*
 * test_campaign.c: unit tests for src/core/campaign.c: the budget cap's arithmetic (never past the budget, all or
 * nothing per grant, overflow safe), a multiplier's extra, the guard rails against worked examples, the offer and
 * audience JSON with errors naming the field, and the table of state changes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/campaign.h"

static void test_cap_fit_is_the_largest_multiple_within_the_budget(void **state)
{
    /* 25 points left at 7 a grant: 3 grants (21); money is not the limit */
    assert_int_equal(campaign_cap_fit(25, 0, 1000000, 0, 7, 7000, 10), 3);
    /* money limits: 20,000 left at 7,000 a grant: 2 */
    assert_int_equal(campaign_cap_fit(100, 0, 20000, 0, 7, 7000, 10), 2);
    /* fewer wanted than fit */
    assert_int_equal(campaign_cap_fit(100, 0, 1000000, 0, 7, 7000, 4), 4);
    /* spent already counts */
    assert_int_equal(campaign_cap_fit(25, 20, 1000000, 0, 7, 0, 10), 0);
    assert_int_equal(campaign_cap_fit(28, 21, 1000000, 0, 7, 0, 10), 1);
    /* a gift costs money only; a message nothing: all fit */
    assert_int_equal(campaign_cap_fit(0, 0, 10, 0, 0, 3, 10), 3);
    assert_int_equal(campaign_cap_fit(0, 0, 0, 0, 0, 0, 10), 10);
}

static void test_cap_never_passes_a_broken_budget(void **state)
{
    /* spent above budget (it cannot be, but never make it worse) or negative inputs: nothing fits */
    assert_int_equal(campaign_cap_fit(10, 11, 100, 0, 1, 0, 5), 0);
    assert_int_equal(campaign_cap_fit(10, 0, 100, 0, -1, 0, 5), 0);
    assert_int_equal(campaign_cap_fit(10, 0, 100, 0, 1, 0, -5), 0);
    /* huge values do not overflow */
    assert_int_equal(campaign_cap_fit(INT64_MAX, 0, INT64_MAX, 0, INT64_MAX, INT64_MAX, 3), 1);
    assert_true(campaign_cap_allows(10, 9, 100, 0, 1, 0));
    assert_false(campaign_cap_allows(10, 10, 100, 0, 1, 0));
    assert_false(campaign_cap_allows(10, 0, 100, 95, 1, 6));
    assert_true(campaign_cap_allows(10, 0, 100, 95, 1, 5));
}

static void test_points_money_and_multiplier_extra(void **state)
{
    assert_int_equal(campaign_points_money(7, 1000), 7000);
    assert_int_equal(campaign_points_money(INT64_MAX, 2), INT64_MAX);
    assert_int_equal(campaign_multiplier_extra(9, 3000), 18);   /* x3: twice more */
    assert_int_equal(campaign_multiplier_extra(9, 1500), 4);    /* x1.5: 4.5 rounded down */
    assert_int_equal(campaign_multiplier_extra(0, 3000), 0);
    assert_int_equal(campaign_multiplier_extra(-5, 3000), 0);   /* a return earns nothing extra */
    assert_int_equal(campaign_multiplier_extra(10, 1000), 0);
}

/* Four purchases of 100,000 in 90 days, 40 points earned by them, point value 1,000, 10 members. */
static campaign_guard_input example(void)
{
    campaign_guard_input in = {0};
    in.point_value_minor = 1000;
    in.audience_members = 10;
    in.audience_purchases = 4;
    in.audience_spend_minor = 400000;
    in.audience_points = 40;
    in.recent_days = 90;
    in.window_days = 30;
    in.budget_points = 1000000;
    in.budget_money_minor = 1000000000;
    return in;
}

static void test_guard_bonus(void **state)
{
    campaign_guard_input in = example();
    campaign_guard g;
    in.offer.kind = CAMPAIGN_OFFER_BONUS_POINTS;
    in.offer.points = 20; /* 20,000 against an average purchase of 100,000 */
    campaign_guard_compute(&in, &g);
    assert_int_equal(g.discount_permille, 200);
    /* at most 10 x 20,000 = 200,000 given, against 400,000 x 30 / 90 = 133,333 of revenue */
    assert_int_equal(g.revenue_minor, 133333);
    assert_int_equal(g.give_max_minor, 200000);
    assert_int_equal(g.giveback_permille, 1500);
    /* the budget bounds what can be given: 4,000 */
    in.budget_money_minor = 4000;
    campaign_guard_compute(&in, &g);
    assert_int_equal(g.give_max_minor, 4000);
    assert_int_equal(g.giveback_permille, 30);
    /* and so do its points at their value: 3 points = 3,000 */
    in.budget_points = 3;
    campaign_guard_compute(&in, &g);
    assert_int_equal(g.give_max_minor, 3000);
}

static void test_guard_multiplier_and_reward(void **state)
{
    campaign_guard_input in = example();
    campaign_guard g;
    in.offer.kind = CAMPAIGN_OFFER_MULTIPLIER;
    in.offer.factor_permille = 4000; /* 3 x (40 x 1,000 / 400,000) = 300 per mille */
    campaign_guard_compute(&in, &g);
    assert_int_equal(g.discount_permille, 300);
    /* extra over the window: 3 x 40 points x 30 / 90 = 40 points = 40,000 */
    assert_int_equal(g.give_max_minor, 40000);
    in.offer.kind = CAMPAIGN_OFFER_GIFT;
    in.reward_cost_minor = 5000; /* 5,000 against 100,000 */
    campaign_guard_compute(&in, &g);
    assert_int_equal(g.discount_permille, 50);
    assert_int_equal(g.give_max_minor, 50000);
    in.offer.kind = CAMPAIGN_OFFER_MESSAGE;
    campaign_guard_compute(&in, &g);
    assert_int_equal(g.discount_permille, 0);
    assert_int_equal(g.give_max_minor, 0);
}

static void test_guard_without_history_estimates_nothing(void **state)
{
    campaign_guard_input in = example();
    campaign_guard g;
    in.audience_purchases = 0;
    in.audience_spend_minor = 0;
    in.offer.kind = CAMPAIGN_OFFER_BONUS_POINTS;
    in.offer.points = 1000;
    campaign_guard_compute(&in, &g);
    assert_int_equal(g.discount_permille, 0);
    assert_int_equal(g.giveback_permille, 0);
}

static int parse_offer(const char *text, campaign_offer *o, errlist *e)
{
    json_t *j = json_loads(text, 0, NULL);
    errlist_init(e);
    int n = campaign_offer_parse(j, o, e);
    json_decref(j);
    return n;
}

static void test_offer_json_names_the_field(void **state)
{
    campaign_offer o;
    errlist e;
    assert_int_equal(parse_offer("{\"kind\":\"multiplier\",\"factor\":1.5}", &o, &e), 0);
    assert_int_equal(o.factor_permille, 1500);
    assert_int_equal(parse_offer("{\"kind\":\"bonus_points\",\"points\":0}", &o, &e), 1);
    assert_string_equal(e.items[0].field, "offer.points");
    assert_int_equal(parse_offer("{\"kind\":\"bonus_points\",\"points\":5,\"factor\":2}", &o, &e), 1);
    assert_string_equal(e.items[0].field, "offer.factor");
    assert_int_equal(parse_offer("{\"kind\":\"gift\"}", &o, &e), 1);
    assert_string_equal(e.items[0].field, "offer.reward_id");
    assert_int_equal(parse_offer("{\"kind\":\"multiplier\",\"factor\":11}", &o, &e), 1);
    assert_int_equal(parse_offer("[]", &o, &e), 1);
    assert_string_equal(e.items[0].field, "offer");
    assert_int_equal(parse_offer("{\"kind\":\"message\"}", &o, &e), 0);
    json_t *j = campaign_offer_json(&o);
    assert_string_equal(json_string_value(json_object_get(j, "kind")), "message");
    json_decref(j);
}

static void test_audience_json(void **state)
{
    campaign_audience a;
    errlist e;
    errlist_init(&e);
    json_t *j = json_loads("{\"kind\":\"class\",\"class\":\"lapsed\"}", 0, NULL);
    assert_int_equal(campaign_audience_parse(j, &a, &e), 0);
    assert_string_equal(a.class_name, "lapsed");
    json_decref(j);
    j = json_loads("{\"kind\":\"segment\"}", 0, NULL);
    assert_int_equal(campaign_audience_parse(j, &a, &e), 1);
    assert_string_equal(e.items[0].field, "audience.segment_id");
    json_decref(j);
}

static void test_state_changes_by_hand(void **state)
{
    assert_true(campaign_transition_allowed("draft", "running"));
    assert_true(campaign_transition_allowed("pilot", "evaluating"));
    assert_true(campaign_transition_allowed("running", "finished"));
    assert_true(campaign_transition_allowed("evaluating", "stopped"));
    assert_false(campaign_transition_allowed("finished", "running"));
    assert_false(campaign_transition_allowed("stopped", "running"));
    assert_false(campaign_transition_allowed("running", "draft"));
    assert_false(campaign_transition_allowed("draft", "pilot")); /* the pilot route's */
    assert_true(campaign_state_live("evaluating"));
    assert_false(campaign_state_live("finished"));
    assert_false(campaign_state_valid("asleep"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cap_fit_is_the_largest_multiple_within_the_budget),
        cmocka_unit_test(test_cap_never_passes_a_broken_budget),
        cmocka_unit_test(test_points_money_and_multiplier_extra),
        cmocka_unit_test(test_guard_bonus),
        cmocka_unit_test(test_guard_multiplier_and_reward),
        cmocka_unit_test(test_guard_without_history_estimates_nothing),
        cmocka_unit_test(test_offer_json_names_the_field),
        cmocka_unit_test(test_audience_json),
        cmocka_unit_test(test_state_changes_by_hand),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
