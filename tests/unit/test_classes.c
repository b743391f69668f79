/*
 * test_classes.c: unit tests for src/core/classes.c (each class rule at its edges, the order of the rules,
 * and the settings' JSON form and validation).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/classes.h"

#define NOW INT64_C(1767225600000) /* 2026-01-01T00:00:00Z */
#define DAY CLASSES_DAY_MS

static class_settings defaults(void)
{
    class_settings s;
    classes_settings_default(&s);
    return s;
}

/* count purchases, the first and the last that many days before NOW, and scores r, f, m (0: unscored). */
static class_kind class_at(int64_t count, int64_t first_days, int64_t last_days, int r, int f, int m)
{
    class_settings s = defaults();
    class_input in = {.purchase_count = count, .total_spent_minor = count * 1000,
                      .first_purchase_at = count ? NOW - first_days * DAY : 0,
                      .last_purchase_at = count ? NOW - last_days * DAY : 0, .r = r, .f = f, .m = m};
    return classes_of(&in, &s, NOW);
}

static void test_no_purchase_is_a_prospect(void **state)
{
    (void)state;
    assert_int_equal(class_at(0, 0, 0, 0, 0, 0), CLASS_PROSPECT);
    assert_int_equal(class_at(0, 0, 0, 5, 5, 5), CLASS_PROSPECT);
}

static void test_first_purchase_within_new_days_is_new(void **state)
{
    (void)state;
    assert_int_equal(class_at(1, 0, 0, 0, 0, 0), CLASS_NEW);
    assert_int_equal(class_at(1, 30, 30, 0, 0, 0), CLASS_NEW);
    assert_int_equal(class_at(3, 29, 1, 0, 0, 0), CLASS_NEW);
    /* new wins over main: the scores of a fortnight-old customer say little yet */
    assert_int_equal(class_at(3, 14, 1, 5, 5, 5), CLASS_NEW);
}

static void test_new_becomes_occasional_after_new_days(void **state)
{
    (void)state;
    assert_int_equal(class_at(1, 31, 31, 0, 0, 0), CLASS_OCCASIONAL);
    assert_int_equal(class_at(2, 40, 10, 3, 2, 3), CLASS_OCCASIONAL);
}

static void test_one_purchase_member_is_at_risk_after_single_days(void **state)
{
    (void)state;
    assert_int_equal(class_at(1, 90, 90, 0, 0, 0), CLASS_OCCASIONAL);
    assert_int_equal(class_at(1, 91, 91, 0, 0, 0), CLASS_AT_RISK);
}

static void test_at_risk_after_usual_interval_times_margin(void **state)
{
    (void)state;
    /* 5 purchases over 160 days: every 40 days; 1.5 x 40 = 60 days without a purchase is still fine */
    assert_int_equal(class_at(5, 220, 60, 0, 0, 0), CLASS_OCCASIONAL);
    assert_int_equal(class_at(5, 221, 61, 0, 0, 0), CLASS_AT_RISK);
    /* a main customer who stops coming is at risk, whatever the scores */
    assert_int_equal(class_at(5, 221, 61, 5, 5, 5), CLASS_AT_RISK);
}

static void test_at_risk_never_sooner_than_min_days(void **state)
{
    (void)state;
    /* purchases 2 days apart: 1.5 x 2 = 3 days, but the floor is 30 */
    assert_int_equal(class_at(4, 56, 50, 0, 0, 0), CLASS_AT_RISK);
    assert_int_equal(class_at(4, 36, 30, 0, 0, 0), CLASS_OCCASIONAL);
    assert_int_equal(class_at(4, 37, 31, 0, 0, 0), CLASS_AT_RISK);
    /* two purchases on the same day: interval 0, floor again */
    assert_int_equal(class_at(2, 30, 30, 0, 0, 0), CLASS_NEW);
    assert_int_equal(class_at(2, 31, 31, 0, 0, 0), CLASS_AT_RISK);
}

static void test_lapsed_after_lapsed_days(void **state)
{
    (void)state;
    assert_int_equal(class_at(10, 1000, 365, 1, 5, 5), CLASS_AT_RISK);
    assert_int_equal(class_at(10, 1000, 366, 1, 5, 5), CLASS_LAPSED);
    assert_int_equal(class_at(1, 400, 400, 0, 0, 0), CLASS_LAPSED);
}

