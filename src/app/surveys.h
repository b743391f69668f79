/* Surveys as use cases shared by the HTTP handlers and the reminder job: checking a survey's questions and a
 * person's answers, sending invitations (audience, stratified sample from a recorded seed, one-use links written
 * to the outbox in the same transaction), taking an answer through a link, and reminders. */
#ifndef BASHGAH_APP_SURVEYS_H
#define BASHGAH_APP_SURVEYS_H

#include <jansson.h>
#include <stdint.h>

#include "core/errlist.h"
#include "store/store.h"

#define SURVEY_OPTIONS_MAX 20
#define SURVEY_ANSWER_TEXT_MAX 2000 /* bytes of a free-text answer */
#define SURVEY_TOKEN_LEN 43         /* 32 random bytes in unpadded base64url */
#define SURVEY_INVITE_MAX 100000    /* people one invitation request may reach */

/* Checks a "questions" array (see docs/surveys.md) and returns its normalised copy (new reference: required
 * made explicit), or NULL with errors naming the field ("questions[2].options"). */
json_t *survey_questions_check(const json_t *questions, errlist *e);

/* Checks answers (an object: question key -> value) against questions; errors name "answers.KEY". Returns the
 * normalised answers (new reference), or NULL. */
json_t *survey_answers_check(const json_t *questions, const json_t *answers, errlist *e);

/* The BLAKE2b-256 of a link's token: what is stored. */
void survey_token_hash(const char *token, uint8_t out[32]);

/* An invitation request, checked by survey_invite_parse. */
typedef struct survey_invite {
    int64_t survey_id;
    char audience[16];                        /* members | class | segment | contact_kind */
    char value[STORE_SURVEY_STRATUM_MAX + 1]; /* the class or contact kind ("" for every contact) */
    char stratify_by[8];                      /* none | class | kind */
    int64_t sample_count;                     /* -1: no count given */
    double sample_share;                      /* 0: no share given */
    uint64_t seed;
    char *audience_json; /* malloc'd, as recorded */
    int64_t segment_id;  /* audience segment: the segment, whose members the caller lists into ids */
    int64_t *ids;        /* malloc'd, in id order */
    size_t nids;
} survey_invite;

/* Reads the body of POST /api/v1/surveys/{id}/invitations; errors name the field. A missing seed is drawn at
 * random (and recorded). Release with survey_invite_release. */
int survey_invite_parse(const json_t *body, survey_invite *inv, errlist *e);
void survey_invite_release(survey_invite *inv);

/* Sends the invitations inside the caller's transaction: the audience's people, the stratified sample, one
 * invitation and one outbox row per person reached. *report (new reference) says how many per stratum. */
int survey_invite_run(store_tx *tx, const store_survey *s, const survey_invite *inv, int64_t now, json_t **report);

/* Takes an answer through a link inside the caller's transaction. Returns STORE_OK, or another status with
 * *http_status, *slug and e set (404 unknown link, 409 already answered or closed or not open yet, 400 bad
 * answers). */
int survey_answer_run(store_tx *tx, const char *token, const json_t *answers, int64_t now, int *http_status,
                      const char **slug, errlist *e);

/* Sends due reminders inside the caller's transaction, at most a batch: each carries a new link and the earlier
 * one stops working (only hashes are kept, so an old link cannot be sent again). *handled is how many
 * invitations it looked at (a full batch: there may be more). */
#define SURVEY_REMINDER_BATCH_MAX 256
int survey_reminders_run(store_tx *tx, int64_t now, int *handled);

#endif
