-- The club's money and plan (docs/budget.md): budget lines by category and period, the plans for six months and
-- a year with their goals, and dated notes on what competitors offer. Actual costs are the rows of `costs` (0009).

-- What the club means to spend on one category in one period of its calendar. period is the label as written,
-- "1404" (a year) or "1404-01" (a month), in the programme's calendar; starts_at/ends_at are that period's
-- [start, end) in ms in the programme's time zone when the line was saved. The actual of a line is the sum of
-- the costs of its category in [starts_at, ends_at): it is read, never stored, so it cannot drift.
CREATE TABLE budget_lines (
    id INTEGER PRIMARY KEY,
    category TEXT NOT NULL CHECK (category IN ('gifts', 'messages', 'staff', 'events', 'software', 'points',
                                               'other')),
    period TEXT NOT NULL,
    starts_at INTEGER NOT NULL,
    ends_at INTEGER NOT NULL CHECK (ends_at > starts_at),
    planned_minor INTEGER NOT NULL CHECK (planned_minor >= 0),
    note TEXT NOT NULL DEFAULT '',
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (category, period)
);
CREATE INDEX budget_lines_period ON budget_lines(starts_at, ends_at);
-- The costs of a category in a window (the actual of a line, the report).
CREATE INDEX costs_category ON costs(category, at);

-- A plan for six months or a year: a window and its goals.
CREATE TABLE plans (
    id INTEGER PRIMARY KEY,
    title TEXT NOT NULL,
    horizon TEXT NOT NULL CHECK (horizon IN ('six_months', 'year')),
    starts_at INTEGER NOT NULL,       -- ms
    ends_at INTEGER NOT NULL CHECK (ends_at > starts_at),
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

-- A goal on a live figure: a target by a date, and the figure when the goal was set (the baseline), so that
-- "on track" is a straight line from (created_at, baseline) to (due_at, target). Units: members a count;
-- active_share, repeat_purchase_rate, survey_coverage and budget_used percent; nps -100..100; liability minor
-- units of money. nps and survey_coverage are read from one survey (survey_id).
CREATE TABLE plan_goals (
    id INTEGER PRIMARY KEY,
    plan_id INTEGER NOT NULL REFERENCES plans(id) ON DELETE CASCADE,
    metric TEXT NOT NULL CHECK (metric IN ('members', 'active_share', 'repeat_purchase_rate', 'nps',
                                           'survey_coverage', 'liability', 'budget_used')),
    survey_id INTEGER REFERENCES surveys(id),
    target REAL NOT NULL,
    due_at INTEGER NOT NULL,          -- ms
    baseline REAL NOT NULL,
    baseline_at INTEGER NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX plan_goals_plan ON plan_goals(plan_id, id);

-- What a competitor offers, as seen on a day, and where it was seen.
CREATE TABLE competitor_notes (
    id INTEGER PRIMARY KEY,
    competitor TEXT NOT NULL,
    offer TEXT NOT NULL,
    observed_on TEXT NOT NULL,        -- YYYY-MM-DD (Gregorian, as the API's dates)
    source TEXT NOT NULL DEFAULT '',
    written_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX competitor_notes_competitor ON competitor_notes(competitor, observed_on, id);
CREATE INDEX competitor_notes_observed ON competitor_notes(observed_on, id);
