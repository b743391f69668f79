/* Email over SMTP through libcurl: one CURL handle per channel (one per delivery thread), reused so the SMTP
 * connection stays open between messages; a message is a MIME body (text, or text and HTML as
 * multipart/alternative) with UTF-8 headers encoded as RFC 2047 words and, for marketing messages, the
 * List-Unsubscribe and List-Unsubscribe-Post headers of RFC 8058 (one-click unsubscribe). */
#include "channels/email.h"

#include <curl/curl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define HEADER_MAX 2048

struct email_channel {
    const email_settings *cfg;
    CURL *curl;
    char error[CURL_ERROR_SIZE];
};

email_channel *email_channel_new(const email_settings *cfg)
{
    email_channel *c = calloc(1, sizeof(*c));
    if (!c)
        abort(); /* out of memory */
    c->cfg = cfg;
    c->curl = curl_easy_init();
    if (!c->curl) {
        free(c);
        return NULL;
    }
    return c;
}

void email_channel_free(email_channel *c)
{
    if (!c)
        return;
    curl_easy_cleanup(c->curl); /* says QUIT on the open connection */
    free(c);
}

static bool ascii_printable(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
            return false;
    return true;
}

/* "Name: value" with value as it is when plain ASCII, else as RFC 2047 base64 words of at most 45 bytes, each cut
 * on a UTF-8 character boundary. Control characters never reach a header line. */
static void header_encoded(char *out, size_t cap, const char *name, const char *value)
{
    size_t len = (size_t)snprintf(out, cap, "%s: ", name);
    if (ascii_printable(value)) {
        snprintf(out + len, cap - len, "%s", value);
        return;
    }
    const unsigned char *p = (const unsigned char *)value;
    size_t rest = strlen(value);
    while (rest > 0 && len + 80 < cap) {
        size_t n = rest < 45 ? rest : 45;
        while (n < rest && (p[n] & 0xc0) == 0x80)
            n--; /* do not split a character */
        char b64[sodium_base64_ENCODED_LEN(45, sodium_base64_VARIANT_ORIGINAL)];
        sodium_bin2base64(b64, sizeof(b64), p, n, sodium_base64_VARIANT_ORIGINAL);
        len += (size_t)snprintf(out + len, cap - len, "%s=?UTF-8?B?%s?=", len > strlen(name) + 2 ? " " : "", b64);
        p += n;
        rest -= n;
    }
}

static void address_header(char *out, size_t cap, const char *name, const char *display, const char *addr)
{
    if (!display || !*display) {
        snprintf(out, cap, "%s: <%s>", name, addr);
        return;
    }
    char shown[512];
    header_encoded(shown, sizeof(shown), "x", display);
    snprintf(out, cap, "%s: %s <%s>", name, shown + 3, addr);
}

static struct curl_slist *headers_for(const email_settings *cfg, const email_message *m)
{
    char line[HEADER_MAX];
    struct curl_slist *h = NULL;
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(line, sizeof(line), "Date: %a, %d %b %Y %H:%M:%S +0000", &tm);
    h = curl_slist_append(h, line);
    address_header(line, sizeof(line), "From", cfg->from_name, cfg->from);
    h = curl_slist_append(h, line);
    address_header(line, sizeof(line), "To", NULL, m->to);
    h = curl_slist_append(h, line);
    header_encoded(line, sizeof(line), "Subject", m->subject ? m->subject : "");
    h = curl_slist_append(h, line);
    const char *at = strchr(cfg->from, '@');
    snprintf(line, sizeof(line), "Message-ID: <%s@%s>", m->message_id, at ? at + 1 : "bashgah.invalid");
    h = curl_slist_append(h, line);
    if (m->unsubscribe_url && *m->unsubscribe_url) {
        snprintf(line, sizeof(line), "List-Unsubscribe: <%s>", m->unsubscribe_url);
        h = curl_slist_append(h, line);
        h = curl_slist_append(h, "List-Unsubscribe-Post: List-Unsubscribe=One-Click");
    }
    return h;
}

