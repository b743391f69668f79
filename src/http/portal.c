/* /api/v1/portal: the member's own club. A member signs in with a one-time code (app/portal.c) sent to their phone
 * or email, and gets a session cookie (bashgah_portal, HttpOnly, SameSite=Strict, only sent to /api/v1/portal) with
 * a CSRF token that every write must carry, as staff sessions do.
 *
 * The portal routes are public in the route table: staff credentials give no access to them. Each handler signs
 * the member in itself (portal_enter) and then serves the member's own record only, through the same code the staff
 * routes use (ledger, tier, redemptions, the personal-data export, updates), with the member as the {id}. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/portal.h"
#include "app/tiers.h"
#include "base/log.h"
#include "base/secret.h"
#include "core/text.h"
#include "core/timefmt.h"
#include "http/http.h"

#define PORTAL_COOKIE "bashgah_portal"
#define PORTAL_COOKIE_PATH "/api/v1/portal"

/* What a member may change of their own record. */
static const char *const profile_fields[] = {"given_name", "family_name", "email", "birthday", "time_zone",
                                             "locale",     "consent",     NULL};

/* ---- sign-in ---- */

typedef struct sign_in {
    portal_who who;
    char code[PORTAL_CODE_DIGITS + 1];
    char token[SECRET_TOKEN_LEN];
    char csrf[SECRET_TOKEN_LEN];
} sign_in;

/* Reads {"phone"} or {"email"} (and "code" when want_code) into s; replies 400 and returns false when invalid. */
static bool read_sign_in(http_request *r, json_t *body, bool want_code, sign_in *s)
{
    static const char *const request_fields[] = {"phone", "email", NULL};
    static const char *const verify_fields[] = {"phone", "email", "code", NULL};
    errlist e;
    errlist_init(&e);
    errlist_only_fields(&e, body, want_code ? verify_fields : request_fields);
    json_t *phone = json_object_get(body, "phone"), *email = json_object_get(body, "email");
    const char *why = NULL;
    if ((phone != NULL) == (email != NULL))
        errlist_add(&e, "phone", "give either a phone or an email");
    else if (phone && (!json_is_string(phone) ||
                       phone_normalize(json_string_value(phone), http_config.phone_region, s->who.phone,
                                       sizeof(s->who.phone), &why) != 0))
        errlist_add(&e, "phone", "%s", why ? why : "must be a string");
    else if (email && (!json_is_string(email) || email_normalize(json_string_value(email), json_string_length(email),
                                                                 s->who.email, sizeof(s->who.email), &why) != 0))
        errlist_add(&e, "email", "%s", why ? why : "must be a string");
    if (want_code) {
        json_t *code = json_object_get(body, "code");
        char digits[32];
        if (!json_is_string(code) || json_string_length(code) > 4 * PORTAL_CODE_DIGITS ||
            text_digits_to_ascii(json_string_value(code), json_string_length(code), digits, sizeof(digits)) < 0 ||
            strlen(digits) != PORTAL_CODE_DIGITS || strspn(digits, "0123456789") != PORTAL_CODE_DIGITS)
            errlist_add(&e, "code", "must be the %d digits that were sent", PORTAL_CODE_DIGITS);
        else
            memcpy(s->code, digits, sizeof(s->code));
    }
    if (e.count == 0)
        return true;
    http_reply_problem(r, 400, "validation", "some fields are not valid", &e);
    return false;
}

static int code_request_write(store_tx *tx, http_write *w)
{
    sign_in *s = w->arg;
    portal_result res;
    int status = portal_code_request(tx, &s->who, w->now_ms, &res);
    if (status != STORE_OK)
        return status;
    if (res.outcome == PORTAL_TOO_MANY) {
        w->retry_after = (int)(PORTAL_CODE_WINDOW_MS / 1000);
        http_write_answer_problem(w, 429, "too-many-codes", "too many codes were asked for: try again later", NULL);
        return STORE_OK;
    }
    if (res.outcome == PORTAL_SENT && http_config.demo)
        log_msg(LOG_INFO, "portal_code", "member=%lld code=%s note=\"shown because of --demo\"",
                (long long)res.member_id, res.code);
    /* The same answer whether or not someone has this phone or email: the portal does not tell who is a member. */
    http_write_answer_json(w, 202,
                           json_pack("{s:s, s:I}", "channel", s->who.phone[0] ? "sms" : "email", "expires_in",
                                     (json_int_t)(PORTAL_CODE_TTL_MS / 1000)),
                           NULL);
    return STORE_OK;
}

void http_portal_code(http_request *r)
{
    json_t *body = http_body_json(r);
    if (!body)
        return;
    sign_in *s = calloc(1, sizeof(*s));
    bool ok = read_sign_in(r, body, false, s);
    json_decref(body);
    if (!ok) {
        free(s);
        return;
    }
    http_write_submit(r, code_request_write, s, free);
}

