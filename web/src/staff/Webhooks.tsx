// Webhooks (owners and managers, PERM_WEBHOOK_ADMIN; docs/webhooks.md): the subscriptions with their events and
// state, a form to add one (its signing secret shown once, with a copy button), and per subscription: pause or
// resume, rotating the secret (the previous one keeps signing for the window chosen), deleting after a question,
// and its recent deliveries with their outcome and a button to send one again. Words in webhookWords.ts.
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, newKey } from '../lib/api';
import { useI18n } from '../lib/i18n';
import { Alert, Check, errorText, Field, ListState, Ltr, Table } from '../lib/ui';
import { Confirm } from './Confirm';
import { fieldErrors, Select, useList } from './forms';
import { webhookWords } from './webhookWords';

interface Webhook {
  id: number;
  url: string;
  events: string[];
  description: string;
  active: boolean;
  created_at: string;
  secret?: string;
  previous_secret_expires_at?: string | null;
}

interface Delivery {
  id: number;
  event_id: string;
  type: string;
  status: string;
  reason: string | null;
  attempts: number;
  created_at: number;
  sent_at: number | null;
  replay_of: number | null;
  last_detail: string | null;
}

const msIso = (ms: number | null) => (ms ? new Date(ms).toISOString() : null);

/** A secret shown once: read-only text to select, and a button that copies it (or selects it when it cannot). */
function SecretOnce({ secret, note }: { secret: string; note?: string }) {
  const i = useI18n();
  const w = webhookWords(i.lang);
  const input = useRef<HTMLInputElement>(null);
  const [said, setSaid] = useState('');
  async function copy() {
    try {
      await navigator.clipboard.writeText(secret);
      setSaid(w.copied);
    } catch {
      input.current?.select();
      setSaid(w.copyFailed);
    }
  }
  return (
    <div class="alert ok" data-testid="secret">
      <p>{w.secretOnce}</p>
      {note && <p>{note}</p>}
      <div class="field">
        <label for="webhook-secret">{w.secret}</label>
        <input id="webhook-secret" ref={input} class="ltr" dir="ltr" readOnly value={secret} onFocus={(e) => (e.target as HTMLInputElement).select()} />
      </div>
      <button type="button" class="secondary" onClick={copy}>
        {w.copy}
      </button>
      <span role="status" class="muted copy-said">
        {said}
      </span>
    </div>
  );
}

