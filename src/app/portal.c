/* The member portal's sign-in codes: six random digits, kept only as a BLAKE2b hash keyed by a random salt, alive for
 * ten minutes and five wrong tries, at most five per member an hour. The code reaches the member through the message
 * outbox (delivered by the messaging jobs); a repeat of the request within a minute sends nothing new, so a double
 * click or a retried request does not spend the hourly allowance. */
#include "app/portal.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "core/timefmt.h"

static void code_hash(const uint8_t salt[STORE_PORTAL_SALT_LEN], const char *code, uint8_t out[32])
{
    crypto_generichash(out, 32, (const unsigned char *)code, strlen(code), salt, STORE_PORTAL_SALT_LEN);
}

static void make_code(char out[PORTAL_CODE_DIGITS + 1])
{
    for (int i = 0; i < PORTAL_CODE_DIGITS; i++)
        out[i] = (char)('0' + randombytes_uniform(10));
    out[PORTAL_CODE_DIGITS] = '\0';
}

/* The member with this phone or email, not erased; STORE_NOTFOUND otherwise. */
static int find_member(store_tx *tx, const portal_who *who, member *out)
{
    member probe;
    memset(&probe, 0, sizeof(probe));
    snprintf(probe.phone, sizeof(probe.phone), "%s", who->phone);
    snprintf(probe.email, sizeof(probe.email), "%s", who->email);
    int status = store_tx_member_match(tx, &probe, out);
    if (status == STORE_OK && out->erased_at) {
        member_release(out);
        return STORE_NOTFOUND;
    }
    return status;
}

/* Stores a new code for m and its message. */
static int code_send(store_tx *tx, const member *m, const portal_who *who, int64_t now, portal_result *out)
{
    store_portal_code c = {.member_id = m->id, .created_at = now, .expires_at = now + PORTAL_CODE_TTL_MS};
    snprintf(c.channel, sizeof(c.channel), "%s", who->phone[0] ? "sms" : "email");
    randombytes_buf(c.salt, sizeof(c.salt));
    make_code(out->code);
    code_hash(c.salt, out->code, c.code_hash);
    int status = store_tx_message_void(tx, PORTAL_CODE_MESSAGE, m->id, now);
    if (status == STORE_OK)
        status = store_tx_portal_code_insert(tx, &c);
    if (status != STORE_OK)
        return status;
    char expires[TIMEFMT_LEN];
    timefmt_rfc3339(c.expires_at, expires);
    json_t *data = json_pack("{s:s, s:s}", "code", out->code, "expires_at", expires);
    /* A transactional message (never capped, sent in quiet hours); the code stays in ASCII digits in both
     * languages so phones can offer to fill it in. */
    bool fa = strcmp(m->locale, "fa") == 0;
    char text[160];
    snprintf(text, sizeof(text),
             fa ? "کد ورود شما به باشگاه مشتریان: %s\nاین کد تا ۱۰ دقیقه معتبر است."
                : "Your customer club sign-in code: %s\nIt is valid for 10 minutes.",
             out->code);
    store_outbox_msg msg = {.kind = PORTAL_CODE_MESSAGE, .channel = c.channel, .member_id = m->id,
                            .destination = who->phone[0] ? who->phone : who->email, .locale = m->locale,
                            .subject = fa ? "کد ورود شما" : "Your sign-in code", .body_text = text, .data = data,
                            .ref_id = c.id, .transactional = true, .now = now, .not_after = c.expires_at};
    status = store_outbox_enqueue(tx, &msg, NULL);
    json_decref(data);
    out->outcome = PORTAL_SENT;
    out->expires_at = c.expires_at;
    return status;
}

int portal_code_request(store_tx *tx, const portal_who *who, int64_t now, portal_result *out)
{
    memset(out, 0, sizeof(*out));
    member m;
    int status = find_member(tx, who, &m);
    if (status == STORE_NOTFOUND) {
        out->outcome = PORTAL_NO_MEMBER;
        return STORE_OK;
    }
    if (status != STORE_OK)
        return status;
    out->member_id = m.id;
    store_portal_code live;
    status = store_tx_portal_code_live(tx, m.id, now, PORTAL_CODE_ATTEMPTS_MAX, &live);
    if (status == STORE_OK && now - live.created_at < PORTAL_CODE_REPEAT_MS && live.attempts == 0) {
        out->outcome = PORTAL_REPEATED;
        out->expires_at = live.expires_at;
    } else if (status == STORE_OK || status == STORE_NOTFOUND) {
        int recent = 0;
        status = store_tx_portal_codes_since(tx, m.id, now - PORTAL_CODE_WINDOW_MS, &recent);
        if (status == STORE_OK && recent >= PORTAL_CODES_PER_WINDOW)
            out->outcome = PORTAL_TOO_MANY;
        else if (status == STORE_OK)
            status = code_send(tx, &m, who, now, out);
    }
    member_release(&m);
    return status;
}

int portal_code_verify(store_tx *tx, const portal_who *who, const char *code, int64_t now, store_portal_session *s,
                       portal_result *out)
{
    memset(out, 0, sizeof(*out));
    member m;
    int status = find_member(tx, who, &m);
    if (status == STORE_NOTFOUND) {
        out->outcome = PORTAL_NO_CODE; /* said as for a member without a code: no hint who is a member */
        return STORE_OK;
    }
    if (status != STORE_OK)
        return status;
    out->member_id = m.id;
    member_release(&m);
    store_portal_code live;
    status = store_tx_portal_code_live(tx, out->member_id, now, PORTAL_CODE_ATTEMPTS_MAX, &live);
    if (status == STORE_NOTFOUND) {
        out->outcome = PORTAL_NO_CODE;
        return STORE_OK;
    }
    if (status != STORE_OK)
        return status;
    uint8_t hash[32];
    code_hash(live.salt, code, hash);
    if (sodium_memcmp(hash, live.code_hash, 32) != 0) {
        out->outcome = PORTAL_WRONG;
        out->tries_left = PORTAL_CODE_ATTEMPTS_MAX - live.attempts - 1;
        return store_tx_portal_code_tried(tx, live.id);
    }
    out->outcome = PORTAL_SIGNED_IN;
    s->member_id = out->member_id;
    s->created_at = now;
    s->expires_at = now + PORTAL_SESSION_TTL_MS;
    if ((status = store_tx_portal_code_used(tx, live.id, now)) != STORE_OK ||
        (status = store_tx_message_void(tx, PORTAL_CODE_MESSAGE, out->member_id, now)) != STORE_OK)
        return status;
    return store_tx_portal_session_insert(tx, s);
}
