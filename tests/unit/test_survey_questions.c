/*
 * test_survey_questions.c: unit tests for src/app/survey_questions.c: a survey's questions and a person's answers
 * checked field by field, with the error naming the field.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "app/surveys.h"

static json_t *parse(const char *text)
{
    json_error_t err;
    json_t *v = json_loads(text, 0, &err);
    if (!v)
        fail_msg("bad JSON in the test: %s", err.text);
    return v;
}

static const char questions[] =
    "[{\"key\": \"score\", \"type\": \"nps\", \"text_en\": \"Recommend?\", \"text_fa\": \"\\u062a\\u0648\\u0635\\u06cc\\u0647\"},"
    " {\"key\": \"pick\", \"type\": \"multiple\", \"text_en\": \"Pick\", \"text_fa\": \"\\u0627\\u0646\\u062a\\u062e\\u0627\\u0628\","
    "  \"required\": false, \"options\": [{\"key\": \"a\", \"text_en\": \"A\", \"text_fa\": \"\\u0627\"},"
    "                                   {\"key\": \"b\", \"text_en\": \"B\", \"text_fa\": \"\\u0628\"}]}]";

static void assert_field(const errlist *e, const char *field)
{
    for (int i = 0; i < e->count && i < ERRLIST_MAX; i++)
        if (strcmp(e->items[i].field, field) == 0)
            return;
    fail_msg("no error for %s (first: %s %s)", field, e->count ? e->items[0].field : "-",
             e->count ? e->items[0].message : "-");
}

static void test_questions_are_normalised_with_required_made_explicit(void **state)
{
    json_t *q = parse(questions);
    errlist e;
    errlist_init(&e);
    json_t *out = survey_questions_check(q, &e);
    assert_int_equal(e.count, 0);
    assert_non_null(out);
    assert_true(json_is_true(json_object_get(json_array_get(out, 0), "required")));
    assert_true(json_is_false(json_object_get(json_array_get(out, 1), "required")));
    json_decref(out);
    json_decref(q);
}

static void test_bad_questions_name_the_field(void **state)
{
    const char *cases[][2] = {
        {"[]", "questions"},
        {"[{\"key\": \"Bad Key\", \"type\": \"nps\", \"text_en\": \"x\", \"text_fa\": \"y\"}]", "questions[0].key"},
        {"[{\"key\": \"k\", \"type\": \"slider\", \"text_en\": \"x\", \"text_fa\": \"y\"}]", "questions[0].type"},
        {"[{\"key\": \"k\", \"type\": \"nps\", \"text_en\": \"x\"}]", "questions[0].text_fa"},
        {"[{\"key\": \"k\", \"type\": \"nps\", \"text_en\": \"x\", \"text_fa\": \"y\", \"options\": []}]",
         "questions[0].options"},
        {"[{\"key\": \"k\", \"type\": \"single\", \"text_en\": \"x\", \"text_fa\": \"y\", \"options\": "
         "[{\"key\": \"a\", \"text_en\": \"A\", \"text_fa\": \"A\"}, {\"key\": \"a\", \"text_en\": \"B\", \"text_fa\": \"B\"}]}]",
         "questions[0].options"},
        {"[{\"key\": \"k\", \"type\": \"text\", \"text_en\": \"x\", \"text_fa\": \"y\", \"required\": 1}]",
         "questions[0].required"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *q = parse(cases[i][0]);
        errlist e;
        errlist_init(&e);
        assert_null(survey_questions_check(q, &e));
        assert_field(&e, cases[i][1]);
        json_decref(q);
    }
}

static void test_answers_of_the_wrong_type_name_the_question(void **state)
{
    json_t *q = parse(questions);
    const char *cases[][2] = {
        {"{\"score\": 11}", "answers.score"},
        {"{\"score\": 9.5}", "answers.score"},
        {"{\"score\": \"9\"}", "answers.score"},
        {"{}", "answers.score"},
        {"{\"score\": 9, \"pick\": [\"a\", \"a\"]}", "answers.pick"},
        {"{\"score\": 9, \"pick\": [\"c\"]}", "answers.pick"},
        {"{\"score\": 9, \"pick\": []}", "answers.pick"},
        {"{\"score\": 9, \"other\": 1}", "answers.other"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *a = parse(cases[i][0]);
        errlist e;
        errlist_init(&e);
        assert_null(survey_answers_check(q, a, &e));
        assert_field(&e, cases[i][1]);
        json_decref(a);
    }
    json_t *a = parse("{\"score\": 0, \"pick\": null}");
    errlist e;
    errlist_init(&e);
    json_t *ok = survey_answers_check(q, a, &e);
    assert_non_null(ok);
    assert_int_equal(json_object_size(ok), 1); /* the null answer to an optional question is left out */
    json_decref(ok);
    json_decref(a);
    json_decref(q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_questions_are_normalised_with_required_made_explicit),
        cmocka_unit_test(test_bad_questions_name_the_field),
        cmocka_unit_test(test_answers_of_the_wrong_type_name_the_question),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
