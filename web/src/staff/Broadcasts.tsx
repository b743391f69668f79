// Messages to members (docs/messages.md): write a broadcast — audience (every member, a class, a segment),
// channel (the portal inbox, email, SMS), subject and text in both languages with {given_name}, {points}...
// — preview it for one member as they would get it, send it, and read its report (recipients and the
// messages by status). There is no list of broadcasts in the API: a report is looked up by its number.
import { useEffect, useState } from 'preact/hooks';
import { api, newKey } from '../lib/api';
import { Alert, errorText, Field, Loading } from '../lib/ui';
import { useConsole } from './consoleWords';
import { dateOrNull, fieldErrors, Select, TextArea, useList, wholeOrNull } from './forms';

interface Broadcast {
  id: number;
  channel: string;
  recipients: number;
  created_at: string;
  send_at?: string;
  counts: Record<string, number>;
  reasons?: Record<string, Record<string, number>>;
}

const CLASSES = ['new', 'main', 'occasional', 'at_risk', 'lapsed', 'prospect'];

function localized(en: string, fa: string): Record<string, string> | undefined {
  const o: Record<string, string> = {};
  if (en.trim()) o.en = en.trim();
  if (fa.trim()) o.fa = fa.trim();
  return Object.keys(o).length ? o : undefined;
}

export function Broadcasts({ canSend }: { canSend: boolean }) {
  const i = useConsole();
  const { t, w } = i;
  const [audience, setAudience] = useState('all');
  const [cls, setCls] = useState('main');
  const [segment, setSegment] = useState('');
  const [channel, setChannel] = useState('inbox');
  const [subjectEn, setSubjectEn] = useState('');
  const [subjectFa, setSubjectFa] = useState('');
  const [bodyEn, setBodyEn] = useState('');
  const [bodyFa, setBodyFa] = useState('');
  const [sendAt, setSendAt] = useState('');
  const [previewMember, setPreviewMember] = useState('');
  const [preview, setPreview] = useState<{ locale: string; subject?: string; body: string } | null>(null);
  const [errs, setErrs] = useState<Record<string, string>>({});
  const [msg, setMsg] = useState<{ ok: boolean; text: string } | null>(null);
  const [shown, setShown] = useState<number | null>(null);
  const [lookUp, setLookUp] = useState('');
  const segments = useList<{ id: number; name: string }>('/api/v1/segments?limit=200');

  const content = () => ({ subject: localized(subjectEn, subjectFa), body: localized(bodyEn, bodyFa) ?? {} });

  async function showPreview() {
    setPreview(null);
    try {
      const p = await api<{ locale: string; subject?: string; body: string }>('POST', '/api/v1/broadcasts/preview', {
        body: { member: wholeOrNull(previewMember), channel, ...content() },
      });
      setPreview(p);
      setErrs({});
    } catch (err) {
      setErrs(fieldErrors(err));
      setMsg({ ok: false, text: errorText(t, err) });
    }
  }

  async function send(e: Event) {
    e.preventDefault();
    const body: Record<string, unknown> = {
      audience: audience === 'all' ? { all: true } : audience === 'class' ? { class: cls } : { segment: Number(segment) },
      channel,
      ...content(),
    };
    const at = dateOrNull(sendAt);
    if (at) body.send_at = at;
    try {
      const b = await api<Broadcast>('POST', '/api/v1/broadcasts', { body, idempotencyKey: newKey() });
      setErrs({});
      setMsg({ ok: true, text: w.sent(i.num(b.recipients)) });
      setShown(b.id);
    } catch (err) {
      setErrs(fieldErrors(err));
      setMsg({ ok: false, text: errorText(t, err) });
    }
  }

  return (
    <section aria-labelledby="broadcasts-title">
      <h1 id="broadcasts-title">{w.broadcasts}</h1>
      {canSend && (
        <form class="card" aria-labelledby="broadcast-form-title" onSubmit={send}>
          <h2 id="broadcast-form-title">{w.newBroadcast}</h2>
          {msg && <Alert kind={msg.ok ? 'ok' : 'error'}>{msg.text}</Alert>}
          <div class="cols">
            <Select label={w.audience} value={audience} options={Object.entries(w.audiences).filter(([k]) => k !== 'contacts')} onChange={setAudience} error={errs.audience} />
            {audience === 'class' && <Select label={w.className} value={cls} options={CLASSES.map((c) => [c, w.classes[c]])} onChange={setCls} />}
            {audience === 'segment' && (
              <Select
                label={w.segmentId}
                value={segment}
                options={[['', '—'], ...(segments.items ?? []).map((s) => [String(s.id), s.name] as [string, string])]}
                onChange={setSegment}
                error={errs['audience.segment']}
              />
            )}
            <Select label={w.channel} value={channel} options={Object.entries(w.channels)} onChange={setChannel} error={errs.channel} />
            <Field label={w.sendAt} value={sendAt} onInput={setSendAt} hint={w.sendAtHint} error={errs.send_at} />
          </div>
          <p class="hint">{w.templateHint}</p>
          <div class="cols">
            {channel !== 'sms' && <Field label={w.subjectEn} value={subjectEn} onInput={setSubjectEn} error={errs['subject.en'] ?? errs.subject} />}
            {channel !== 'sms' && <Field label={w.subjectFa} value={subjectFa} onInput={setSubjectFa} dirAuto error={errs['subject.fa']} />}
            <TextArea label={w.bodyEn} value={bodyEn} onInput={setBodyEn} error={errs['body.en'] ?? errs.body} />
            <TextArea label={w.bodyFa} value={bodyFa} onInput={setBodyFa} error={errs['body.fa']} />
          </div>
          <div class="toolbar">
            <Field label={w.previewFor} value={previewMember} onInput={setPreviewMember} inputMode="numeric" error={errs.member} />
            <button type="button" class="secondary" onClick={showPreview}>
              {w.preview}
            </button>
          </div>
          {preview && (
            <div class="alert info" role="status" data-testid="preview" lang={preview.locale} dir={preview.locale === 'fa' ? 'rtl' : 'ltr'}>
              {preview.subject && <strong>{preview.subject}</strong>}
              <p class="pre">{preview.body}</p>
            </div>
          )}
          <button type="submit">{w.send}</button>
        </form>
      )}
      <form
        class="toolbar"
        onSubmit={(e) => {
          e.preventDefault();
          const n = wholeOrNull(lookUp);
          if (n) setShown(n);
        }}
      >
        <Field label={w.lookUp} value={lookUp} onInput={setLookUp} inputMode="numeric" />
        <button type="submit" class="secondary">
          {w.show}
        </button>
      </form>
      {shown !== null && <BroadcastReport key={shown} id={shown} />}
    </section>
  );
}