static int session_write(store_tx *tx, http_write *w)
{
    sign_in *s = w->arg;
    store_portal_session session = {0};
    secret_hash(s->token, strlen(s->token), session.token_hash);
    snprintf(session.csrf_token, sizeof(session.csrf_token), "%s", s->csrf);
    portal_result res;
    int status = portal_code_verify(tx, &s->who, s->code, w->now_ms, &session, &res);
    if (status != STORE_OK)
        return status;
    if (res.outcome == PORTAL_WRONG) {
        errlist e;
        errlist_init(&e);
        errlist_add(&e, "code", "is not the code that was sent (%d tries left)", res.tries_left);
        http_write_answer_problem(w, 401, "wrong-code", "the code is not right", &e);
        return STORE_OK; /* keep the try on record */
    }
    if (res.outcome != PORTAL_SIGNED_IN) {
        http_write_answer_problem(w, 401, "no-code", "there is no live code for this phone or email: ask for one",
                                  NULL);
        return STORE_OK;
    }
    char cookie[256];
    snprintf(cookie, sizeof(cookie), "%s=%s; Path=%s; Max-Age=%lld; HttpOnly; SameSite=Strict%s", PORTAL_COOKIE,
             s->token, PORTAL_COOKIE_PATH, PORTAL_SESSION_TTL_MS / 1000, http_config.secure_cookies ? "; Secure" : "");
    w->set_cookie = strdup(cookie);
    http_write_answer_json(w, 200, json_pack("{s:I, s:s}", "member_id", (json_int_t)res.member_id, "csrf_token", s->csrf),
                           NULL);
    return STORE_OK;
}

void http_portal_session_create(http_request *r)
{
    json_t *body = http_body_json(r);
    if (!body)
        return;
    sign_in *s = calloc(1, sizeof(*s));
    bool ok = read_sign_in(r, body, true, s);
    json_decref(body);
    if (!ok) {
        free(s);
        return;
    }
    secret_token(s->token);
    secret_token(s->csrf);
    http_write_submit(r, session_write, s, free);
}

/* ---- the signed-in member ---- */

/* Finds name=value in a Cookie header. */
static bool cookie_value(const char *h, size_t len, const char *name, const char **val, size_t *vlen)
{
    size_t nlen = strlen(name);
    const char *p = h, *end = h + len;
    while (p < end) {
        while (p < end && (*p == ' ' || *p == ';'))
            p++;
        const char *semi = memchr(p, ';', end - p);
        const char *stop = semi ? semi : end;
        if ((size_t)(stop - p) > nlen && memcmp(p, name, nlen) == 0 && p[nlen] == '=') {
            *val = p + nlen + 1;
            *vlen = stop - *val;
            return true;
        }
        p = stop;
    }
    return false;
}

static bool session_from_cookies(http_request *r, store_portal_session *s)
{
    const char *val;
    size_t vlen;
    ssize_t cursor = -1;
    while ((cursor = h2o_find_header(&r->req->headers, H2O_TOKEN_COOKIE, cursor)) >= 0) {
        h2o_iovec_t c = r->req->headers.entries[cursor].value;
        if (!cookie_value(c.base, c.len, PORTAL_COOKIE, &val, &vlen))
            continue;
        secret_hash(val, vlen, r->who.session_hash);
        if (store_portal_session_get(r->thread->reader, r->who.session_hash, r->now_ms, s) == STORE_OK)
            return true;
    }
    return false;
}

/* Signs the member in from the cookie and points r->id at their record; writes must carry the CSRF token.
 * Replies 401 or 403 and returns false when the request may not go on. */
static bool portal_enter(http_request *r)
{
    store_portal_session s;
    if (!session_from_cookies(r, &s)) {
        http_reply_problem(r, 401, "unauthenticated", "sign in to the portal with a code first", NULL);
        return false;
    }
    r->who.kind = "member";
    r->who.id = s.member_id;
    r->who.role = ROLE_NONE;
    r->who.via_cookie = true;
    snprintf(r->who.name, sizeof(r->who.name), "member:%lld", (long long)s.member_id);
    snprintf(r->who.key, sizeof(r->who.key), "member:%lld", (long long)s.member_id);
    snprintf(r->who.csrf_token, sizeof(r->who.csrf_token), "%s", s.csrf_token);
    r->id = s.member_id;
    bool write = !h2o_memis(r->req->method.base, r->req->method.len, H2O_STRLIT("GET"));
    return !write || http_check_csrf(r) == 0;
}

bool http_portal_enter(http_request *r) { return portal_enter(r); }

/* Replaces the request body with doc (stolen), for the staff handler that does the work. */
static void set_body(http_request *r, json_t *doc)
{
    char *text = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    r->req->entity = h2o_strdup(&r->req->pool, text ? text : "{}", SIZE_MAX);
    free(text);
}

