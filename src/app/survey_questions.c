/* Survey questions and answers checked once, for the API and the public answer page alike (see surveys.h):
 * a survey's questions when it is written, a person's answers against them when they answer. Pure: JSON in,
 * JSON or field errors out. */
#include "app/surveys.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "core/text.h"

static const char *const question_types[] = {"nps", "rating", "single", "multiple", "text", NULL};

static bool key_ok(const json_t *v)
{
    const char *s = json_string_value(v);
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > 32)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!(islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]) || s[i] == '_'))
            return false;
    return true;
}

static bool text_ok(const json_t *v)
{
    return json_is_string(v) && json_string_length(v) > 0 && json_string_length(v) <= STORE_SURVEY_TEXT_MAX &&
           text_valid_utf8(json_string_value(v), json_string_length(v));
}

static void check_options(const json_t *opts, const char *at, errlist *e)
{
    if (!json_is_array(opts) || json_array_size(opts) < 2 || json_array_size(opts) > SURVEY_OPTIONS_MAX) {
        errlist_add(e, at, "must be a list of 2 to %d options {key, text_en, text_fa}", SURVEY_OPTIONS_MAX);
        return;
    }
    for (size_t j = 0; j < json_array_size(opts); j++) {
        json_t *o = json_array_get(opts, j);
        if (!key_ok(json_object_get(o, "key")) || !text_ok(json_object_get(o, "text_en")) ||
            !text_ok(json_object_get(o, "text_fa"))) {
            errlist_add(e, at, "option %zu needs a key (a-z, 0-9, _) and both texts", j);
            return;
        }
        for (size_t k = 0; k < j; k++)
            if (json_equal(json_object_get(json_array_get(opts, k), "key"), json_object_get(o, "key")))
                errlist_add(e, at, "option key %s is used twice", json_string_value(json_object_get(o, "key")));
    }
}

static void check_question(json_t *q, size_t i, errlist *e)
{
    static const char *const fields[] = {"key", "type", "text_en", "text_fa", "options", "required", NULL};
    char at[64];
    snprintf(at, sizeof(at), "questions[%zu]", i);
    if (!json_is_object(q)) {
        errlist_add(e, at, "must be an object");
        return;
    }
    errlist other;
    errlist_init(&other);
    errlist_only_fields(&other, q, fields);
    for (int k = 0; k < other.count && k < ERRLIST_MAX; k++)
        errlist_add(e, at, "%s %s", other.items[k].field, other.items[k].message);
    char f[80];
    snprintf(f, sizeof(f), "%s.key", at);
    if (!key_ok(json_object_get(q, "key")))
        errlist_add(e, f, "is required: 1 to 32 of a-z, 0-9 and _");
    const char *type = json_string_value(json_object_get(q, "type"));
    bool known = false;
    for (const char *const *t = question_types; type && *t; t++)
        known = known || strcmp(type, *t) == 0;
    snprintf(f, sizeof(f), "%s.type", at);
    if (!known)
        errlist_add(e, f, "must be one of nps, rating, single, multiple, text");
    for (int l = 0; l < 2; l++) {
        snprintf(f, sizeof(f), "%s.%s", at, l ? "text_fa" : "text_en");
        if (!text_ok(json_object_get(q, l ? "text_fa" : "text_en")))
            errlist_add(e, f, "is required: a text of at most %d bytes", STORE_SURVEY_TEXT_MAX);
    }
    snprintf(f, sizeof(f), "%s.options", at);
    bool choice = known && (strcmp(type, "single") == 0 || strcmp(type, "multiple") == 0);
    if (choice)
        check_options(json_object_get(q, "options"), f, e);
    else if (json_object_get(q, "options"))
        errlist_add(e, f, "belongs to single and multiple choice questions only");
    json_t *req = json_object_get(q, "required");
    snprintf(f, sizeof(f), "%s.required", at);
    if (req && !json_is_boolean(req))
        errlist_add(e, f, "must be true or false");
}

