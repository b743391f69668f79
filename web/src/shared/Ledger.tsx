// A member's points history with the reason for each change, shared by the member page and the portal.
import type { LedgerEntry } from '../lib/api';
import { useI18n } from '../lib/i18n';
import { Explain } from '../lib/ui';

export function Ledger({ items }: { items: LedgerEntry[] }) {
  const i = useI18n();
  const { t } = i;
  if (items.length === 0) return <p class="muted">{t.noLedger}</p>;
  return (
    <div class="table-wrap">
      <table class="ledger">
        <thead>
          <tr>
            <th scope="col">{t.when}</th>
            <th scope="col">{t.why}</th>
            <th scope="col" class="num">{t.points}</th>
          </tr>
        </thead>
        <tbody>
          {items.map((e) => (
            <tr data-kind={e.kind}>
              <td>{i.date(e.at)}</td>
              <td class="why">
                <Explain i={i} kind={e.kind} explanation={e.explanation} />
              </td>
              <td class={'num ' + (e.points < 0 ? 'minus' : 'plus')}>{i.pts(e.points, true)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
