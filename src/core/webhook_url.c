/* Webhook URL and address checks (see webhook_url.h). The address ranges are those of RFC 6890 that are not
 * globally reachable, which is what an outside department's server never is. */
#include "core/webhook_url.h"

#include <arpa/inet.h>
#include <sys/socket.h>
#include <curl/curl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static bool v4_private(const uint8_t *a)
{
    return a[0] == 0 || a[0] == 10 || a[0] == 127 || (a[0] == 100 && (a[1] & 0xc0) == 64) ||
           (a[0] == 169 && a[1] == 254) || (a[0] == 172 && (a[1] & 0xf0) == 16) || (a[0] == 192 && a[1] == 168) ||
           (a[0] == 192 && a[1] == 0 && a[2] == 0) || (a[0] == 198 && (a[1] & 0xfe) == 18) || a[0] >= 224;
}

bool webhook_url_address_private(int family, const uint8_t *a)
{
    if (family == AF_INET)
        return v4_private(a);
    if (family != AF_INET6)
        return true; /* anything else is not an address a webhook goes to */
    static const uint8_t zero[16], mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff},
                                   nat64[12] = {0, 0x64, 0xff, 0x9b};
    if (memcmp(a, zero, 15) == 0 && (a[15] == 0 || a[15] == 1)) /* :: and ::1 */
        return true;
    if (memcmp(a, mapped, 12) == 0 || memcmp(a, nat64, 12) == 0 || memcmp(a, zero, 12) == 0) /* v4 inside */
        return v4_private(a + 12);
    return (a[0] & 0xfe) == 0xfc || (a[0] == 0xfe && (a[1] & 0x80)) || a[0] == 0xff; /* fe80::/10, fec0::/10 */
}

static bool localhost_name(const char *host)
{
    size_t n = strlen(host);
    while (n && host[n - 1] == '.')
        n--; /* "localhost." is the same name */
    return (n == 9 && strncasecmp(host, "localhost", 9) == 0) ||
           (n > 10 && strncasecmp(host + n - 10, ".localhost", 10) == 0);
}

/* An address literal's verdict: 1 internal, 0 public, -1 not a literal (a name). */
static int literal_private(const char *host)
{
    uint8_t a[16];
    if (inet_pton(AF_INET, host, a) == 1)
        return webhook_url_address_private(AF_INET, a);
    if (inet_pton(AF_INET6, host, a) == 1)
        return webhook_url_address_private(AF_INET6, a);
    return -1;
}

static const char *parts_check(CURLU *u, char *host, size_t host_cap)
{
    char *scheme = NULL, *h = NULL, *user = NULL, *password = NULL, *fragment = NULL;
    const char *why = NULL;
    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0);
    curl_url_get(u, CURLUPART_HOST, &h, 0);
    curl_url_get(u, CURLUPART_USER, &user, 0);
    curl_url_get(u, CURLUPART_PASSWORD, &password, 0);
    curl_url_get(u, CURLUPART_FRAGMENT, &fragment, 0);
    if (!scheme || (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0))
        why = "must be an http or https URL";
    else if (!h || !*h)
        why = "must name a host";
    else if (user || password)
        why = "must not carry a user name or password";
    else if (fragment)
        why = "must not have a #fragment";
    else if (strlen(h) >= host_cap)
        why = "has a host name that is too long";
    if (!why) {
        size_t n = strlen(h);
        bool bracketed = n > 2 && h[0] == '[' && h[n - 1] == ']';
        snprintf(host, host_cap, "%.*s", (int)(bracketed ? n - 2 : n), bracketed ? h + 1 : h);
        char *zone = bracketed ? strchr(host, '%') : NULL; /* fe80::1%eth0 */
        if (zone)
            *zone = '\0';
    }
    curl_free(scheme);
    curl_free(h);
    curl_free(user);
    curl_free(password);
    curl_free(fragment);
    return why;
}

const char *webhook_url_check(const char *url, bool allow_private, char *host, size_t host_cap, bool *needs_resolve)
{
    *needs_resolve = false;
    host[0] = '\0';
    if (!url || (strncasecmp(url, "http://", 7) != 0 && strncasecmp(url, "https://", 8) != 0))
        return "must be an http or https URL";
    CURLU *u = curl_url();
    if (!u)
        return "could not be read";
    const char *why = NULL;
    if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK)
        why = "is not a valid URL";
    else
        why = parts_check(u, host, host_cap);
    curl_url_cleanup(u);
    if (why || allow_private)
        return why;
    int literal = literal_private(host);
    if (literal == 1 || (literal == -1 && localhost_name(host)))
        return "points at a private, loopback or link-local address (the owner's --webhook-allow-private setting "
               "allows it)";
    *needs_resolve = literal == -1;
    return NULL;
}
