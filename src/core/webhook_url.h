/* Which addresses a webhook may reach: the checks made when a subscription is saved (its URL) and again when each
 * delivery connects (the address it resolved to, so DNS cannot smuggle an internal address in later). Pure: the
 * URL is parsed with libcurl's URL API, no name is resolved here. */
#ifndef BASHGAH_CORE_WEBHOOK_URL_H
#define BASHGAH_CORE_WEBHOOK_URL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Whether the address (AF_INET: 4 bytes, AF_INET6: 16) is internal: unspecified, loopback, private (10/8,
 * 172.16/12, 192.168/16, fc00::/7), shared (100.64/10), link-local (169.254/16, fe80::/10, and the old site-local
 * fec0::/10), multicast, reserved or broadcast, and the IPv4-mapped and NAT64 forms of those. A webhook reaches it
 * only when the owner allows it. */
bool webhook_url_address_private(int family, const uint8_t *addr);

/* Checks a subscription's URL: http or https, a host, no user name or password (they would land in logs), no
 * fragment. Copies the host (without IPv6 brackets) into host. Returns NULL when the URL is fine, or what is wrong
 * with it. When allow_private is false, a host that is an internal address literal or a localhost name is refused
 * here; *needs_resolve then says whether the host is a name whose addresses must still be checked. */
const char *webhook_url_check(const char *url, bool allow_private, char *host, size_t host_cap, bool *needs_resolve);

#endif
