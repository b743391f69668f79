/* Shared by the HTTP handlers: the request context, the route table's types, replies (JSON and RFC 9457
 * problem+json), authentication, and writes through the store's writer. A handler parses and checks its input,
 * then either answers from its thread's read connection or submits a write and answers when it has committed. */
#ifndef BASHGAH_HTTP_H
#define BASHGAH_HTTP_H

#include <h2o.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/errlist.h"
#include "core/member.h"
#include "core/roles.h"
#include "store/store.h"

#define HTTP_QUERY_VALUE_MAX 512
#define HTTP_PAGE_LIMIT_DEFAULT 50
#define HTTP_PAGE_LIMIT_MAX 500

typedef struct http_settings {
    size_t body_limit;   /* JSON bodies */
    size_t import_limit; /* CSV import bodies */
    const char *phone_region;
    const char *default_time_zone;
    const char *default_locale;
    bool secure_cookies; /* behind TLS */
    bool demo;           /* a demo club: portal sign-in codes are also logged */
    const char *web_dir; /* the built web app served at /, or NULL */
    bool webhook_allow_private; /* the owner's setting: webhooks may point at internal addresses */
} http_settings;

/* One per event loop thread. */
typedef struct http_thread {
    int index;
    h2o_context_t ctx;
    store_reader *reader;
    h2o_multithread_receiver_t write_done;   /* writer -> this loop */
    h2o_multithread_receiver_t offload_done; /* worker pool -> this loop */
    int pending; /* requests waiting for the writer or a worker */
} http_thread;

typedef struct http_principal {
    const char *kind; /* "user" | "apikey" | NULL when anonymous */
    int64_t id;
    char name[130];
    role role;
    bool via_cookie;
    char csrf_token[64];
    uint8_t session_hash[32];
    char key[48]; /* "user:ID" or "apikey:ID": the owner of idempotency keys */
} http_principal;

struct http_route;

typedef struct http_request {
    h2o_req_t *req;
    http_thread *thread;
    const struct http_route *route;
    int route_index;
    http_principal who;
    int64_t id; /* the {id} of the path, when the route has one */
    int64_t now_ms;
    uint64_t start_ns;
} http_request;

typedef void (*http_handler)(http_request *r);

typedef enum http_body { HTTP_BODY_NONE, HTTP_BODY_JSON, HTTP_BODY_CSV } http_body;

typedef struct http_route {
    const char *method;
    const char *path; /* may hold one "{id}" segment */
    http_handler handler;
    permission perm;
    http_body body;
} http_route;

extern const http_route http_routes[];
extern const int http_routes_count;
extern http_settings http_config;
extern store *http_store;

/* ---- replies (reply.c); every reply goes through http_send, which also logs and counts ---- */
void http_send(http_request *r, int status, const char *content_type, const char *body, size_t len,
               const char *location, bool replayed);
/* Sends body (stolen) as application/json. */
void http_reply_json(http_request *r, int status, json_t *body);
/* Sends the member as application/json (member_json_text: no jansson tree on the way); attributes_text as
 * store_member_get_text gives it (NULL: m->attributes). m->attributes may be filled on the way. */
void http_reply_member(http_request *r, int status, member *m, const char *attributes_text);
void http_reply_problem(http_request *r, int status, const char *slug, const char *detail, const errlist *errs);
/* A problem+json document as a malloc'd string (for answers produced on the writer thread). */
char *http_problem_body(int status, const char *slug, const char *detail, const errlist *errs);
/* Parses the JSON body; on failure replies with the problem and returns NULL. */
json_t *http_body_json(http_request *r);
/* http_body_json, then e initialised with an error for each field of the body not in fields (NULL-terminated). */
json_t *http_body_fields(http_request *r, const char *const *fields, errlist *e);
/* The decoded value of query parameter name: true when present and usable; false when absent, or when it
 * does not decode to text that fits (then an error naming it is added to e). */
