// A member's tier and the way to the next one, shared by the member page and the portal.
import type { TierStatus } from '../lib/api';
import { useI18n } from '../lib/i18n';

export function TierProgress({ tier }: { tier: TierStatus | null }) {
  const i = useI18n();
  const { t } = i;
  if (!tier) return null;
  const pr = tier.progress;
  const next = pr?.next_tier ?? null;
  const pct = next && pr ? Math.min(100, Math.round((pr.current / Math.max(1, next.threshold)) * 100)) : 100;
  return (
    <div class="tier">
      <p class="tier-name">{tier.id ? i.name(tier) : t.noTier}</p>
      {next && pr ? (
        <>
          <div
            class="bar"
            role="progressbar"
            aria-label={t.tierProgress}
            aria-valuemin={0}
            aria-valuemax={next.threshold}
            aria-valuenow={pr.current}
            aria-valuetext={t.toNextTier(i.num(pr.needed ?? 0), i.name(next))}
          >
            <span style={{ width: `${pct}%` }} />
          </div>
          <p class="muted">{t.toNextTier(i.num(pr.needed ?? 0), i.name(next))}</p>
        </>
      ) : (
        <p class="muted">{t.topTier}</p>
      )}
    </div>
  );
}
