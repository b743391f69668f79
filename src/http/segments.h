/* Private to the segment handlers (segments.c, segment_csv.c): a segment's members as a store query, and the
 * patch path the CSV upload shares with PATCH. */
#ifndef BASHGAH_HTTP_SEGMENTS_H
#define BASHGAH_HTTP_SEGMENTS_H

#include "http/http.h"

typedef struct http_segment_query {
    segment_sql sql;       /* a dynamic segment's compiled filter */
    store_segment_query q; /* what the store functions take */
} http_segment_query;

/* Reads segment r->id; replies 404 or 500 and returns false when it cannot. */
bool http_segment_load(http_request *r, store_segment *g);
/* Compiles g's filter for now and the club's time zone (or points at g's list). 0, or -1 when the stored filter no
 * longer compiles. Close it in every case. */
int http_segment_query_open(http_request *r, const store_segment *g, http_segment_query *q);
void http_segment_query_close(http_segment_query *q);
/* Checks body as a PATCH of segment r->id and queues it; takes over body. */
void http_segment_patch_json(http_request *r, json_t *body);

#endif
