/*
 * test_roles.c: unit tests for src/core/roles.c (the access table, granting, role names).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/roles.h"

static const char *const perm_names[PERM_COUNT] = {
    "PUBLIC",        "SIGNED_IN",     "MEMBER_READ", "MEMBER_WRITE",  "MEMBER_ERASE",
    "MEMBER_IMPORT", "MEMBER_EXPORT", "USER_ADMIN",  "APIKEY_ADMIN", "AUDIT_READ",
    "PROGRAMME_ADMIN", "POINTS_READ", "POINTS_WRITE", "POINTS_ADJUST", "CATALOG_ADMIN",
    "SEGMENT_READ", "SEGMENT_WRITE", "REPORT_READ", "CLASSES_READ", "CLASSES_ADMIN",
    "CONTACT_READ", "CONTACT_WRITE", "SURVEY_READ", "SURVEY_WRITE",
    "CAMPAIGN_READ", "CAMPAIGN_WRITE", "CAMPAIGN_DECIDE", "BUDGET_READ", "BUDGET_WRITE",
    "COMPETITOR_READ", "COMPETITOR_WRITE", "WEBHOOK_ADMIN",
};

/* The expected table, written out independently of roles.c: 1 = allowed. Columns in permission order:
 * PUBLIC SIGNED_IN READ WRITE ERASE IMPORT EXPORT USER_ADMIN APIKEY_ADMIN AUDIT_READ
 * PROGRAMME_ADMIN POINTS_READ POINTS_WRITE POINTS_ADJUST CATALOG_ADMIN
 * SEGMENT_READ SEGMENT_WRITE REPORT_READ CLASSES_READ CLASSES_ADMIN
 * CONTACT_READ CONTACT_WRITE SURVEY_READ SURVEY_WRITE
 * CAMPAIGN_READ CAMPAIGN_WRITE CAMPAIGN_DECIDE BUDGET_READ BUDGET_WRITE COMPETITOR_READ COMPETITOR_WRITE
 * WEBHOOK_ADMIN */