function BroadcastReport({ id }: { id: number }) {
  const i = useConsole();
  const { t, w } = i;
  const [b, setB] = useState<Broadcast | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [n, setN] = useState(0);
  useEffect(() => {
    setError(null);
    api<Broadcast>('GET', `/api/v1/broadcasts/${id}`).then(setB, setError);
  }, [id, n]);
  if (error) return <Alert>{errorText(t, error)}</Alert>;
  if (!b) return <Loading />;
  return (
    <section class="card" aria-labelledby="report-title" data-broadcast={b.id}>
      <div class="row-between">
        <h2 id="report-title">{w.report(i.num(b.id))}</h2>
        <button type="button" class="secondary" onClick={() => setN((x) => x + 1)}>
          {t.refresh}
        </button>
      </div>
      <dl class="pairs">
        <dt>{w.channel}</dt>
        <dd>{w.channels[b.channel] ?? b.channel}</dd>
        <dt>{w.recipients}</dt>
        <dd data-testid="recipients">{i.num(b.recipients)}</dd>
        <dt>{w.created}</dt>
        <dd>{i.date(b.created_at)}</dd>
        {Object.entries(b.counts ?? {}).map(([status, c]) => (
          <>
            <dt>{w.statuses[status] ?? status}</dt>
            <dd data-status={status}>{i.num(c)}</dd>
          </>
        ))}
      </dl>
    </section>
  );
}
