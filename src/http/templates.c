/* /api/v1/templates: saved message templates, a name and the texts of a broadcast per locale ({subject, body, html}
 * each {"en", "fa"}), checked as a broadcast's texts are (core/template.c: known variables, balanced braces). A
 * broadcast names one with "template" (broadcasts.c copies its texts in); POST .../{id}/preview renders it for a
 * chosen member or contact, in their locale, with numbers and dates written for it (Persian digits and the Jalali
 * calendar for fa). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/timefmt.h"
#include "http/http.h"

static const char *const template_fields[] = {"name", "subject", "body", "html", NULL};
static const char *const text_fields[] = {"subject", "body", "html"};

static json_t *template_json(const store_template *t)
{
    json_t *content = json_loads(t->content, 0, NULL);
    json_t *o = json_pack("{s:I, s:s, s:O?, s:O?, s:O?, s:s, s:o, s:o}", "id", (json_int_t)t->id, "name", t->name,
                          "subject", json_object_get(content, "subject"), "body", json_object_get(content, "body"),
                          "html", json_object_get(content, "html"), "created_by", t->created_by, "created_at",
                          timefmt_json(t->created_at), "updated_at", timefmt_json(t->updated_at));
    json_decref(content);
    return o;
}

typedef struct template_job {
    json_t *body;
    int64_t id;
} template_job;

static void job_free(void *p)
{
    template_job *j = p;
    json_decref(j->body);
    free(j);
}

/* Checks a create body or a merge patch (a text field set to null is removed); errors name the field. */
static void body_check(json_t *body, bool creating, errlist *e)
{
    if (!json_is_object(body)) {
        errlist_add(e, "", "the body must be a JSON object");
        return;
    }
    errlist_only_fields(e, body, template_fields);
    json_t *name = json_object_get(body, "name");
    if ((name || creating) && (!json_is_string(name) || json_string_length(name) == 0 ||
                               json_string_length(name) > STORE_TEMPLATE_NAME_MAX))
        errlist_add(e, "name", "must be a text of 1 to %d bytes", STORE_TEMPLATE_NAME_MAX);
    if (creating || (json_object_get(body, "body") && !json_is_null(json_object_get(body, "body"))))
        http_localized_check(body, "body", true, STORE_OUTBOX_BODY_MAX, e);
    if (json_is_null(json_object_get(body, "body")))
        errlist_add(e, "body", "is required: an object with the text for en, fa or both");
    if (!json_is_null(json_object_get(body, "subject")))
        http_localized_check(body, "subject", false, STORE_OUTBOX_SUBJECT_MAX, e);
    if (!json_is_null(json_object_get(body, "html")))
        http_localized_check(body, "html", false, STORE_OUTBOX_BODY_MAX, e);
}

/* The patch applied to t's content and name. */
static void apply(store_template *t, const json_t *body, int64_t now)
{
    json_t *content = t->content ? json_loads(t->content, 0, NULL) : NULL;
    if (!content)
        content = json_object();
    for (size_t i = 0; i < sizeof(text_fields) / sizeof(text_fields[0]); i++) {
        json_t *v = json_object_get(body, text_fields[i]);
        if (json_is_null(v))
            json_object_del(content, text_fields[i]);
        else if (v)
            json_object_set(content, text_fields[i], v);
    }
    json_t *name = json_object_get(body, "name");
    if (name)
        snprintf(t->name, sizeof(t->name), "%s", json_string_value(name));
    free(t->content);
    if (!(t->content = json_dumps(content, JSON_COMPACT)))
        abort(); /* out of memory */
    json_decref(content);
    t->updated_at = now;
}

static void name_taken(http_write *w)
{
    errlist e;
    errlist_init(&e);
    errlist_add(&e, "name", "is taken by another template");
    http_write_answer_problem(w, 409, "conflict", "a unique value is taken", &e);
}

static int create_write(store_tx *tx, http_write *w)
{
    template_job *j = w->arg;
    store_template t = {.created_at = w->now_ms};
    snprintf(t.created_by, sizeof(t.created_by), "%s", w->who.name);
    apply(&t, j->body, w->now_ms);
    int status = store_tx_template_insert(tx, &t);
    if (status == STORE_CONFLICT)
        name_taken(w);
    if (status == STORE_OK)
        status = http_write_created(tx, w, "template.create", "template", t.id, "/api/v1/templates", template_json(&t));
    store_template_release(&t);
    return status;
}