static const int expected[ROLE_COUNT][PERM_COUNT] = {
    [ROLE_NONE] = {1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
    [ROLE_OWNER] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1},
    [ROLE_MANAGER] = {1, 1, 1, 1, 1, 1, 1, 0, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1},
    [ROLE_MARKETER] = {1, 1, 1, 1, 0, 1, 1, 0, 0, 0, 0, 1, 0, 0, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 0, 1, 0, 1, 1, 0},
    [ROLE_CASHIER] = {1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
    [ROLE_ANALYST] = {1, 1, 1, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 1, 1, 0, 1, 0, 1, 0, 1, 0, 0, 1, 0, 0, 0, 0},
};

static void check_row(role r)
{
    for (int p = 0; p < PERM_COUNT; p++)
        if (roles_allows(r, (permission)p) != (expected[r][p] != 0))
            fail_msg("role %s, permission %s: got %d, want %d", roles_name(r), perm_names[p],
                     roles_allows(r, (permission)p), expected[r][p]);
}

static void test_owner_may_do_everything(void **state)
{
    (void)state;
    for (int p = 0; p < PERM_COUNT; p++)
        assert_true(roles_allows(ROLE_OWNER, (permission)p));
    check_row(ROLE_OWNER);
}

static void test_manager_administers_api_keys_but_not_users_or_audit(void **state)
{
    (void)state;
    assert_true(roles_allows(ROLE_MANAGER, PERM_APIKEY_ADMIN));
    assert_true(roles_allows(ROLE_MANAGER, PERM_MEMBER_ERASE));
    assert_false(roles_allows(ROLE_MANAGER, PERM_USER_ADMIN));
    assert_false(roles_allows(ROLE_MANAGER, PERM_AUDIT_READ));
    check_row(ROLE_MANAGER);
}

static void test_marketer_imports_and_exports_but_does_not_erase(void **state)
{
    (void)state;
    assert_true(roles_allows(ROLE_MARKETER, PERM_MEMBER_IMPORT));
    assert_true(roles_allows(ROLE_MARKETER, PERM_MEMBER_EXPORT));
    assert_false(roles_allows(ROLE_MARKETER, PERM_MEMBER_ERASE));
    assert_false(roles_allows(ROLE_MARKETER, PERM_APIKEY_ADMIN));
    check_row(ROLE_MARKETER);
}

static void test_cashier_has_no_admin_audit_or_erase(void **state)
{
    (void)state;
    assert_true(roles_allows(ROLE_CASHIER, PERM_MEMBER_READ));
    assert_true(roles_allows(ROLE_CASHIER, PERM_MEMBER_WRITE));
    assert_false(roles_allows(ROLE_CASHIER, PERM_APIKEY_ADMIN));
    assert_false(roles_allows(ROLE_CASHIER, PERM_AUDIT_READ));
    assert_false(roles_allows(ROLE_CASHIER, PERM_MEMBER_ERASE));
    assert_false(roles_allows(ROLE_CASHIER, PERM_USER_ADMIN));
    assert_false(roles_allows(ROLE_CASHIER, PERM_MEMBER_EXPORT));
    check_row(ROLE_CASHIER);
}

static void test_analyst_reads_and_exports_but_never_writes(void **state)
{
    (void)state;
    assert_true(roles_allows(ROLE_ANALYST, PERM_MEMBER_READ));
    assert_true(roles_allows(ROLE_ANALYST, PERM_MEMBER_EXPORT));
    assert_false(roles_allows(ROLE_ANALYST, PERM_MEMBER_WRITE));
    assert_false(roles_allows(ROLE_ANALYST, PERM_MEMBER_ERASE));
    assert_false(roles_allows(ROLE_ANALYST, PERM_MEMBER_IMPORT));
    check_row(ROLE_ANALYST);
}

static void test_no_role_gets_only_public(void **state)
{
    (void)state;
    check_row(ROLE_NONE);
}

static void test_out_of_range_roles_and_permissions_are_denied(void **state)
{
    (void)state;
    assert_false(roles_allows(ROLE_COUNT, PERM_MEMBER_READ));
    assert_false(roles_allows((role)-1, PERM_SIGNED_IN));
    assert_false(roles_allows(ROLE_OWNER, PERM_COUNT));
    assert_false(roles_allows(ROLE_OWNER, (permission)63));
    assert_false(roles_allows(ROLE_OWNER, (permission)200));
}

static void test_owner_may_grant_every_role(void **state)
{
    (void)state;
    for (int r = ROLE_OWNER; r < ROLE_COUNT; r++)
        assert_true(roles_may_grant(ROLE_OWNER, (role)r));
}

static void test_manager_cannot_grant_owner(void **state)
{
    (void)state;
    assert_false(roles_may_grant(ROLE_MANAGER, ROLE_OWNER));
    assert_true(roles_may_grant(ROLE_MANAGER, ROLE_MANAGER));
    assert_true(roles_may_grant(ROLE_MANAGER, ROLE_MARKETER));
    assert_true(roles_may_grant(ROLE_MANAGER, ROLE_CASHIER));
    assert_true(roles_may_grant(ROLE_MANAGER, ROLE_ANALYST));
    assert_false(roles_may_grant(ROLE_MARKETER, ROLE_MANAGER));
    assert_false(roles_may_grant(ROLE_CASHIER, ROLE_OWNER));
    assert_false(roles_may_grant(ROLE_ANALYST, ROLE_MARKETER));
}

static void test_no_role_is_granted_or_grants(void **state)
{
    (void)state;
    for (int r = ROLE_NONE; r < ROLE_COUNT; r++) {
        assert_false(roles_may_grant((role)r, ROLE_NONE));
        assert_false(roles_may_grant(ROLE_NONE, (role)r));
        assert_false(roles_may_grant((role)r, ROLE_COUNT));
        assert_false(roles_may_grant(ROLE_COUNT, (role)r));
    }
}

/* Whoever can hand out roles (holds a key or user admin permission) never hands out a permission
 * it lacks itself. */
static void test_granting_never_adds_a_permission_the_granter_lacks(void **state)
{
    (void)state;
    for (int g = ROLE_OWNER; g < ROLE_COUNT; g++) {
        if (!roles_allows((role)g, PERM_APIKEY_ADMIN) && !roles_allows((role)g, PERM_USER_ADMIN))
            continue;
        for (int r = ROLE_OWNER; r < ROLE_COUNT; r++) {
            if (!roles_may_grant((role)g, (role)r))
                continue;
            for (int p = 0; p < PERM_COUNT; p++)
                if (roles_allows((role)r, (permission)p) && !roles_allows((role)g, (permission)p))
                    fail_msg("%s may grant %s, which has %s", roles_name((role)g), roles_name((role)r), perm_names[p]);
        }
    }
}

static void test_role_names_round_trip(void **state)
{
    (void)state;
    static const char *const names[ROLE_COUNT] = {"none", "owner", "manager", "marketer", "cashier", "analyst"};
    for (int r = ROLE_OWNER; r < ROLE_COUNT; r++) {
        assert_string_equal(roles_name((role)r), names[r]);
        assert_int_equal(roles_from_name(names[r]), r);
        assert_int_equal(roles_from_name(roles_name((role)r)), r);
    }
    assert_string_equal(roles_name(ROLE_NONE), "none");
    assert_string_equal(roles_name(ROLE_COUNT), "none");
    assert_string_equal(roles_name((role)-3), "none");
}

static void test_unknown_role_names_are_none(void **state)
{
    (void)state;
    static const char *const bad[] = {"", "none", "Owner", "OWNER", "owner ", " owner", "admin", "root", "owne",
                                      "ownerx", "مدیر"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (roles_from_name(bad[i]) != ROLE_NONE)
            fail_msg("'%s' should be ROLE_NONE", bad[i]);
    assert_int_equal(roles_from_name(NULL), ROLE_NONE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_owner_may_do_everything),
        cmocka_unit_test(test_manager_administers_api_keys_but_not_users_or_audit),
        cmocka_unit_test(test_marketer_imports_and_exports_but_does_not_erase),
        cmocka_unit_test(test_cashier_has_no_admin_audit_or_erase),
        cmocka_unit_test(test_analyst_reads_and_exports_but_never_writes),
        cmocka_unit_test(test_no_role_gets_only_public),
        cmocka_unit_test(test_out_of_range_roles_and_permissions_are_denied),
        cmocka_unit_test(test_owner_may_grant_every_role),
        cmocka_unit_test(test_manager_cannot_grant_owner),
        cmocka_unit_test(test_no_role_is_granted_or_grants),
        cmocka_unit_test(test_granting_never_adds_a_permission_the_granter_lacks),
        cmocka_unit_test(test_role_names_round_trip),
        cmocka_unit_test(test_unknown_role_names_are_none),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