bool http_query(http_request *r, const char *name, char *out, size_t cap, errlist *e);
/* Checks the query has only the parameters in allowed (NULL-terminated); else replies 400 and returns false. */
bool http_query_only(http_request *r, const char *const *allowed);
/* A text field of a catalogue record (rewards, tiers): where it goes and what it may hold. */
typedef struct http_text_field {
    const char *name;
    size_t offset, cap; /* of a char array in the record */
    bool required;      /* else null or "" clears it */
    bool one_line;      /* names: Persian-normalised, white space collapsed */
} http_text_field;

/* Checks v against f and copies it into out (the field's array); errors name the field. */
void http_apply_text(const http_text_field *f, json_t *v, char *out, errlist *e);
/* Reads limit and cursor query parameters; replies 400 and returns false when they are bad. */
bool http_page_params(http_request *r, int *limit, int64_t *after_id);
/* An opaque cursor for "after this id". */
void http_cursor_encode(int64_t id, char out[32]);
/* A page read with limit + 1 rows: drops the extra one and returns the cursor to the next page (a JSON string),
 * or JSON null when there is none. Items are objects with an "id". */
json_t *http_page_next(json_t *items, int limit);
/* Reads up to `want` (limit + 1) items after after_id into items; a STORE_ status. */
typedef int (*http_page_fill)(store_reader *rd, int64_t after_id, int want, json_t *items, void *arg);
/* Replies {"items", "next_cursor"} with a page that fill reads, or 500 saying that `what` could not be read. */
void http_reply_page(http_request *r, int64_t after_id, int limit, http_page_fill fill, void *arg, const char *what);
/* A list that takes only ?limit and ?cursor: checks them (400 when bad), then http_reply_page. */
void http_reply_list(http_request *r, http_page_fill fill, void *arg, const char *what);
const char *http_header(http_request *r, const h2o_token_t *token, size_t *len);

/* ---- authentication (auth.c) ---- */
/* Fills r->who from the bearer key or the session cookie. Returns 0, or replies 401 and returns -1. */
int http_authenticate(http_request *r);
/* For cookie sessions: a write must carry the session's CSRF token. Replies 403 and returns -1 when not. */
int http_check_csrf(http_request *r);
/* The audit actor for the request's principal. */
store_actor http_actor(const http_principal *who);

/* ---- work that finishes on another thread (pending.c) ----
 * A request waiting for another thread may lose its client meanwhile; h2o then frees the request. A pending
 * record learns of that through a slot in the request's pool, so the answer is dropped instead of sent. */
typedef struct http_pending {
    http_request *r;             /* NULL once the client has gone */
    struct http_pending **slot;  /* in the request's pool */
} http_pending;

void http_pending_attach(http_pending *p, http_request *r);
/* On the loop thread when the work is done: the request if it is still there (and counts the wait as over). */
http_request *http_pending_finish(http_pending *p, http_thread *t);
/* Undoes an attach whose work was never queued. */
void http_pending_cancel(http_pending *p, http_thread *t);

/* Runs work(arg) on the worker pool (slow CPU work such as argon2id), then then(r, arg) on the request's loop
 * when the client is still there; then() takes over arg. arg_free(arg) runs instead when the client has gone or
 * the pool is full (then this replies 503 itself). */
void http_offload(http_request *r, void (*work)(void *arg), void (*then)(http_request *r, void *arg), void *arg,
                  void (*arg_free)(void *arg));
void http_offload_thread_init(http_thread *t);

/* ---- writes through the writer (write.c) ---- */
typedef struct http_write http_write;
/* Runs on the writer thread inside the job's savepoint: does the work and sets the answer with
 * http_write_answer_*. Returns STORE_OK to keep what it wrote, anything else to roll it back. */
typedef int (*http_write_fn)(store_tx *tx, http_write *w);