export function Webhooks() {
  const i = useI18n();
  const w = webhookWords(i.lang);
  const list = useList<Webhook>('/api/v1/webhooks');
  const [events, setEvents] = useState<string[]>([]);
  const [url, setUrl] = useState('');
  const [chosen, setChosen] = useState<string[]>([]);
  const [description, setDescription] = useState('');
  const [errs, setErrs] = useState<Record<string, string>>({});
  const [msg, setMsg] = useState<{ ok: boolean; text: string } | null>(null);
  const [secret, setSecret] = useState<{ id: number; secret: string; note?: string } | null>(null);
  const [open, setOpen] = useState<number | null>(null);
  const [removing, setRemoving] = useState<Webhook | null>(null);
  const [rotating, setRotating] = useState<Webhook | null>(null);
  const [keep, setKeep] = useState('86400');

  useEffect(() => {
    api<{ items: string[] }>('GET', '/api/v1/webhooks/events').then(
      (r) => setEvents(r.items),
      (e) => setMsg({ ok: false, text: errorText(i.t, e) }),
    );
  }, []);

  const eventName = (e: string) => w.eventNames[e] ?? e;

  async function create(e: Event) {
    e.preventDefault();
    setMsg(null);
    try {
      const h = await api<Webhook>('POST', '/api/v1/webhooks', {
        body: { url: url.trim(), events: chosen, description: description.trim() },
        idempotencyKey: newKey(),
      });
      setSecret({ id: h.id, secret: h.secret ?? '' });
      setMsg({ ok: true, text: w.created(i.num(h.id)) });
      setUrl('');
      setChosen([]);
      setDescription('');
      setErrs({});
      list.reload();
    } catch (err) {
      setErrs(fieldErrors(err));
      setMsg({ ok: false, text: errorText(i.t, err) });
    }
  }

  async function setActive(h: Webhook, active: boolean) {
    try {
      await api('PATCH', `/api/v1/webhooks/${h.id}`, { body: { active }, idempotencyKey: newKey() });
      setMsg({ ok: true, text: active ? w.resumedDone : w.pausedDone });
      list.reload();
    } catch (err) {
      setMsg({ ok: false, text: errorText(i.t, err) });
    }
  }

  async function rotate(h: Webhook) {
    setRotating(null);
    try {
      const r = await api<Webhook>('POST', `/api/v1/webhooks/${h.id}/secret`, {
        body: { keep_previous_s: Number(keep) },
        idempotencyKey: newKey(),
      });
      const until = r.previous_secret_expires_at;
      setSecret({ id: h.id, secret: r.secret ?? '', note: until ? w.previousUntil(i.date(until)) : undefined });
      setMsg({ ok: true, text: w.rotated });
      list.reload();
    } catch (err) {
      setMsg({ ok: false, text: errorText(i.t, err) });
    }
  }

  async function remove(h: Webhook) {
    setRemoving(null);
    try {
      await api('DELETE', `/api/v1/webhooks/${h.id}`, { idempotencyKey: newKey() });
      setMsg({ ok: true, text: w.removed });
      if (open === h.id) setOpen(null);
      if (secret?.id === h.id) setSecret(null);
      list.reload();
    } catch (err) {
      setMsg({ ok: false, text: errorText(i.t, err) });
    }
  }

  return (
    <section aria-labelledby="webhooks-title">
      <h1 id="webhooks-title">{w.title}</h1>
      <p class="muted">{w.intro}</p>
      {msg && <Alert kind={msg.ok ? 'ok' : 'error'}>{msg.text}</Alert>}
      {secret && <SecretOnce key={secret.secret} secret={secret.secret} note={secret.note} />}
      <h2>{w.subscriptions}</h2>
      <ListState items={list.items} error={list.error} empty={w.none} emptyClass="muted">
        {(rows) => (
          <Table data-table="webhooks" columns={[w.url, w.events, w.description, w.status, w.actions]}>
            {rows.map((h) => (
              <tr data-webhook={h.id} data-active={String(h.active)}>
                <td>
                  <Ltr>{h.url}</Ltr>
                </td>
                <td>{h.events.map(eventName).join(i.lang === 'fa' ? '، ' : ', ')}</td>
                <td>
                  <bdi>{h.description}</bdi>
                </td>
                <td>{h.active ? w.active : w.paused}</td>
                <td class="actions">
                  <button
                    type="button"
                    class="link"
                    aria-expanded={open === h.id}
                    aria-controls="webhook-deliveries"
                    aria-label={`${w.details}: ${h.url}`}
                    onClick={() => setOpen(open === h.id ? null : h.id)}
                  >
                    {w.details}
                  </button>
                  <button type="button" class="link" aria-label={`${h.active ? w.pause : w.resume}: ${h.url}`} onClick={() => setActive(h, !h.active)}>
                    {h.active ? w.pause : w.resume}
                  </button>
                  <button type="button" class="link" aria-label={`${w.rotate}: ${h.url}`} onClick={() => setRotating(h)}>
                    {w.rotate}
                  </button>
                  <button type="button" class="link" aria-label={`${w.remove}: ${h.url}`} onClick={() => setRemoving(h)}>
                    {w.remove}
                  </button>
                </td>
              </tr>
            ))}
          </Table>
        )}
      </ListState>
      {open !== null && <Deliveries key={open} id={open} onClose={() => setOpen(null)} />}
      <Confirm
        open={removing !== null}
        text={removing ? w.confirmRemove(removing.url) : ''}
        yes={w.remove}
        no={w.cancel}
        onYes={() => removing && remove(removing)}
        onNo={() => setRemoving(null)}
      />
      <Confirm
        open={rotating !== null}
        text={w.rotateHint}
        yes={w.rotate}
        no={w.cancel}
        onYes={() => rotating && rotate(rotating)}
        onNo={() => setRotating(null)}
      >
        <p>{rotating && <Ltr>{rotating.url}</Ltr>}</p>
        <Select label={w.keepPrevious} value={keep} options={Object.entries(w.keepOptions)} onChange={setKeep} />
      </Confirm>
      <form class="card" aria-labelledby="webhook-form-title" onSubmit={create}>
        <h2 id="webhook-form-title">{w.newWebhook}</h2>
        <Field label={w.url} value={url} onInput={setUrl} type="url" hint={w.urlHint} required error={errs.url} />
        <fieldset class={errs.events ? 'invalid' : undefined} aria-describedby={errs.events ? 'webhook-events-err' : 'webhook-events-hint'}>
          <legend>{w.events}</legend>
          <small id="webhook-events-hint" class="hint">
            {w.eventsHint}
          </small>
          <div>
            {events.map((e) => (
              <Check
                label={eventName(e)}
                name={e}
                checked={chosen.includes(e)}
                onChange={(on) => setChosen(on ? [...chosen, e] : chosen.filter((x) => x !== e))}
              />
            ))}
          </div>
          {errs.events && (
            <small id="webhook-events-err" class="error-text">
              {errs.events}
            </small>
          )}
        </fieldset>
        <Field label={w.description} value={description} onInput={setDescription} dirAuto error={errs.description} />
        <button type="submit">{w.add}</button>
      </form>
    </section>
  );
}

