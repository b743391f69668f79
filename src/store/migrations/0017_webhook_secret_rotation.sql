-- Rotating a webhook's secret without deleting the subscription (docs/webhooks.md): the secret before the last
-- rotation stays in use, as a second signature on every delivery, until previous_until, so a receiver can change
-- its key without dropping what arrives meanwhile. One previous secret at most: a second rotation within the window
-- replaces it with the secret it rotated out.
ALTER TABLE webhook_subscriptions ADD COLUMN previous_secret TEXT;     -- whsec_..., or NULL
ALTER TABLE webhook_subscriptions ADD COLUMN previous_until INTEGER;   -- ms since 1970: signed with it until then
