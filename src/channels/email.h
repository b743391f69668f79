/* Email over SMTP through libcurl. One email_channel per delivery thread keeps one CURL handle, so its SMTP
 * connection is reused from message to message (curl sends QUIT only when the handle is freed). smtp:// upgrades
 * with STARTTLS when the server offers it (required with smtp_require_tls), smtps:// is TLS from the start. */
#ifndef BASHGAH_CHANNELS_EMAIL_H
#define BASHGAH_CHANNELS_EMAIL_H

#include <stdbool.h>
#include <stdint.h>

#include "channels/channel.h"

typedef struct email_settings {
    const char *smtp_url;      /* smtp://host:port or smtps://host:port; NULL or "": email is not configured */
    const char *user, *password; /* NULL or "": no authentication */
    const char *from;          /* the From address */
    const char *from_name;     /* shown with it, or NULL */
    bool require_tls;          /* refuse to send over smtp:// without STARTTLS */
    bool insecure_tls;         /* tests only: do not verify the server's certificate */
    int64_t timeout_ms;        /* the whole exchange of one message */
} email_settings;

typedef struct email_message {
    const char *to;
    const char *subject;
    const char *text;
    const char *html;            /* NULL or "": text only */
    const char *message_id;      /* the Message-ID's local part, unique per message */
    const char *unsubscribe_url; /* NULL: not a marketing message, no List-Unsubscribe */
} email_message;

typedef struct email_channel email_channel;

/* NULL when curl cannot be set up. The settings are borrowed and must outlive the channel. */
email_channel *email_channel_new(const email_settings *cfg);
void email_channel_free(email_channel *c);
/* Sends one message; detail (CHANNEL_DETAIL_MAX bytes) receives the server's answer or the error. */
channel_result email_channel_send(email_channel *c, const email_message *m, char *detail);

#endif