static void part_text(curl_mime *mime, const char *type, const char *body)
{
    curl_mimepart *part = curl_mime_addpart(mime);
    curl_mime_data(part, body, CURL_ZERO_TERMINATED);
    curl_mime_type(part, type);
    curl_mime_encoder(part, "quoted-printable");
}

/* text alone, or text and HTML as the two choices of one multipart/alternative part. */
static curl_mime *body_for(CURL *curl, const email_message *m)
{
    curl_mime *mime = curl_mime_init(curl);
    if (!m->html || !*m->html) {
        part_text(mime, "text/plain; charset=utf-8", m->text ? m->text : "");
        return mime;
    }
    curl_mime *alt = curl_mime_init(curl);
    part_text(alt, "text/plain; charset=utf-8", m->text ? m->text : "");
    part_text(alt, "text/html; charset=utf-8", m->html);
    curl_mimepart *part = curl_mime_addpart(mime);
    curl_mime_subparts(part, alt);
    curl_mime_type(part, "multipart/alternative");
    struct curl_slist *inline_h = curl_slist_append(NULL, "Content-Disposition: inline");
    curl_mime_headers(part, inline_h, 1);
    return mime;
}

static void set_options(email_channel *c, struct curl_slist *rcpt, struct curl_slist *headers, curl_mime *mime)
{
    const email_settings *cfg = c->cfg;
    CURL *curl = c->curl;
    curl_easy_setopt(curl, CURLOPT_URL, cfg->smtp_url);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, c->error);
    curl_easy_setopt(curl, CURLOPT_USE_SSL, cfg->require_tls ? (long)CURLUSESSL_ALL : (long)CURLUSESSL_TRY);
    if (cfg->insecure_tls) {
        curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    if (cfg->user && *cfg->user) {
        curl_easy_setopt(curl, CURLOPT_USERNAME, cfg->user);
        curl_easy_setopt(curl, CURLOPT_PASSWORD, cfg->password ? cfg->password : "");
    }
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)cfg->timeout_ms);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, (long)(cfg->timeout_ms < 10000 ? cfg->timeout_ms : 10000));
    char from[512];
    snprintf(from, sizeof(from), "<%s>", cfg->from);
    curl_easy_setopt(curl, CURLOPT_MAIL_FROM, from); /* copied by curl */
    curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, rcpt);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_MIMEPOST, mime);
}

channel_result email_channel_send(email_channel *c, const email_message *m, char *detail)
{
    detail[0] = '\0';
    if (!m->to || !*m->to || strpbrk(m->to, "\r\n<>")) {
        snprintf(detail, CHANNEL_DETAIL_MAX, "bad address");
        return CHANNEL_REFUSED;
    }
    char to[512];
    snprintf(to, sizeof(to), "<%s>", m->to);
    struct curl_slist *rcpt = curl_slist_append(NULL, to);
    struct curl_slist *headers = headers_for(c->cfg, m);
    curl_mime *mime = body_for(c->curl, m);
    c->error[0] = '\0';
    set_options(c, rcpt, headers, mime);
    CURLcode rc = curl_easy_perform(c->curl);
    long code = 0;
    curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &code);
    /* The handle keeps pointers to these until the next message sets new ones: clear them before freeing. */
    curl_easy_setopt(c->curl, CURLOPT_MIMEPOST, NULL);
    curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, NULL);
    curl_easy_setopt(c->curl, CURLOPT_MAIL_RCPT, NULL);
    curl_mime_free(mime);
    curl_slist_free_all(headers);
    curl_slist_free_all(rcpt);
    if (rc == CURLE_OK) {
        snprintf(detail, CHANNEL_DETAIL_MAX, "%ld", code);
        return CHANNEL_SENT;
    }
    snprintf(detail, CHANNEL_DETAIL_MAX, "%ld %.200s", code, c->error[0] ? c->error : curl_easy_strerror(rc));
    /* A 5xx answer refuses this message for good, except a refused login: that is the club's settings, and the
     * message should wait for them to be fixed (within its attempts). */
    return code >= 500 && code < 600 && rc != CURLE_LOGIN_DENIED ? CHANNEL_REFUSED : CHANNEL_RETRY;
}
