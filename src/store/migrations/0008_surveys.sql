-- Listening: contacts beyond the members (staff, partners, sponsors, press) and surveys with one-use personal
-- links, sampled invitations and answers (docs/surveys.md).

-- A person the club talks to who is not a member. Personal fields as the members' (the same validation).
CREATE TABLE contacts (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,               -- staff | partner | sponsor | press | other
    organisation TEXT,
    department TEXT,
    external_ref TEXT UNIQUE,
    given_name TEXT,
    family_name TEXT,
    phone TEXT,                       -- E.164
    email TEXT,                       -- lowercased
    locale TEXT NOT NULL,             -- fa | en
    time_zone TEXT NOT NULL,
    consent_email INTEGER NOT NULL DEFAULT 0,
    consent_sms INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX contacts_kind ON contacts(kind, id);

-- A survey: its texts and questions (a JSON array, checked by src/app/surveys.c), its window and its settings.
CREATE TABLE surveys (
    id INTEGER PRIMARY KEY,
    title_en TEXT NOT NULL,
    title_fa TEXT NOT NULL,
    questions TEXT NOT NULL,          -- JSON: [{key, type, text_en, text_fa, options?, required}]
    opens_at INTEGER,                 -- ms, or NULL: open from creation
    closes_at INTEGER,                -- ms, or NULL: never closes
    anonymous INTEGER NOT NULL DEFAULT 0,
    k_min INTEGER NOT NULL DEFAULT 5, -- results of a smaller group are not shown
    target_permille INTEGER NOT NULL DEFAULT 100, -- coverage target: 100 = 10%
    reminder_days INTEGER NOT NULL DEFAULT 0, -- remind after this many days without an answer (0: never)
    reminder_max INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

-- One invitation request: the audience, how it was sampled (the seed is kept so the draw can be repeated) and
-- the population of each stratum at that time, the denominators of coverage.
CREATE TABLE survey_waves (
    id INTEGER PRIMARY KEY,
    survey_id INTEGER NOT NULL REFERENCES surveys(id),
    audience TEXT NOT NULL,           -- JSON as given
    stratify_by TEXT NOT NULL,        -- none | class | kind
    seed INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE TABLE survey_strata (
    wave_id INTEGER NOT NULL REFERENCES survey_waves(id),
    stratum TEXT NOT NULL,
    population INTEGER NOT NULL,
    invited INTEGER NOT NULL,
    PRIMARY KEY (wave_id, stratum)
) WITHOUT ROWID;

-- A personal one-use link. Only the BLAKE2b hash of the token is kept. A person is invited once per survey.
CREATE TABLE survey_invitations (
    id INTEGER PRIMARY KEY,
    survey_id INTEGER NOT NULL REFERENCES surveys(id),
    wave_id INTEGER NOT NULL REFERENCES survey_waves(id),
    person_kind TEXT NOT NULL,        -- member | contact
    person_id INTEGER NOT NULL,
    stratum TEXT NOT NULL,
    token_hash BLOB NOT NULL UNIQUE,
    channel TEXT NOT NULL,            -- email | sms
    created_at INTEGER NOT NULL,
    answered_at INTEGER,              -- anonymous surveys: the day only
    reminders INTEGER NOT NULL DEFAULT 0,
    last_sent_at INTEGER NOT NULL,
    UNIQUE (survey_id, person_kind, person_id)
);
CREATE INDEX survey_invitations_open ON survey_invitations(survey_id, answered_at, last_sent_at);

-- An answer. In an anonymous survey invitation_id is NULL and answered_at is the day only, so nothing links
-- the person to the answer; the stratum stays, and groups smaller than k_min are hidden in the results.
CREATE TABLE survey_responses (
    id INTEGER PRIMARY KEY,
    survey_id INTEGER NOT NULL REFERENCES surveys(id),
    invitation_id INTEGER REFERENCES survey_invitations(id),
    stratum TEXT NOT NULL,
    answered_at INTEGER NOT NULL,
    answers TEXT NOT NULL             -- JSON object: question key -> value
);
CREATE INDEX survey_responses_survey ON survey_responses(survey_id, stratum);
