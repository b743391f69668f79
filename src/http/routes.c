/* The route table: every endpoint of the API, its method, the permission it needs and its body.
 * docs/openapi.yaml lists the same routes; a test keeps the two equal. */
#include "http/http.h"

const http_route http_routes[] = {
    {"GET", "/healthz", http_healthz, PERM_PUBLIC, HTTP_BODY_NONE},
    {"GET", "/metrics", http_metrics, PERM_PUBLIC, HTTP_BODY_NONE},
    {"POST", "/api/v1/auth/login", http_login, PERM_PUBLIC, HTTP_BODY_JSON},
    {"POST", "/api/v1/auth/logout", http_logout, PERM_SIGNED_IN, HTTP_BODY_NONE},
    {"GET", "/api/v1/auth/me", http_me, PERM_SIGNED_IN, HTTP_BODY_NONE},
    {"GET", "/api/v1/members", http_member_list, PERM_MEMBER_READ, HTTP_BODY_NONE},
    {"POST", "/api/v1/members", http_member_create, PERM_MEMBER_WRITE, HTTP_BODY_JSON},
    {"POST", "/api/v1/members/import", http_member_import, PERM_MEMBER_IMPORT, HTTP_BODY_CSV},
    {"GET", "/api/v1/members/export", http_member_export, PERM_MEMBER_EXPORT, HTTP_BODY_NONE},
    {"GET", "/api/v1/members/{id}", http_member_get, PERM_MEMBER_READ, HTTP_BODY_NONE},
    {"PATCH", "/api/v1/members/{id}", http_member_update, PERM_MEMBER_WRITE, HTTP_BODY_JSON},
    {"DELETE", "/api/v1/members/{id}", http_member_erase, PERM_MEMBER_ERASE, HTTP_BODY_NONE},
    {"GET", "/api/v1/members/{id}/export", http_member_personal_export, PERM_MEMBER_EXPORT, HTTP_BODY_NONE},
    {"GET", "/api/v1/users", http_user_list, PERM_USER_ADMIN, HTTP_BODY_NONE},
    {"POST", "/api/v1/users", http_user_create, PERM_USER_ADMIN, HTTP_BODY_JSON},
    {"PATCH", "/api/v1/users/{id}", http_user_update, PERM_USER_ADMIN, HTTP_BODY_JSON},
    {"GET", "/api/v1/apikeys", http_apikey_list, PERM_APIKEY_ADMIN, HTTP_BODY_NONE},
    {"POST", "/api/v1/apikeys", http_apikey_create, PERM_APIKEY_ADMIN, HTTP_BODY_JSON},
    {"DELETE", "/api/v1/apikeys/{id}", http_apikey_revoke, PERM_APIKEY_ADMIN, HTTP_BODY_NONE},
    {"GET", "/api/v1/audit", http_audit_list, PERM_AUDIT_READ, HTTP_BODY_NONE},
};
const int http_routes_count = sizeof(http_routes) / sizeof(http_routes[0]);
