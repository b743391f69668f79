// The cashier screen: find the member by phone (looked up first, to greet them and show their points) or by
// card number (sent with the sale), enter the amount, and see the points earned at once. Each sale carries its
// own txn_id, kept until it is recorded, so pressing the button twice or retrying never records it twice.
import { useState } from 'preact/hooks';
import { api, ApiError, newKey, type Member, type Page, type TransactionResult } from '../lib/api';
import { asciiDigits, localDigits, useI18n } from '../lib/i18n';
import { href } from '../lib/router';
import { Alert, errorText, Explain, Field, Ltr } from '../lib/ui';
import { fullName } from './Members';

const STORE_KEY = 'bashgah.store';

type By = 'phone' | 'card';

export function Cashier() {
  const i = useI18n();
  const { t } = i;
  const [by, setBy] = useState<By>('phone');
  const [who, setWho] = useState('');
  const [member, setMember] = useState<Member | null>(null);
  const [amount, setAmount] = useState('');
  const [store, setStore] = useState(localStorage.getItem(STORE_KEY) ?? 'web');
  const [txnId, setTxnId] = useState(newKey);
  const [result, setResult] = useState<TransactionResult | null>(null);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  async function find(e: Event) {
    e.preventDefault();
    setError('');
    setMember(null);
    try {
      const p = await api<Page<Member>>('GET', `/api/v1/members?limit=2&q=${encodeURIComponent(asciiDigits(who.trim()))}`);
      if (p.items.length === 1) setMember(p.items[0]);
      else setError(t.notFound);
    } catch (err) {
      setError(errorText(t, err));
    }
  }

  async function record(e: Event) {
    e.preventDefault();
    const minor = Number(asciiDigits(amount).replace(/[\s,٬،]/g, ''));
    if (!Number.isInteger(minor) || minor <= 0) {
      setError(t.amountInvalid);
      return;
    }
    setBusy(true);
    setError('');
    localStorage.setItem(STORE_KEY, store);
    const target = by === 'phone' && member ? { member_id: member.id } : { member_external_ref: asciiDigits(who.trim()) };
    try {
      const r = await api<TransactionResult>('POST', '/api/v1/transactions', {
        body: { type: 'purchase', ...target, store, txn_id: txnId, amount: minor },
      });
      setResult(r);
      if (!member) setMember(await api<Member>('GET', `/api/v1/members/${r.member_id}`));
    } catch (err) {
      setError(err instanceof ApiError && err.status === 404 ? t.notFound : errorText(t, err));
    } finally {
      setBusy(false);
    }
  }

  function next() {
    setWho('');
    setMember(null);
    setAmount('');
    setResult(null);
    setError('');
    setTxnId(newKey());
    document.getElementById('cashier-who')?.focus();
  }

  return (
    <section aria-labelledby="cashier-title" class="cashier">
      <h1 id="cashier-title">{t.cashier}</h1>
      <form class="card" onSubmit={by === 'phone' && !member ? find : record} aria-busy={busy}>
        <fieldset class="inline">
          <legend>{t.findBy}</legend>
          {(['phone', 'card'] as By[]).map((b) => (
            <label class="check">
              <input type="radio" name="by" value={b} checked={by === b} onChange={() => { setBy(b); setMember(null); setResult(null); }} />
              <span>{b === 'phone' ? t.byPhone : t.byCard}</span>
            </label>
          ))}
        </fieldset>
        <div class="field">
          <label for="cashier-who">{by === 'phone' ? t.phone : t.cardNumber}</label>
          <div class="row">
            <input
              id="cashier-who"
              name="who"
              type={by === 'phone' ? 'tel' : 'text'}
              inputMode={by === 'phone' ? 'tel' : 'text'}
              autoComplete="off"
              value={who}
              autoFocus
              readOnly={!!result}
              onInput={(e) => { setWho((e.target as HTMLInputElement).value); setMember(null); }}
            />
            {by === 'phone' && !member && <button type="submit">{t.find}</button>}
          </div>
        </div>
        {member && (
          <p class="found" aria-live="polite">
            {t.memberFound}: <a href={href(`/members/${member.id}`)}>{fullName(member, t.unnamed)}</a>{' '}
            {member.phone && <Ltr>{localDigits(member.phone, i.lang)}</Ltr>} — {i.num(result ? result.balance.available : member.points.available)} {t.points}
          </p>
        )}
        {(member || by === 'card') && !result && (
          <>
            <Field label={t.amount} name="amount" hint={t.amountHint} inputMode="numeric" value={amount} onInput={setAmount} autocomplete="off" />
            <Field label={t.store} name="store" value={store} onInput={setStore} autocomplete="off" />
            <button type="submit" disabled={busy}>
              {t.recordPurchase}
            </button>
          </>
        )}
        {error && <Alert>{error}</Alert>}
      </form>
      {result && (
        <div class="card result" role="status" data-testid="earned">
          <p class="big">{t.earned(i.num(result.points_earned))}</p>
          <p class="why">
            <Explain i={i} kind="earn" explanation={result.explanation} />
          </p>
          <p>
            {t.newBalance}: <strong>{i.num(result.balance.available)}</strong>
          </p>
          <button type="button" onClick={next}>
            {t.nextCustomer}
          </button>
        </div>
      )}
    </section>
  );
}
