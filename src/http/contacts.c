/* /api/v1/contacts: people beyond the members (staff, partners, sponsors, press) whom surveys and news address.
 * The personal fields (names, phone, email, locale, time zone, consent, external_ref) go through
 * member_apply_json, the members' one door for outside input, so both are checked the same way; kind,
 * organisation and department are the contact's own. The writer re-applies a body to the current record and
 * audits the change in the same transaction. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/timefmt.h"
#include "http/http.h"

static const char *const contact_kinds[] = {"staff", "partner", "sponsor", "press", "other", NULL};
static const char *const person_fields[] = {"external_ref", "given_name", "family_name", "phone",
                                            "email",        "locale",     "time_zone",   "consent", NULL};

static const http_text_field contact_texts[] = {
    {"organisation", offsetof(store_contact, organisation), STORE_ORG_MAX + 1, false, true},
    {"department", offsetof(store_contact, department), STORE_ORG_MAX + 1, false, true},
};

bool http_contact_kind_ok(const char *kind)
{
    for (const char *const *k = contact_kinds; *k; k++)
        if (kind && strcmp(kind, *k) == 0)
            return true;
    return false;
}

/* Applies a create body or a merge patch to c; errors name the field. */
void http_contact_apply_json(store_contact *c, json_t *body, const member_rules *rules, bool creating, errlist *e)
{
    if (!json_is_object(body)) {
        errlist_add(e, "", "the body must be a JSON object");
        return;
    }
    json_t *person = json_object();
    const char *key;
    json_t *v;
    json_object_foreach(body, key, v) {
        bool personal = false;
        for (const char *const *f = person_fields; *f; f++)
            personal = personal || strcmp(key, *f) == 0;
        if (personal)
            json_object_set(person, key, v);
        else if (strcmp(key, "kind") != 0 && strcmp(key, "organisation") != 0 && strcmp(key, "department") != 0) {
            char field[64];
            snprintf(field, sizeof(field), "%.63s", key);
            errlist_add(e, field, "is not a known field");
        }
    }
    member_apply_json(&c->person, person, rules, creating, e);
    json_decref(person);
    for (size_t i = 0; i < sizeof(contact_texts) / sizeof(contact_texts[0]); i++) {
        const http_text_field *f = &contact_texts[i];
        if ((v = json_object_get(body, f->name)))
            http_apply_text(f, v, (char *)c + f->offset, e);
    }
    json_t *kind = json_object_get(body, "kind");
    if (kind && (!json_is_string(kind) || !http_contact_kind_ok(json_string_value(kind))))
        errlist_add(e, "kind", "must be one of staff, partner, sponsor, press, other");
    else if (kind)
        snprintf(c->kind, sizeof(c->kind), "%s", json_string_value(kind));
    else if (creating)
        errlist_add(e, "kind", "is required");
    if (creating)
        member_check_complete(&c->person, e);
}

json_t *http_contact_json(const store_contact *c)
{
    const member *p = &c->person;
#define TEXT_OR_NULL(s) ((s)[0] ? json_string(s) : json_null())
    return json_pack("{s:I, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:s, s:s, s:{s:b, s:b}, s:o, s:o}", "id",
                     (json_int_t)c->id, "kind", c->kind, "organisation", TEXT_OR_NULL(c->organisation),
                     "department", TEXT_OR_NULL(c->department), "external_ref", TEXT_OR_NULL(p->external_ref),
                     "given_name", TEXT_OR_NULL(p->given_name), "family_name", TEXT_OR_NULL(p->family_name),
                     "phone", TEXT_OR_NULL(p->phone), "email", TEXT_OR_NULL(p->email), "locale", p->locale,
                     "time_zone", p->time_zone, "consent", "email", p->consent_email, "sms", p->consent_sms,
                     "created_at", timefmt_json(p->created_at), "updated_at", timefmt_json(p->updated_at));
#undef TEXT_OR_NULL
}

/* ---- writes ---- */

typedef struct contact_change {
    json_t *body;
    int64_t id;
} contact_change;

static void change_free(void *p)
{
    contact_change *c = p;
    json_decref(c->body);
    free(c);
}

static int conflict(http_write *w)
{
    errlist e;
    errlist_init(&e);
    errlist_add(&e, "external_ref", "is taken by another contact");
    http_write_answer_problem(w, 409, "conflict", "a unique value is taken", &e);
    return STORE_CONFLICT;
}

static bool apply_on_writer(http_write *w, store_contact *c, json_t *body, bool creating)
{
    member_rules rules = http_member_rules(w->now_ms);
    errlist e;
    errlist_init(&e);
    http_contact_apply_json(c, body, &rules, creating, &e);
    if (e.count == 0)
        return true;
    http_write_answer_problem(w, 400, "validation", "some fields are not valid", &e);
    return false;
}

