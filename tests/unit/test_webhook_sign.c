/*
 * test_webhook_sign.c: unit tests for webhook_sign in src/channels/webhook.c (the webhook-signature header:
 * "v1," + base64 of HMAC-SHA256 over "id.timestamp.body", keyed by the base64 after "whsec_").
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "channels/webhook.h"

/* The worked example published with the Standard Webhooks specification, which receivers' libraries test against. */
static void test_the_published_example_signs_the_same(void **state)
{
    (void)state;
    char sig[WEBHOOK_SIGNATURE_MAX];
    const char *body = "{\"test\": 2432232314}";
    assert_int_equal(webhook_sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek",
                                  1614265330, body, strlen(body), sig),
                     0);
    assert_string_equal(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
}

static void test_any_change_to_id_time_or_body_changes_the_signature(void **state)
{
    (void)state;
    const char *secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", *body = "{\"a\":1}";
    char base[WEBHOOK_SIGNATURE_MAX], other[WEBHOOK_SIGNATURE_MAX];
    assert_int_equal(webhook_sign(secret, "evt_1", 1000, body, strlen(body), base), 0);
    assert_int_equal(webhook_sign(secret, "evt_2", 1000, body, strlen(body), other), 0);
    assert_string_not_equal(base, other);
    assert_int_equal(webhook_sign(secret, "evt_1", 1001, body, strlen(body), other), 0);
    assert_string_not_equal(base, other);
    assert_int_equal(webhook_sign(secret, "evt_1", 1000, "{\"a\":2}", 7, other), 0);
    assert_string_not_equal(base, other);
    assert_int_equal(webhook_sign("whsec_QUJDREVGR0g=", "evt_1", 1000, body, strlen(body), other), 0);
    assert_string_not_equal(base, other);
}

static void test_a_secret_not_of_the_whsec_base64_form_is_refused(void **state)
{
    (void)state;
    char sig[WEBHOOK_SIGNATURE_MAX];
    assert_int_equal(webhook_sign("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "e", 1, "{}", 2, sig), -1);
    assert_int_equal(webhook_sign("whsec_not base64!", "e", 1, "{}", 2, sig), -1);
    assert_int_equal(webhook_sign("whsec_", "e", 1, "{}", 2, sig), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_the_published_example_signs_the_same),
        cmocka_unit_test(test_any_change_to_id_time_or_body_changes_the_signature),
        cmocka_unit_test(test_a_secret_not_of_the_whsec_base64_form_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