struct http_write {
    store_job job;
    h2o_multithread_message_t msg;
    http_thread *thread;
    http_pending pending;
    http_write_fn fn;
    void *arg;
    void (*arg_free)(void *arg);
    http_principal who;
    int64_t now_ms;
    bool has_key; /* an Idempotency-Key came with the request */
    char key[STORE_IDEM_KEY_MAX + 1];
    uint8_t request_hash[32];
    /* the answer */
    int status;
    char *body;
    char *location;
    const char *content_type;
    char *set_cookie; /* a Set-Cookie header for the answer, or NULL */
    int retry_after;  /* seconds for a Retry-After header, or 0 */
    bool replayed;
};

/* Queues fn for the writer; the answer is sent after the commit. Replies 503 itself when the queue is full. */
/* Registers the thread's receiver of finished writes. */
void http_write_thread_init(http_thread *t);
void http_write_submit(http_request *r, http_write_fn fn, void *arg, void (*arg_free)(void *arg));
void http_write_answer_json(http_write *w, int status, json_t *body, const char *location);
/* The same with the body already as JSON text (malloc'd; the write takes it over). */
void http_write_answer_text(http_write *w, int status, char *text, const char *location);
void http_write_answer_problem(http_write *w, int status, const char *slug, const char *detail, const errlist *errs);
/* The end of a delete on the writer: audits action on (type, id) with before as the record removed (NULL to keep
 * no personal data), then answers 204. Takes over before; returns the audit's status. */
int http_write_deleted(store_tx *tx, http_write *w, const char *action, const char *type, int64_t id, json_t *before);
/* On the writer: answers 404 "there is no <what> with this id" when status is STORE_NOTFOUND; returns status. */
int http_write_found(http_write *w, int status, const char *what);
/* The end of a create on the writer: audits action on (type, id) with record as its after-image, then answers 201
 * with record and the Location "<collection>/<id>". Takes over record; returns the audit's status. */
int http_write_created(store_tx *tx, http_write *w, const char *action, const char *type, int64_t id,
                       const char *collection, json_t *record);
/* The end of an update on the writer: audits action on (type, id) from before to record, then answers 200 with
 * record. Takes over before and record; returns the audit's status. */
int http_write_updated(store_tx *tx, http_write *w, const char *action, const char *type, int64_t id, json_t *before,
                       json_t *record);
/* The member rules for the time of the request. */
member_rules http_member_rules(int64_t now_ms);

/* ---- metrics and access log (metrics.c) ---- */
void http_metrics_init(int threads, const char *access_log);
void http_metrics_record(http_request *r, int status);
void http_metrics_render(http_request *r);
/* A monotonic clock for request durations. */
uint64_t http_metrics_now_ns(void);