static int create_write(store_tx *tx, http_write *w)
{
    contact_change *ch = w->arg;
    member_rules rules = http_member_rules(w->now_ms);
    store_contact c = {0};
    member_init(&c.person, &rules);
    int status = apply_on_writer(w, &c, ch->body, true) ? store_tx_contact_insert(tx, &c) : STORE_INVALID;
    if (status == STORE_CONFLICT)
        conflict(w);
    if (status == STORE_OK)
        status = http_write_created(tx, w, "contact.create", "contact", c.id, "/api/v1/contacts",
                                    http_contact_json(&c));
    store_contact_release(&c);
    return status;
}

static int update_write(store_tx *tx, http_write *w)
{
    contact_change *ch = w->arg;
    store_contact c;
    int status = http_write_found(w, store_tx_contact_get(tx, ch->id, &c), "contact");
    if (status != STORE_OK)
        return status;
    json_t *before = http_contact_json(&c);
    status = apply_on_writer(w, &c, ch->body, false) ? STORE_OK : STORE_INVALID;
    c.person.updated_at = w->now_ms;
    if (status == STORE_OK)
        status = store_tx_contact_update(tx, &c);
    if (status == STORE_CONFLICT)
        conflict(w);
    if (status == STORE_OK)
        status = http_write_updated(tx, w, "contact.update", "contact", c.id, before, http_contact_json(&c));
    else
        json_decref(before);
    store_contact_release(&c);
    return status;
}

static int delete_write(store_tx *tx, http_write *w)
{
    contact_change *ch = w->arg;
    store_contact c;
    int status = http_write_found(w, store_tx_contact_get(tx, ch->id, &c), "contact");
    if (status != STORE_OK)
        return status;
    status = store_tx_contact_delete(tx, ch->id);
    store_actor actor = http_actor(&w->who);
    /* the audit keeps who was deleted, not their personal data */
    if (status == STORE_OK)
        status = store_tx_audit(tx, &actor, w->now_ms, "contact.delete", "contact", c.id, NULL, NULL);
    store_contact_release(&c);
    w->status = 204;
    return status;
}

/* Checks the body on a scratch contact first, so bad input is answered before anything queues. */
static void submit(http_request *r, bool creating, http_write_fn fn)
{
    json_t *body = http_body_json(r);
    if (!body)
        return;
    member_rules rules = http_member_rules(r->now_ms);
    store_contact scratch = {0};
    member_init(&scratch.person, &rules);
    errlist e;
    errlist_init(&e);
    http_contact_apply_json(&scratch, body, &rules, creating, &e);
    store_contact_release(&scratch);
    if (e.count) {
        json_decref(body);
        http_reply_problem(r, 400, "validation", "some fields are not valid", &e);
        return;
    }
    contact_change *c = calloc(1, sizeof(*c));
    if (!c)
        abort();
    c->body = body;
    c->id = r->id;
    http_write_submit(r, fn, c, change_free);
}

void http_contact_create(http_request *r) { submit(r, true, create_write); }
void http_contact_update(http_request *r) { submit(r, false, update_write); }

void http_contact_delete(http_request *r)
{
    contact_change *c = calloc(1, sizeof(*c));
    if (!c)
        abort();
    c->id = r->id;
    http_write_submit(r, delete_write, c, change_free);
}

/* ---- reads ---- */

void http_contact_get(http_request *r)
{
    store_contact c;
    int status = store_contact_get(r->thread->reader, r->id, &c);
    if (status != STORE_OK) {
        http_reply_problem(r, status == STORE_NOTFOUND ? 404 : 500, status == STORE_NOTFOUND ? "not-found" : "internal",
                           status == STORE_NOTFOUND ? "there is no contact with this id" : "the contact could not be read",
                           NULL);
        return;
    }
    json_t *o = http_contact_json(&c);
    store_contact_release(&c);
    http_reply_json(r, 200, o);
}

static void append_contact(const store_contact *c, void *items) { json_array_append_new(items, http_contact_json(c)); }

static int list_contacts(store_reader *rd, int64_t after_id, int want, json_t *items, void *arg)
{
    store_contact_filter *f = arg;
    f->after_id = after_id;
    f->limit = want;
    int count;
    return store_contact_list(rd, f, append_contact, items, &count);
}

void http_contact_list(http_request *r)
{
    static const char *const allowed[] = {"limit", "cursor", "kind", NULL};
    int limit;
    int64_t after_id = 0;
    if (!http_query_only(r, allowed) || !http_page_params(r, &limit, &after_id))
        return;
    char kind[32];
    errlist e;
    errlist_init(&e);
    bool has_kind = http_query(r, "kind", kind, sizeof(kind), &e);
    if (e.count == 0 && has_kind && !http_contact_kind_ok(kind))
        errlist_add(&e, "kind", "must be one of staff, partner, sponsor, press, other");
    if (e.count) {
        http_reply_problem(r, 400, "validation", "some query parameters are not valid", &e);
        return;
    }
    store_contact_filter f = {has_kind ? kind : NULL, 0, 0};
    http_reply_page(r, after_id, limit, list_contacts, &f, "the contacts");
}
