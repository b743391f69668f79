/*
 * test_config.c: unit tests for src/base/config.c (flags > environment > config file > default,
 * unknown options, switches, whole-number settings).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/config.h"

/* Environment names unique to this test, so nothing in the caller's environment interferes. */
#define ENV_CONFIG "BASHGAH_UNITTEST_CONFIG"
#define ENV_PORT "BASHGAH_UNITTEST_PORT"
#define ENV_DATA "BASHGAH_UNITTEST_DATA"
#define ENV_REGION "BASHGAH_UNITTEST_REGION"
#define ENV_WORKERS "BASHGAH_UNITTEST_WORKERS"

static const config_def defs[] = {
    {"config", ENV_CONFIG, NULL, "config file", false},
    {"port", ENV_PORT, "8080", "port to listen on", false},
    {"data-dir", ENV_DATA, "/var/lib/bashgah", "data directory", false},
    {"region", ENV_REGION, "IR", "phone region", false},
    {"workers", ENV_WORKERS, "4", "worker threads", false},
    {"verbose", NULL, NULL, "log more", true},
    {"dry-run", NULL, NULL, "change nothing", true},
    {"name", NULL, NULL, "a command option", false},
};
#define NDEFS (sizeof defs / sizeof defs[0])

typedef struct fixture {
    char dir[64];
    char path[128];
} fixture;