/** A subscription's recent deliveries, newest first, each with its outcome and a button to send it again. */
function Deliveries({ id, onClose }: { id: number; onClose: () => void }) {
  const i = useI18n();
  const w = webhookWords(i.lang);
  const [items, setItems] = useState<Delivery[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [msg, setMsg] = useState<{ ok: boolean; text: string } | null>(null);
  const [n, setN] = useState(0);
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    heading.current?.focus();
  }, []);
  useEffect(() => {
    api<{ items: Delivery[] }>('GET', `/api/v1/webhooks/${id}/deliveries?limit=20`).then(
      (r) => (setItems(r.items), setError(null)),
      setError,
    );
  }, [id, n]);

  async function replay(d: Delivery) {
    try {
      const r = await api<{ id: number }>('POST', `/api/v1/webhooks/deliveries/${d.id}/replay`, { idempotencyKey: newKey() });
      setMsg({ ok: true, text: w.replayed(i.num(r.id)) });
      setN((x) => x + 1);
    } catch (err) {
      setMsg({ ok: false, text: errorText(i.t, err) });
    }
  }

  return (
    <section id="webhook-deliveries" class="card" aria-labelledby="deliveries-title" data-deliveries={id}>
      <div class="row-between">
        <h2 id="deliveries-title" tabIndex={-1} ref={heading}>
          {w.deliveriesOf(i.num(id))}
        </h2>
        <div>
          <button type="button" class="secondary" onClick={() => setN((x) => x + 1)}>
            {w.refresh}
          </button>{' '}
          <button type="button" class="secondary" onClick={onClose}>
            {w.close}
          </button>
        </div>
      </div>
      {msg && <Alert kind={msg.ok ? 'ok' : 'error'}>{msg.text}</Alert>}
      <ListState items={items} error={error} empty={w.noDeliveries} emptyClass="muted">
        {(rows) => (
          <Table
            data-table="deliveries"
            columns={[
              w.delivery,
              w.eventType,
              w.status,
              w.attempts,
              w.when,
              w.lastAnswer,
              w.actions,
            ]}
          >
            {rows.map((d) => (
              <tr data-delivery={d.id} data-status={d.status}>
                <td>{i.num(d.id)}</td>
                <td>{w.eventNames[d.type] ?? d.type}</td>
                <td>
                  {w.statuses[d.status] ?? d.status}
                  {d.reason && ` (${w.reasons[d.reason] ?? d.reason})`}
                </td>
                <td>{i.num(d.attempts)}</td>
                <td>{i.date(msIso(d.sent_at ?? d.created_at))}</td>
                <td>{d.last_detail && <Ltr>{d.last_detail}</Ltr>}</td>
                <td>
                  <button type="button" class="link" aria-label={w.replayOf(i.num(d.id))} onClick={() => replay(d)}>
                    {w.replay}
                  </button>
                </td>
              </tr>
            ))}
          </Table>
        )}
      </ListState>
    </section>
  );
}