static int session_delete_write(store_tx *tx, http_write *w)
{
    if (store_tx_portal_session_delete(tx, w->who.session_hash) != STORE_OK)
        return STORE_ERROR;
    w->status = 204;
    w->set_cookie = strdup(PORTAL_COOKIE "=; Path=" PORTAL_COOKIE_PATH "; Max-Age=0; HttpOnly; SameSite=Strict");
    return STORE_OK;
}

void http_portal_session_delete(http_request *r)
{
    if (portal_enter(r))
        http_write_submit(r, session_delete_write, NULL, NULL);
}

void http_portal_me(http_request *r)
{
    if (!portal_enter(r))
        return;
    member m;
    if (store_member_get(r->thread->reader, r->id, &m) != STORE_OK) {
        http_reply_problem(r, 404, "not-found", "your record could not be read", NULL);
        return;
    }
    json_t *doc = member_to_json(&m);
    member_release(&m);
    json_object_set_new(doc, "tier_progress", tiers_member_json(r->thread->reader, r->id, r->now_ms));
    http_reply_json(r, 200, doc);
}

void http_portal_me_update(http_request *r)
{
    if (!portal_enter(r))
        return;
    errlist e;
    json_t *body = http_body_fields(r, profile_fields, &e);
    if (!body)
        return;
    if (e.count) {
        json_decref(body);
        http_reply_problem(r, 400, "validation", "these fields cannot be changed here", &e);
        return;
    }
    set_body(r, body);
    http_member_update(r);
}

void http_portal_ledger(http_request *r)
{
    if (portal_enter(r))
        http_member_ledger(r);
}

void http_portal_tier(http_request *r)
{
    if (portal_enter(r))
        http_member_tier(r);
}

void http_portal_redemptions(http_request *r)
{
    if (portal_enter(r))
        http_member_redemptions(r);
}

void http_portal_export(http_request *r)
{
    if (portal_enter(r))
        http_member_personal_export(r);
}

void http_portal_redeem(http_request *r)
{
    static const char *const fields[] = {"reward_id", "idempotency_key", NULL};
    if (!portal_enter(r))
        return;
    errlist e;
    json_t *body = http_body_fields(r, fields, &e);
    if (!body)
        return;
    if (e.count) {
        json_decref(body);
        http_reply_problem(r, 400, "validation", "some fields are not valid", &e);
        return;
    }
    json_object_set_new(body, "member_id", json_integer(r->id));
    set_body(r, body);
    http_redemption_create(r);
}

/* A reward as members see it: what it is and what it costs, without the club's own cost. */
static void append_reward(const store_reward *w, void *items)
{
    json_array_append_new(items, json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:I, s:o}", "id", (json_int_t)w->id,
                                           "name_en", w->name_en, "name_fa", w->name_fa, "description_en",
                                           w->description_en, "description_fa", w->description_fa, "kind", w->kind,
                                           "cost_points", (json_int_t)w->cost_points, "in_stock",
                                           json_boolean(!w->has_stock || w->stock > 0)));
}

void http_portal_rewards(http_request *r)
{
    static const char *const allowed[] = {"limit", "cursor", NULL};
    if (!portal_enter(r))
        return;
    store_reward_filter f = {.active = 1};
    if (!http_query_only(r, allowed) || !http_page_params(r, &f.limit, &f.after_id))
        return;
    int want = f.limit, count;
    f.limit = want + 1;
    json_t *items = json_array();
    if (store_reward_list(r->thread->reader, &f, append_reward, items, &count) != STORE_OK) {
        json_decref(items);
        http_reply_problem(r, 500, "internal", "the rewards could not be read", NULL);
        return;
    }
    json_t *next = http_page_next(items, want);
    http_reply_json(r, 200, json_pack("{s:o, s:o}", "items", items, "next_cursor", next));
}

/* ---- staff: the code waiting for delivery, told at the till until messages are delivered ---- */

void http_member_portal_code(http_request *r)
{
    json_t *data;
    int64_t not_after;
    int status = store_message_pending(r->thread->reader, PORTAL_CODE_MESSAGE, r->id, r->now_ms, &data, &not_after);
    if (status == STORE_NOTFOUND) {
        http_reply_problem(r, 404, "not-found", "this member has no sign-in code waiting", NULL);
        return;
    }
    if (status != STORE_OK) {
        http_reply_problem(r, 500, "internal", "the code could not be read", NULL);
        return;
    }
    char at[TIMEFMT_LEN];
    timefmt_rfc3339(not_after, at);
    json_t *code = json_object_get(data, "code");
    http_reply_json(r, 200, json_pack("{s:O, s:s}", "code", code ? code : json_null(), "expires_at", at));
    json_decref(data);
}