static void clear_env(void)
{
    unsetenv(ENV_CONFIG);
    unsetenv(ENV_PORT);
    unsetenv(ENV_DATA);
    unsetenv(ENV_REGION);
    unsetenv(ENV_WORKERS);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    snprintf(f->dir, sizeof f->dir, "/tmp/bashgah-config-XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    snprintf(f->path, sizeof f->path, "%s/bashgah.conf", f->dir);
    clear_env();
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    unlink(f->path);
    rmdir(f->dir);
    free(f);
    clear_env();
    return 0;
}

static void write_file(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

/* Parses a NULL-terminated list of arguments. */
static int parse(config *c, char *err, size_t errlen, ...)
{
    char *argv[16];
    int argc = 0;
    va_list ap;
    va_start(ap, errlen);
    for (char *a; (a = va_arg(ap, char *)) != NULL && argc < 16;)
        argv[argc++] = a;
    va_end(ap);
    err[0] = '\0';
    return config_parse(c, defs, NDEFS, argc, argv, err, errlen);
}

static void test_defaults_apply_when_nothing_is_given(void **state)
{
    (void)state;
    config c;
    char err[256];
    assert_int_equal(parse(&c, err, sizeof err, NULL), 0);
    assert_string_equal(config_get(&c, "port"), "8080");
    assert_string_equal(config_get(&c, "region"), "IR");
    assert_null(config_get(&c, "name"));
    assert_null(config_get(&c, "config"));
    assert_null(config_get(&c, "no-such-setting"));
    assert_false(config_switch(&c, "verbose"));
    assert_false(c.help);
    assert_int_equal(c.npositional, 0);
    config_release(&c);
}

static void test_flag_beats_env_beats_file_beats_default(void **state)
{
    fixture *f = *state;
    write_file(f->path, "# bashgah settings\n"
                        "\n"
                        "port = 1111\n"
                        "data-dir = /from/file\n"
                        "  region\t=  DE  \n");
    setenv(ENV_CONFIG, f->path, 1);
    setenv(ENV_PORT, "2222", 1);
    setenv(ENV_DATA, "/from/env", 1);
    config c;
    char err[256];
    assert_int_equal(parse(&c, err, sizeof err, "--port", "3333", NULL), 0);
    assert_string_equal(config_get(&c, "port"), "3333");          /* flag over env and file */
    assert_string_equal(config_get(&c, "data-dir"), "/from/env"); /* env over file */
    assert_string_equal(config_get(&c, "region"), "DE");          /* file over default, trimmed */
    assert_string_equal(config_get(&c, "workers"), "4");          /* default */
    config_release(&c);

    /* Without the flag, the environment wins over the file. */
    assert_int_equal(parse(&c, err, sizeof err, NULL), 0);
    assert_string_equal(config_get(&c, "port"), "2222");
    config_release(&c);

    /* Without the environment, the file wins over the default. */
    unsetenv(ENV_PORT);
    unsetenv(ENV_DATA);
    assert_int_equal(parse(&c, err, sizeof err, NULL), 0);
    assert_string_equal(config_get(&c, "port"), "1111");
    assert_string_equal(config_get(&c, "data-dir"), "/from/file");
    config_release(&c);
}

static void test_config_file_named_by_flag_is_read(void **state)
{
    fixture *f = *state;
    write_file(f->path, "workers = 16\nname = hello world \n");
    char flag[256];
    snprintf(flag, sizeof flag, "--config=%s", f->path);
    config c;
    char err[256];
    assert_int_equal(parse(&c, err, sizeof err, flag, NULL), 0);
    assert_string_equal(config_get(&c, "workers"), "16");
    assert_string_equal(config_get(&c, "name"), "hello world");
    config_release(&c);
}

static void test_empty_environment_variable_counts_as_unset(void **state)
{
    (void)state;
    setenv(ENV_PORT, "", 1);
    config c;
    char err[256];
    assert_int_equal(parse(&c, err, sizeof err, NULL), 0);
    assert_string_equal(config_get(&c, "port"), "8080");
    config_release(&c);
}

static void test_unknown_option_is_an_error_naming_it(void **state)
{
    (void)state;
    config c;
    char err[256];
    assert_int_equal(parse(&c, err, sizeof err, "--port", "1", "--colour=red", NULL), -1);
    assert_non_null(strstr(err, "--colour"));
    config_release(&c);
    assert_int_equal(parse(&c, err, sizeof err, "--por", "1", NULL), -1);
    assert_non_null(strstr(err, "--por"));
    config_release(&c);
}

static void test_option_without_its_value_is_an_error(void **state)
{
    (void)state;
    config c;
    char err[256];
    assert_int_equal(parse(&c, err, sizeof err, "--port", NULL), -1);
    assert_non_null(strstr(err, "--port"));
    config_release(&c);
}

static void test_unknown_setting_in_config_file_is_an_error_with_its_line(void **state)
{
    fixture *f = *state;
    write_file(f->path, "port = 1\n# fine\ncolour = red\n");
    setenv(ENV_CONFIG, f->path, 1);
    config c;
    char err[512];
    assert_int_equal(parse(&c, err, sizeof err, NULL), -1);
    assert_non_null(strstr(err, ":3:"));
    assert_non_null(strstr(err, "colour"));
    config_release(&c);

    write_file(f->path, "port 1\n");
    assert_int_equal(parse(&c, err, sizeof err, NULL), -1);
    assert_non_null(strstr(err, ":1:"));
    config_release(&c);
}

static void test_missing_config_file_is_an_error(void **state)
{
    fixture *f = *state;
    char missing[192];
    snprintf(missing, sizeof missing, "%s/absent.conf", f->dir);
    setenv(ENV_CONFIG, missing, 1);
    config c;
    char err[512];
    assert_int_equal(parse(&c, err, sizeof err, NULL), -1);
    assert_non_null(strstr(err, missing));
    config_release(&c);
}

static void test_switches_take_no_value(void **state)
{
    (void)state;
    config c;
    char err[256];
    assert_int_equal(parse(&c, err, sizeof err, "--verbose", "members.csv", NULL), 0);
    assert_true(config_switch(&c, "verbose"));
    assert_false(config_switch(&c, "dry-run"));
    /* The word after a switch is a positional argument, not its value. */
    assert_int_equal(c.npositional, 1);
    assert_string_equal(c.positional[0], "members.csv");
    config_release(&c);

    assert_int_equal(parse(&c, err, sizeof err, "--verbose=false", "--dry-run=yes", NULL), 0);
    assert_false(config_switch(&c, "verbose"));
    assert_true(config_switch(&c, "dry-run"));
    config_release(&c);

    /* A setting that is not a switch reads as false unless it says true. */
    assert_int_equal(parse(&c, err, sizeof err, "--name", "1", NULL), 0);
    assert_true(config_switch(&c, "name"));
    assert_false(config_switch(&c, "port"));
    config_release(&c);
}

static void test_help_and_positionals_are_collected(void **state)
{
    (void)state;
    config c;
    char err[256];
    assert_int_equal(parse(&c, err, sizeof err, "a", "--name=x=y", "b", "-h", NULL), 0);
    assert_true(c.help);
    assert_int_equal(c.npositional, 2);
    assert_string_equal(c.positional[0], "a");
    assert_string_equal(c.positional[1], "b");
    assert_string_equal(config_get(&c, "name"), "x=y");
    config_release(&c);

    assert_int_equal(parse(&c, err, sizeof err, "1", "2", "3", "4", "5", "6", "7", "8", "9", NULL), -1);
    assert_non_null(strstr(err, "too many"));
    config_release(&c);
}

static void test_config_long_accepts_numbers_within_bounds(void **state)
{
    (void)state;
    config c;
    char err[256];
    long n = -1;
    assert_int_equal(parse(&c, err, sizeof err, "--port", "65535", "--workers=1", "--name=-7", NULL), 0);
    assert_int_equal(config_long(&c, "port", 1, 65535, &n, err, sizeof err), 0);
    assert_int_equal(n, 65535);
    assert_int_equal(config_long(&c, "workers", 1, 64, &n, err, sizeof err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(config_long(&c, "name", -10, 10, &n, err, sizeof err), 0);
    assert_int_equal(n, -7);
    config_release(&c);
}

static void test_config_long_refuses_out_of_bounds_and_non_numbers(void **state)
{
    (void)state;
    static const char *const bad[] = {"0", "65536", "12abc", "", "abc", "1.5", "99999999999999999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        config c;
        char err[256], flag[64];
        snprintf(flag, sizeof flag, "--port=%s", bad[i]);
        assert_int_equal(parse(&c, err, sizeof err, flag, NULL), 0);
        long n = 12345;
        if (config_long(&c, "port", 1, 65535, &n, err, sizeof err) != -1)
            fail_msg("'%s' accepted as %ld", bad[i], n);
        assert_int_equal(n, 12345);
        assert_non_null(strstr(err, "--port"));
        assert_non_null(strstr(err, "65535"));
        config_release(&c);
    }
    /* A setting with no value and no default is not a number either. */
    config c;
    char err[256];
    long n = 5;
    assert_int_equal(parse(&c, err, sizeof err, NULL), 0);
    assert_int_equal(config_long(&c, "name", 0, 10, &n, err, sizeof err), -1);
    assert_int_equal(n, 5);
    config_release(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_defaults_apply_when_nothing_is_given, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flag_beats_env_beats_file_beats_default, setup, teardown),
        cmocka_unit_test_setup_teardown(test_config_file_named_by_flag_is_read, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty_environment_variable_counts_as_unset, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_option_is_an_error_naming_it, setup, teardown),
        cmocka_unit_test_setup_teardown(test_option_without_its_value_is_an_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_setting_in_config_file_is_an_error_with_its_line, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_config_file_is_an_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_switches_take_no_value, setup, teardown),
        cmocka_unit_test_setup_teardown(test_help_and_positionals_are_collected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_config_long_accepts_numbers_within_bounds, setup, teardown),
        cmocka_unit_test_setup_teardown(test_config_long_refuses_out_of_bounds_and_non_numbers, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