static void test_main_needs_rfm_sum_and_spend(void **state)
{
    (void)state;
    assert_int_equal(class_at(10, 300, 5, 5, 4, 4), CLASS_MAIN);
    assert_int_equal(class_at(10, 300, 5, 4, 4, 4), CLASS_MAIN);
    assert_int_equal(class_at(10, 300, 5, 3, 4, 4), CLASS_OCCASIONAL); /* sum 11 */
    assert_int_equal(class_at(10, 300, 5, 5, 5, 3), CLASS_OCCASIONAL); /* spend score 3 */
    assert_int_equal(class_at(10, 300, 5, 0, 0, 0), CLASS_OCCASIONAL); /* not scored yet */
}

static void test_settings_move_the_edges(void **state)
{
    (void)state;
    class_settings s = defaults();
    s.new_days = 7;
    s.main_rfm_min = 15;
    class_input in = {.purchase_count = 1, .total_spent_minor = 5, .first_purchase_at = NOW - 8 * DAY,
                      .last_purchase_at = NOW - 8 * DAY, .r = 5, .f = 4, .m = 5};
    assert_int_equal(classes_of(&in, &s, NOW), CLASS_OCCASIONAL);
    in.f = 5;
    assert_int_equal(classes_of(&in, &s, NOW), CLASS_MAIN);
}

static void test_names_round_trip(void **state)
{
    (void)state;
    for (int k = 0; k < CLASS_COUNT; k++) {
        class_kind back;
        assert_int_equal(classes_from_name(classes_name((class_kind)k), &back), 0);
        assert_int_equal(back, k);
    }
    class_kind k;
    assert_int_equal(classes_from_name("vip", &k), -1);
    assert_int_equal(classes_from_name(NULL, &k), -1);
    assert_string_equal(classes_name(CLASS_AT_RISK), "at_risk");
}

static void test_settings_json_and_validation_name_the_field(void **state)
{
    (void)state;
    class_settings s = defaults();
    json_t *j = classes_settings_json(&s);
    assert_int_equal(json_integer_value(json_object_get(j, "new_days")), 30);
    assert_int_equal(json_integer_value(json_object_get(j, "value_horizon_days")), 1095);
    errlist e;
    errlist_init(&e);
    class_settings copy = defaults();
    assert_int_equal(classes_settings_apply(&copy, j, &e), 0);
    assert_memory_equal(&copy, &s, sizeof(s));
    json_decref(j);

    json_t *bad = json_pack("{s:i, s:s, s:i}", "new_days", 0, "main_m_min", "4", "colour", 1);
    assert_int_equal(classes_settings_apply(&copy, bad, &e), 3);
    assert_string_equal(e.items[0].field, "classes.new_days");
    assert_string_equal(e.items[1].field, "classes.main_m_min");
    assert_string_equal(e.items[2].field, "classes.colour");
    json_decref(bad);

    errlist_init(&e);
    json_t *order = json_pack("{s:i}", "lapsed_days", 60);
    copy = defaults();
    assert_int_equal(classes_settings_apply(&copy, order, &e), 0);
    assert_int_equal(classes_settings_check(&copy, &e), 1);
    assert_string_equal(e.items[0].field, "classes.lapsed_days");
    copy.at_risk_single_days = 59;
    errlist_init(&e);
    assert_int_equal(classes_settings_check(&copy, &e), 0);
    json_decref(order);

    errlist_init(&e);
    json_t *good = json_pack("{s:i, s:i}", "lapsed_days", 200, "at_risk_margin_pct", 200);
    copy = defaults();
    assert_int_equal(classes_settings_apply(&copy, good, &e), 0);
    assert_int_equal(classes_settings_check(&copy, &e), 0);
    assert_int_equal(copy.lapsed_days, 200);
    assert_int_equal(copy.at_risk_margin_pct, 200);
    json_decref(good);

    errlist_init(&e);
    assert_int_equal(classes_settings_apply(&copy, json_null(), &e), 1);
    assert_string_equal(e.items[0].field, "classes");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_purchase_is_a_prospect),
        cmocka_unit_test(test_first_purchase_within_new_days_is_new),
        cmocka_unit_test(test_new_becomes_occasional_after_new_days),
        cmocka_unit_test(test_one_purchase_member_is_at_risk_after_single_days),
        cmocka_unit_test(test_at_risk_after_usual_interval_times_margin),
        cmocka_unit_test(test_at_risk_never_sooner_than_min_days),
        cmocka_unit_test(test_lapsed_after_lapsed_days),
        cmocka_unit_test(test_main_needs_rfm_sum_and_spend),
        cmocka_unit_test(test_settings_move_the_edges),
        cmocka_unit_test(test_names_round_trip),
        cmocka_unit_test(test_settings_json_and_validation_name_the_field),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