/* ---- handlers ---- */
void http_healthz(http_request *r);
void http_metrics(http_request *r);
void http_login(http_request *r);
void http_logout(http_request *r);
void http_me(http_request *r);
void http_member_create(http_request *r);
void http_member_get(http_request *r);
void http_member_update(http_request *r);
void http_member_erase(http_request *r);
void http_member_list(http_request *r);
void http_member_personal_export(http_request *r);
void http_member_import(http_request *r);
void http_member_export(http_request *r);
void http_user_list(http_request *r);
void http_user_create(http_request *r);
void http_user_update(http_request *r);
void http_apikey_list(http_request *r);
void http_apikey_create(http_request *r);
void http_apikey_revoke(http_request *r);
void http_audit_list(http_request *r);
/* the points engine: points.c, transactions.c */
void http_programme_get(http_request *r);
void http_programme_update(http_request *r);
void http_transaction_create(http_request *r);
void http_transaction_get(http_request *r);
void http_event_create(http_request *r);
void http_member_ledger(http_request *r);
void http_member_tier(http_request *r);
void http_member_adjust(http_request *r);
void http_transfer_create(http_request *r);
/* rules.c */
void http_rule_list(http_request *r);
void http_rule_create(http_request *r);
void http_rule_get(http_request *r);
void http_rule_update(http_request *r);
void http_rule_delete(http_request *r);
/* tiers.c */
void http_tier_list(http_request *r);
void http_tier_create(http_request *r);
void http_tier_get(http_request *r);
void http_tier_update(http_request *r);
/* rewards.c */
void http_reward_list(http_request *r);
void http_reward_create(http_request *r);
void http_reward_get(http_request *r);
void http_reward_update(http_request *r);
void http_redemption_create(http_request *r);
void http_redemption_get(http_request *r);
void http_redemption_update(http_request *r);
void http_member_redemptions(http_request *r);
/* segments.c, segment_csv.c */
void http_segment_list(http_request *r);
void http_segment_create(http_request *r);
void http_segment_count(http_request *r);
void http_segment_get(http_request *r);
void http_segment_update(http_request *r);
void http_segment_delete(http_request *r);
void http_segment_members(http_request *r);
void http_segment_upload(http_request *r);
void http_segment_export(http_request *r);
/* reports.c */
void http_report_summary(http_request *r);
void http_report_classes(http_request *r);
void http_report_members(http_request *r);
void http_report_points(http_request *r);
void http_report_sales(http_request *r);
/* the member portal (portal.c); the portal handlers sign the member in themselves */
void http_portal_code(http_request *r);
void http_portal_session_create(http_request *r);
void http_portal_session_delete(http_request *r);
void http_portal_me(http_request *r);
void http_portal_me_update(http_request *r);
void http_portal_tier(http_request *r);
void http_portal_ledger(http_request *r);
void http_portal_rewards(http_request *r);
void http_portal_redeem(http_request *r);
void http_portal_redemptions(http_request *r);
void http_portal_export(http_request *r);
void http_member_portal_code(http_request *r);
/* messages (broadcasts.c) */
void http_broadcast_create(http_request *r);
void http_broadcast_get(http_request *r);
void http_broadcast_preview(http_request *r);
/* The portal's sign-in check for portal routes kept elsewhere (portal.c): signs the member in from the cookie, sets
 * r->who and r->id to the member (keep the path's id first), checks CSRF on writes; false after replying. */
bool http_portal_enter(http_request *r);
/* the member's portal inbox (messages.c) */
void http_portal_inbox(http_request *r);
void http_portal_inbox_read(http_request *r);
/* one-click unsubscribe (messages.c) */
void http_unsubscribe_page(http_request *r);
void http_unsubscribe_post(http_request *r);

/* contacts.c */
void http_contact_list(http_request *r);
void http_contact_create(http_request *r);
void http_contact_get(http_request *r);
void http_contact_update(http_request *r);
void http_contact_delete(http_request *r);
void http_contact_import(http_request *r); /* contact_csv.c */
bool http_contact_kind_ok(const char *kind);
/* Applies a create body or a merge patch to c (the personal fields through member_apply_json). */
void http_contact_apply_json(store_contact *c, json_t *body, const member_rules *rules, bool creating, errlist *e);
json_t *http_contact_json(const store_contact *c);
/* surveys.c, survey_results.c; the public answer page /s/{token} signs nobody in: the token is the key */
void http_survey_list(http_request *r);
void http_survey_create(http_request *r);
void http_survey_get(http_request *r);
void http_survey_update(http_request *r);
void http_survey_delete(http_request *r);
void http_survey_invite(http_request *r);
void http_survey_plan(http_request *r);
void http_survey_results(http_request *r);
void http_survey_export(http_request *r);
void http_survey_public_get(http_request *r);
void http_survey_public_answer(http_request *r);
/* moments.c: yearly moments and their outcomes */
void http_moment_list(http_request *r);
void http_moment_create(http_request *r);
void http_moment_get(http_request *r);
void http_moment_update(http_request *r);
void http_moment_delete(http_request *r);
void http_moment_grants(http_request *r);
json_t *http_moment_json(const store_moment *m);
/* campaign pilots, evaluation, decisions and roll-out (pilots.c) */
void http_campaign_pilot(http_request *r);
void http_campaign_pilot_get(http_request *r);
void http_campaign_pilot_preview(http_request *r);
void http_campaign_evaluation(http_request *r);
void http_campaign_decision(http_request *r);
void http_campaign_rollout(http_request *r);

