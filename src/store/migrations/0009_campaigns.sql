-- Campaigns with budgets, their pilots against a control group, and the club's actual costs
-- (docs/campaigns.md). Moments (0010) and the budget lines, plans and competitor notes (0011) build on it.

-- The club-wide guard rails against discounting the market away, checked when a campaign is saved.
-- Per mille: 300 = an offer may give back at most 30% of a purchase; 50 = campaigns may give back at most 5%
-- of the revenue of their window.
ALTER TABLE programme ADD COLUMN guard_discount_max_permille INTEGER NOT NULL DEFAULT 300;
ALTER TABLE programme ADD COLUMN guard_giveback_max_permille INTEGER NOT NULL DEFAULT 50;
-- What one campaign message costs the club, by channel, in minor units (counted against the campaign's budget and
-- in costs); the portal inbox costs nothing. 0 until the club sets its gateway's and mail service's prices.
ALTER TABLE programme ADD COLUMN message_cost_sms_minor INTEGER NOT NULL DEFAULT 0;
ALTER TABLE programme ADD COLUMN message_cost_email_minor INTEGER NOT NULL DEFAULT 0;

CREATE TABLE campaigns (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    goal TEXT NOT NULL DEFAULT '',    -- the sentence: what the campaign is for
    metric TEXT NOT NULL,             -- redemption_rate | repeat_purchase | spend_per_member | points_earned | nps
    metric_days INTEGER NOT NULL DEFAULT 30, -- repeat_purchase: a purchase within this many days
    survey_id INTEGER REFERENCES surveys(id), -- nps: the survey that measures it
    audience TEXT NOT NULL,           -- JSON: {"kind":"all"} | {"kind":"segment","segment_id":N} |
                                      --       {"kind":"class","class":"lapsed"}
    starts_at INTEGER,                -- the window, ms; NULL: from launch
    ends_at INTEGER,                  -- NULL: until finished or stopped
    offer TEXT NOT NULL,              -- JSON, kind: bonus_points | multiplier | free_reward | gift | message
    message TEXT,                     -- JSON: what is sent through the channels, or NULL
    budget_money_minor INTEGER NOT NULL CHECK (budget_money_minor >= 0),
    budget_points INTEGER NOT NULL CHECK (budget_points >= 0),
    spent_money_minor INTEGER NOT NULL DEFAULT 0 CHECK (spent_money_minor <= budget_money_minor),
    spent_points INTEGER NOT NULL DEFAULT 0 CHECK (spent_points <= budget_points),
    state TEXT NOT NULL DEFAULT 'draft'
        CHECK (state IN ('draft', 'pilot', 'evaluating', 'running', 'finished', 'stopped')),
    holdout_share_permille INTEGER NOT NULL DEFAULT 0, -- the long-lived holdout kept at roll-out
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX campaigns_state ON campaigns(state, id);

-- Every change of state: who, why, when.
CREATE TABLE campaign_changes (
    id INTEGER PRIMARY KEY,
    campaign_id INTEGER NOT NULL REFERENCES campaigns(id),
    from_state TEXT,
    to_state TEXT NOT NULL,
    actor TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    at INTEGER NOT NULL
);
CREATE INDEX campaign_changes_campaign ON campaign_changes(campaign_id, id);

-- One draw: a pilot (sample and control) or a roll-out (the rest of the audience, less the holdout: a roll-out's
-- control counts its holdout). The seed is kept so the draw can be repeated; strata holds each stratum's population
-- and counts (JSON).
CREATE TABLE campaign_waves (
    id INTEGER PRIMARY KEY,
    campaign_id INTEGER NOT NULL REFERENCES campaigns(id),
    kind TEXT NOT NULL CHECK (kind IN ('pilot', 'rollout')),
    stratify_by TEXT NOT NULL,        -- none | class | segment
    seed INTEGER NOT NULL,
    audience_size INTEGER NOT NULL,
    treated INTEGER NOT NULL,
    control INTEGER NOT NULL,
    strata TEXT NOT NULL,             -- JSON: [{stratum, population, treated, control}]
    assigned_upto INTEGER,            -- a launch's wave still being assigned, a chunk at a time by the grant job:
                                      -- the last member id done; NULL once the wave is complete
    actor TEXT NOT NULL,
    at INTEGER NOT NULL
);
CREATE INDEX campaign_waves_campaign ON campaign_waves(campaign_id, id);

-- Who was drawn into which arm. A member is in at most one arm of a campaign, so later waves exclude everyone
-- already drawn. Treated arms (pilot, rollout) get the offer: granted_at is set in the commit that gave it, and
-- refused says why it was not given (budget: the cap would have been passed).
CREATE TABLE campaign_assignments (
    campaign_id INTEGER NOT NULL REFERENCES campaigns(id),
    member_id INTEGER NOT NULL REFERENCES members(id),
    arm TEXT NOT NULL CHECK (arm IN ('pilot', 'control', 'rollout', 'holdout')),
    wave_id INTEGER NOT NULL REFERENCES campaign_waves(id),
    stratum TEXT NOT NULL DEFAULT '',
    assigned_at INTEGER NOT NULL,
    granted_at INTEGER,
    refused TEXT,                     -- NULL | budget | erased | stock
    PRIMARY KEY (campaign_id, member_id)
) WITHOUT ROWID;
CREATE INDEX campaign_assignments_arm ON campaign_assignments(campaign_id, arm, member_id);
-- The treated still waiting for their grant.
CREATE INDEX campaign_assignments_due ON campaign_assignments(campaign_id, member_id)
    WHERE granted_at IS NULL AND refused IS NULL AND arm IN ('pilot', 'rollout');

-- A manager's decision after evaluation, with the evaluation it was made on.
CREATE TABLE campaign_decisions (
    id INTEGER PRIMARY KEY,
    campaign_id INTEGER NOT NULL REFERENCES campaigns(id),
    decision TEXT NOT NULL CHECK (decision IN ('roll_out', 'extend', 'stop')),
    reason TEXT NOT NULL,
    evaluation TEXT NOT NULL,         -- JSON: the evaluation as shown
    actor TEXT NOT NULL,
    at INTEGER NOT NULL
);
CREATE INDEX campaign_decisions_campaign ON campaign_decisions(campaign_id, id);

-- The club's actual costs, in money (minor units): posted by the events that incur them (points issued at
-- their money value, gifts fulfilled, messages sent) and by hand. Budget lines (0011) compare against them.
CREATE TABLE costs (
    id INTEGER PRIMARY KEY,
    category TEXT NOT NULL CHECK (category IN ('gifts', 'messages', 'staff', 'events', 'software', 'points',
                                               'other')),
    amount_minor INTEGER NOT NULL,
    at INTEGER NOT NULL,              -- ms: when the cost was incurred
    source TEXT NOT NULL,             -- campaign | moment | message | manual
    campaign_id INTEGER REFERENCES campaigns(id),
    ref TEXT,                         -- what incurred it, e.g. "posting:123", "outbox:9"
    note TEXT,
    actor TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX costs_at ON costs(at);
CREATE INDEX costs_campaign ON costs(campaign_id, at) WHERE campaign_id IS NOT NULL;