json_t *survey_questions_check(const json_t *questions, errlist *e)
{
    int before = e->count;
    if (!json_is_array(questions) || json_array_size(questions) < 1 ||
        json_array_size(questions) > STORE_SURVEY_QUESTIONS_MAX) {
        errlist_add(e, "questions", "must be a list of 1 to %d questions", STORE_SURVEY_QUESTIONS_MAX);
        return NULL;
    }
    for (size_t i = 0; i < json_array_size(questions); i++) {
        json_t *q = json_array_get(questions, i);
        check_question(q, i, e);
        for (size_t k = 0; k < i && json_is_object(q); k++)
            if (json_equal(json_object_get(json_array_get(questions, k), "key"), json_object_get(q, "key"))) {
                char at[64];
                snprintf(at, sizeof(at), "questions[%zu].key", i);
                errlist_add(e, at, "is used by question %zu too", k);
            }
    }
    if (e->count > before)
        return NULL;
    json_t *out = json_deep_copy(questions);
    size_t i;
    json_t *q;
    json_array_foreach(out, i, q) if (!json_object_get(q, "required")) json_object_set_new(q, "required", json_true());
    return out;
}

static bool option_known(const json_t *q, const json_t *v)
{
    size_t i;
    json_t *o;
    json_array_foreach(json_object_get(q, "options"), i, o) if (json_equal(json_object_get(o, "key"), v)) return true;
    return false;
}

/* Checks one answer v to question q; adds an error naming field when it does not fit. */
static void check_answer(const json_t *q, const json_t *v, const char *field, errlist *e)
{
    const char *type = json_string_value(json_object_get(q, "type"));
    json_int_t n = json_integer_value(v);
    if (strcmp(type, "nps") == 0 && (!json_is_integer(v) || n < 0 || n > 10))
        errlist_add(e, field, "must be a whole number from 0 to 10");
    else if (strcmp(type, "rating") == 0 && (!json_is_integer(v) || n < 1 || n > 5))
        errlist_add(e, field, "must be a whole number from 1 to 5");
    else if (strcmp(type, "single") == 0 && !option_known(q, v))
        errlist_add(e, field, "must be the key of one of the question's options");
    else if (strcmp(type, "text") == 0 &&
             (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) > SURVEY_ANSWER_TEXT_MAX ||
              !text_valid_utf8(json_string_value(v), json_string_length(v))))
        errlist_add(e, field, "must be a text of 1 to %d bytes", SURVEY_ANSWER_TEXT_MAX);
    else if (strcmp(type, "multiple") == 0) {
        bool ok = json_is_array(v) && json_array_size(v) >= 1;
        for (size_t i = 0; ok && i < json_array_size(v); i++) {
            ok = option_known(q, json_array_get(v, i));
            for (size_t k = 0; ok && k < i; k++)
                ok = !json_equal(json_array_get(v, k), json_array_get(v, i));
        }
        if (!ok)
            errlist_add(e, field, "must be a list of distinct keys of the question's options");
    }
}

json_t *survey_answers_check(const json_t *questions, const json_t *answers, errlist *e)
{
    int before = e->count;
    if (!json_is_object(answers)) {
        errlist_add(e, "answers", "must be an object: question key -> answer");
        return NULL;
    }
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)answers, key, v) {
        bool known = false;
        size_t i;
        json_t *q;
        json_array_foreach(questions, i, q) known = known || strcmp(json_string_value(json_object_get(q, "key")), key) == 0;
        if (!known) {
            char f[64];
            snprintf(f, sizeof(f), "answers.%.48s", key);
            errlist_add(e, f, "is not a question of this survey");
        }
    }
    size_t i;
    json_t *q;
    json_array_foreach(questions, i, q) {
        const char *k = json_string_value(json_object_get(q, "key"));
        char f[64];
        snprintf(f, sizeof(f), "answers.%.48s", k);
        json_t *a = json_object_get(answers, k);
        if (!a || json_is_null(a)) {
            if (!json_is_false(json_object_get(q, "required"))) /* required unless said otherwise */
                errlist_add(e, f, "is required");
            continue;
        }
        check_answer(q, a, f, e);
    }
    if (e->count > before)
        return NULL;
    json_t *out = json_object();
    json_object_foreach((json_t *)answers, key, v) if (!json_is_null(v)) json_object_set(out, key, v);
    return out;
}