static int update_write(store_tx *tx, http_write *w)
{
    template_job *j = w->arg;
    store_template t;
    int status = http_write_found(w, store_tx_template_get(tx, j->id, &t), "template");
    if (status != STORE_OK)
        return status;
    json_t *before = template_json(&t);
    apply(&t, j->body, w->now_ms);
    status = store_tx_template_update(tx, &t);
    if (status == STORE_CONFLICT)
        name_taken(w);
    if (status == STORE_OK)
        status = http_write_updated(tx, w, "template.update", "template", t.id, before, template_json(&t));
    else
        json_decref(before);
    store_template_release(&t);
    return status;
}

static int delete_write(store_tx *tx, http_write *w)
{
    template_job *j = w->arg;
    int status = http_write_found(w, store_tx_template_delete(tx, j->id), "template");
    return status == STORE_OK ? http_write_deleted(tx, w, "template.delete", "template", j->id, NULL) : status;
}

static void submit(http_request *r, bool creating, http_write_fn fn)
{
    json_t *body = http_body_json(r);
    if (!body)
        return;
    errlist e;
    errlist_init(&e);
    body_check(body, creating, &e);
    if (e.count) {
        json_decref(body);
        http_reply_problem(r, 400, "validation", "some fields are not valid", &e);
        return;
    }
    template_job *j = calloc(1, sizeof(*j));
    if (!j)
        abort(); /* out of memory */
    j->body = body;
    j->id = r->id;
    http_write_submit(r, fn, j, job_free);
}

void http_template_create(http_request *r) { submit(r, true, create_write); }
void http_template_update(http_request *r) { submit(r, false, update_write); }

void http_template_delete(http_request *r)
{
    template_job *j = calloc(1, sizeof(*j));
    if (!j)
        abort(); /* out of memory */
    j->id = r->id;
    http_write_submit(r, delete_write, j, job_free);
}

static void not_found_or_error(http_request *r, int status)
{
    http_reply_problem(r, status == STORE_NOTFOUND ? 404 : 500, status == STORE_NOTFOUND ? "not-found" : "internal",
                       status == STORE_NOTFOUND ? "there is no template with this id" : "the template could not be read",
                       NULL);
}

void http_template_get(http_request *r)
{
    store_template t;
    int status = store_template_get(r->thread->reader, r->id, &t);
    if (status != STORE_OK) {
        not_found_or_error(r, status);
        return;
    }
    http_reply_json(r, 200, template_json(&t));
    store_template_release(&t);
}

static void append_template(const store_template *t, void *items) { json_array_append_new(items, template_json(t)); }

static int list_templates(store_reader *rd, int64_t after_id, int want, json_t *items, void *arg)
{
    return store_template_list(rd, after_id, want, append_template, items);
}

void http_template_list(http_request *r) { http_reply_list(r, list_templates, NULL, "the templates"); }

/* POST /api/v1/templates/{id}/preview {member: ID} or {contact: ID}: the texts as that person would get them now. */
void http_template_preview(http_request *r)
{
    static const char *const fields[] = {"member", "contact", NULL};
    errlist e;
    json_t *body = http_body_fields(r, fields, &e);
    if (!body)
        return;
    json_t *mid = json_object_get(body, "member"), *cid = json_object_get(body, "contact");
    if ((mid != NULL) == (cid != NULL) || !json_is_integer(mid ? mid : cid) || json_integer_value(mid ? mid : cid) < 1)
        errlist_add(&e, mid ? "member" : "contact", "give one of member or contact: a person's id");
    int64_t pid = e.count ? 0 : json_integer_value(mid ? mid : cid);
    json_decref(body);
    store_template t;
    int status = e.count ? STORE_INVALID : store_template_get(r->thread->reader, r->id, &t);
    if (status != STORE_OK && status != STORE_INVALID) {
        not_found_or_error(r, status);
        return;
    }
    store_contact c = {0};
    member m;
    if (status == STORE_OK) {
        int ps = mid ? store_member_get(r->thread->reader, pid, &m) : store_contact_get(r->thread->reader, pid, &c);
        if (ps == STORE_NOTFOUND || (ps == STORE_OK && mid && m.erased_at))
            errlist_add(&e, mid ? "member" : "contact", "there is no %s with this id", mid ? "member" : "contact");
        else if (ps != STORE_OK) {
            store_template_release(&t);
            http_reply_problem(r, 500, "internal", "the person could not be read", NULL);
            return;
        }
        if (ps == STORE_OK && !mid)
            m = c.person;
    }
    if (e.count) {
        if (status == STORE_OK)
            store_template_release(&t);
        http_reply_problem(r, 400, "validation", "some fields are not valid", &e);
        return;
    }
    json_t *content = json_loads(t.content, 0, NULL);
    store_template_release(&t);
    json_t *out = http_messages_render(r->thread->reader, content, &m, mid ? pid : 0, r->now_ms);
    json_decref(content);
    if (mid)
        member_release(&m);
    else
        store_contact_release(&c);
    http_reply_json(r, 200, out);
}
