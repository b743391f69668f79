/* SMS through an HTTP gateway described by settings, so any provider fits: a URL and method, header lines, a body
 * template, and the range of HTTP statuses that means accepted. In the URL and the body, {to} (E.164), {text}
 * and {id} (the outbox id, for the provider's own deduplication) are replaced, escaped for where they stand: the
 * URL and a form body URL-encoded, a JSON body as the inside of a JSON string. One CURL handle per channel keeps
 * the connection alive. Answers: the accepted range -> sent; 429, 5xx, timeouts -> retry; other statuses ->
 * refused. */
#ifndef BASHGAH_CHANNELS_SMS_H
#define BASHGAH_CHANNELS_SMS_H

#include <stdint.h>

#include "channels/channel.h"

typedef struct sms_settings {
    const char *url;           /* NULL or "": SMS is not configured */
    const char *method;        /* GET or POST */
    const char *headers;       /* "Name: value" lines separated by '|', or "" */
    const char *body;          /* the body template ("" with GET) */
    const char *encoding;      /* json | form: how {text} and {to} are escaped in the body */
    long accepted_min, accepted_max; /* HTTP statuses that mean accepted */
    int64_t timeout_ms;
} sms_settings;

typedef struct sms_channel sms_channel;

sms_channel *sms_channel_new(const sms_settings *cfg); /* NULL when curl cannot be set up; cfg is borrowed */
void sms_channel_free(sms_channel *c);
channel_result sms_channel_send(sms_channel *c, const char *to, const char *text, int64_t id, char *detail);

#endif
