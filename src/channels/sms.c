/* SMS through a configurable HTTP gateway (see sms.h). The answer body is read up to ANSWER_MAX bytes for the
 * attempt log and the rest ignored, so a peer that answers with too much cannot fill memory. */
#include "channels/sms.h"

#include <curl/curl.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ANSWER_MAX 512
#define EXPANDED_MAX 65536 /* bytes of a URL or body once filled in */

struct sms_channel {
    const sms_settings *cfg;
    CURL *curl;
    char answer[ANSWER_MAX + 1];
    size_t answer_len;
};

sms_channel *sms_channel_new(const sms_settings *cfg)
{
    sms_channel *c = calloc(1, sizeof(*c));
    if (!c)
        abort(); /* out of memory */
    c->cfg = cfg;
    if (!(c->curl = curl_easy_init())) {
        free(c);
        return NULL;
    }
    return c;
}

void sms_channel_free(sms_channel *c)
{
    if (!c)
        return;
    curl_easy_cleanup(c->curl);
    free(c);
}

static size_t on_answer(char *data, size_t size, size_t n, void *arg)
{
    sms_channel *c = arg;
    size_t len = size * n, room = ANSWER_MAX - c->answer_len;
    size_t take = len < room ? len : room;
    memcpy(c->answer + c->answer_len, data, take);
    c->answer_len += take;
    c->answer[c->answer_len] = '\0';
    return len; /* the rest is read and dropped */
}

/* value escaped for its place: 'u' URL-encoded, 'j' the inside of a JSON string. malloc'd. */
static char *escaped(CURL *curl, const char *value, char how)
{
    if (how == 'u') {
        char *e = curl_easy_escape(curl, value, 0);
        char *copy = strdup(e ? e : "");
        curl_free(e);
        return copy;
    }
    json_t *s = json_string(value);
    char *dump = s ? json_dumps(s, JSON_ENCODE_ANY) : NULL;
    json_decref(s);
    if (!dump)
        return strdup("");
    size_t len = strlen(dump);
    memmove(dump, dump + 1, len - 2); /* drop the quotes */
    dump[len - 2] = '\0';
    return dump;
}

/* The template with {to}, {text} and {id} filled in; NULL when it grows past EXPANDED_MAX. malloc'd. */
static char *expand(CURL *curl, const char *tpl, const char *to, const char *text, int64_t id, char how)
{
    char idtext[24];
    snprintf(idtext, sizeof(idtext), "%lld", (long long)id);
    char *e_to = escaped(curl, to, how), *e_text = escaped(curl, text, how);
    char *out = malloc(EXPANDED_MAX + 1);
    size_t len = 0;
    bool ok = out && e_to && e_text;
    for (const char *p = tpl; ok && *p;) {
        const char *value = NULL;
        size_t skip = 0;
        if (strncmp(p, "{to}", 4) == 0)
            value = e_to, skip = 4;
        else if (strncmp(p, "{text}", 6) == 0)
            value = e_text, skip = 6;
        else if (strncmp(p, "{id}", 4) == 0)
            value = idtext, skip = 4;
        size_t add = value ? strlen(value) : 1;
        if (len + add > EXPANDED_MAX) {
            ok = false;
            break;
        }
        memcpy(out + len, value ? value : p, add);
        len += add;
        p += value ? skip : 1;
    }
    free(e_to);
    free(e_text);
    if (!ok) {
        free(out);
        return NULL;
    }
    out[len] = '\0';
    return out;
}

static struct curl_slist *header_lines(const char *spec)
{
    struct curl_slist *h = NULL;
    char line[1024];
    for (const char *p = spec; p && *p;) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (len > 0 && len < sizeof(line)) {
            memcpy(line, p, len);
            line[len] = '\0';
            h = curl_slist_append(h, line);
        }
        p += len + (bar ? 1 : 0);
    }
    return h;
}

channel_result sms_channel_send(sms_channel *c, const char *to, const char *text, int64_t id, char *detail)
{
    const sms_settings *cfg = c->cfg;
    bool get = strcmp(cfg->method, "GET") == 0;
    char *url = expand(c->curl, cfg->url, to, text, id, 'u');
    char *body = get ? NULL : expand(c->curl, cfg->body, to, text, id, strcmp(cfg->encoding, "form") == 0 ? 'u' : 'j');
    if (!url || (!get && !body)) {
        free(url);
        free(body);
        snprintf(detail, CHANNEL_DETAIL_MAX, "the gateway request would be too long");
        return CHANNEL_REFUSED;
    }
    struct curl_slist *headers = header_lines(cfg->headers);
    CURL *curl = c->curl;
    c->answer_len = 0;
    c->answer[0] = '\0';
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)cfg->timeout_ms);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_answer);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, c);
    if (get) {
        curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
    } else {
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, strcmp(cfg->method, "POST") == 0 ? NULL : cfg->method);
    }
    CURLcode rc = curl_easy_perform(curl);
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, NULL);
    curl_slist_free_all(headers);
    free(url);
    free(body);
    if (rc != CURLE_OK) {
        snprintf(detail, CHANNEL_DETAIL_MAX, "%.200s", curl_easy_strerror(rc));
        return CHANNEL_RETRY;
    }
    snprintf(detail, CHANNEL_DETAIL_MAX, "%ld %.200s", status, c->answer);
    if (status >= cfg->accepted_min && status <= cfg->accepted_max)
        return CHANNEL_SENT;
    return status == 429 || status >= 500 ? CHANNEL_RETRY : CHANNEL_REFUSED;
}
