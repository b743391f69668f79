/* What every channel answers when asked to deliver one message: sent, a failure worth retrying (the peer was
 * away, busy or said 4xx), or a permanent failure (the peer refused the message or its address with 5xx). The
 * detail is the peer's answer or the error, for the attempt log. */
#ifndef BASHGAH_CHANNELS_CHANNEL_H
#define BASHGAH_CHANNELS_CHANNEL_H

#include <stddef.h>

typedef enum channel_result {
    CHANNEL_SENT = 0,
    CHANNEL_RETRY,    /* temporary: try again later */
    CHANNEL_REFUSED   /* permanent: trying again would not help */
} channel_result;

#define CHANNEL_DETAIL_MAX 256

#endif