/* ---- the web app's files (static.c) ---- */
/* Registers the file handler for dir after the API's handler on path (a no-op when dir is NULL or empty). */
void http_static_register(h2o_pathconf_t *path, const char *dir);
/* For a request no route took: true when the web app answers it (then the API handler returns -1 to pass it on
 * to the file handler, or has already answered with index.html for an app route). */
bool http_static_take(http_request *r, bool *answered);
/* Whether the Accept headers rank HTML (text/html or XHTML) above JSON (application/json, problem+json or a
 * wildcard that covers them): a browser's navigation does, an API client (or no Accept at all) does not. */
bool http_prefers_html(h2o_req_t *req);
/* Answers with the app's index.html for a page the API answers too (GET /s/{token}); false when no app is served
 * (the caller answers JSON then). */
bool http_static_send_index(http_request *r);
/* classes.c: class history, the recompute, and the programme's "classes" settings */
void http_member_class_history(http_request *r);
void http_classes_recompute(http_request *r);
/* Adds the "classes" settings to a programme JSON object (GET). */
int http_classes_settings_add(store_reader *rd, json_t *programme);
/* Checks the "classes" object of a PATCH body field by field on a copy of the defaults (before queueing). */
void http_classes_settings_probe(json_t *body, errlist *e);
/* In the programme write: reads the settings into s and adds them to programme (the audit's before/after). */
int http_classes_settings_get(store_tx *tx, class_settings *s, json_t *programme);
/* Applies the "classes" object of body onto s and checks the result as a whole; errors name the field. */
void http_classes_settings_apply(class_settings *s, json_t *body, errlist *e);

/* ---- the club's money and plan: budget.c, budget_costs.c, budget_report.c, plans.c, competitors.c ---- */
void http_budget_line_list(http_request *r);
void http_budget_line_create(http_request *r);
void http_budget_line_get(http_request *r);
void http_budget_line_update(http_request *r);
void http_budget_line_delete(http_request *r);
void http_budget_cost_list(http_request *r);
void http_budget_cost_create(http_request *r);
void http_budget_report(http_request *r);
void http_plan_list(http_request *r);
void http_plan_create(http_request *r);
void http_plan_get(http_request *r);
void http_plan_update(http_request *r);
void http_plan_delete(http_request *r);
void http_plan_goal_create(http_request *r);
void http_plan_goal_update(http_request *r);
void http_plan_goal_delete(http_request *r);
void http_competitor_list(http_request *r);
void http_competitor_create(http_request *r);
void http_competitor_update(http_request *r);
void http_competitor_delete(http_request *r);
/* campaigns (campaigns.c) */
void http_campaign_list(http_request *r);
void http_campaign_create(http_request *r);
void http_campaign_get(http_request *r);
void http_campaign_update(http_request *r);
void http_campaign_state(http_request *r);
void http_campaign_changes(http_request *r);
/* webhooks.c */
void http_webhook_list(http_request *r);
void http_webhook_create(http_request *r);
void http_webhook_events(http_request *r);
void http_webhook_get(http_request *r);
void http_webhook_update(http_request *r);
void http_webhook_delete(http_request *r);
void http_webhook_deliveries(http_request *r);
void http_webhook_delivery_get(http_request *r);
void http_webhook_replay(http_request *r);
void http_webhook_rotate_secret(http_request *r);

/* templates.c, and what it shares with broadcasts.c */
void http_template_list(http_request *r);
void http_template_create(http_request *r);
void http_template_get(http_request *r);
void http_template_update(http_request *r);
void http_template_delete(http_request *r);
void http_template_preview(http_request *r);
/* Checks body[field], texts per locale ({"en", "fa"}) of at most max bytes that are valid templates; errors name
 * field.locale. */
void http_localized_check(const json_t *body, const char *field, bool required, size_t max, errlist *e);
/* content's texts ({subject, body, html} per locale) rendered for person p (a member when member_id is not 0, whose
 * points and tier are read on rd) at time at: {locale, subject, body, html}. New reference. */
json_t *http_messages_render(store_reader *rd, const json_t *content, const member *p, int64_t member_id, int64_t at);

#endif
