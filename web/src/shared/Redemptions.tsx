// A member's redemptions (reward, status, code), shared by the member page and the portal.
import type { Redemption } from '../lib/api';
import { useI18n } from '../lib/i18n';
import { Ltr } from '../lib/ui';

export function Redemptions({ items, rewards }: { items: Redemption[]; rewards: Map<number, { name_en: string; name_fa: string }> }) {
  const i = useI18n();
  const { t } = i;
  if (items.length === 0) return <p class="muted">{t.noRedemptions}</p>;
  return (
    <div class="table-wrap">
      <table>
        <thead>
          <tr>
            <th scope="col">{t.when}</th>
            <th scope="col">{t.reward}</th>
            <th scope="col">{t.status}</th>
            <th scope="col">{t.code}</th>
            <th scope="col" class="num">{t.points}</th>
          </tr>
        </thead>
        <tbody>
          {items.map((r) => (
            <tr>
              <td>{i.date(r.created_at)}</td>
              <td>{i.name(rewards.get(r.reward_id)) || `#${i.num(r.reward_id)}`}</td>
              <td>{t.redemptionStatus[r.status] ?? r.status}</td>
              <td>
                <Ltr>{r.code}</Ltr>
              </td>
              <td class="num">{i.num(r.points)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
