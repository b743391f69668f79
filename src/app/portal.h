/* The member portal's sign-in: a one-time code asked for by phone or email, then checked for a session.
 * Both run on the writer, so the limits (codes per hour, wrong tries per code) hold under concurrent requests. */
#ifndef BASHGAH_APP_PORTAL_H
#define BASHGAH_APP_PORTAL_H

#include <stdint.h>

#include "core/email.h"
#include "core/phone.h"
#include "store/store.h"

#define PORTAL_CODE_DIGITS 6
#define PORTAL_CODE_TTL_MS (10LL * 60 * 1000)
#define PORTAL_CODE_ATTEMPTS_MAX 5         /* wrong tries before a code dies */
#define PORTAL_CODES_PER_WINDOW 5          /* codes a member may be sent per window */
#define PORTAL_CODE_WINDOW_MS (60LL * 60 * 1000)
#define PORTAL_CODE_REPEAT_MS (60LL * 1000) /* a repeat inside this keeps the code already sent */
#define PORTAL_SESSION_TTL_MS (7LL * 24 * 3600 * 1000)
#define PORTAL_CODE_MESSAGE "portal_code" /* the outbox kind */

/* Who signs in: exactly one of phone (E.164) and email (normalised) is set. */
typedef struct portal_who {
    char phone[PHONE_E164_SIZE];
    char email[EMAIL_SIZE];
} portal_who;

typedef enum portal_outcome {
    PORTAL_SENT,      /* a new code is in the outbox */
    PORTAL_REPEATED,  /* a code sent moments ago is still live: nothing new */
    PORTAL_NO_MEMBER, /* no member (or an erased one) has this phone or email */
    PORTAL_TOO_MANY,  /* the member had PORTAL_CODES_PER_WINDOW codes in the window */
    PORTAL_SIGNED_IN, /* the code was right */
    PORTAL_WRONG,     /* the code was wrong (one try used) */
    PORTAL_NO_CODE    /* no live code: ask for a new one */
} portal_outcome;

typedef struct portal_result {
    portal_outcome outcome;
    int64_t member_id;
    int64_t expires_at;                /* of the code */
    char code[PORTAL_CODE_DIGITS + 1]; /* the new code (PORTAL_SENT), for the demo log */
    int tries_left;                    /* PORTAL_WRONG */
} portal_result;

/* Gives the member a new code: hashed into portal_codes and, in the same savepoint, a message in the outbox for
 * the channel they asked by. Earlier pending code messages are voided. */
int portal_code_request(store_tx *tx, const portal_who *who, int64_t now, portal_result *out);
/* Checks code against the member's live code; on success the code is spent and s (token_hash and csrf_token
 * filled by the caller) is stored as the member's session. */
int portal_code_verify(store_tx *tx, const portal_who *who, const char *code, int64_t now, store_portal_session *s,
                       portal_result *out);

#endif
