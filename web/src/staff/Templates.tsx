// Message templates (docs/messages.md, "Saved templates"): the list, a form to create one or change it (a name, the
// subject and the text in English and Persian; the server checks the variables and names the field and language
// of an error), deleting after a question, and a preview for a chosen member in their own language. Everyone who
// reads segments reads and previews them (PERM_SEGMENT_READ); those who write segments change them. A template's
// HTML part, which the API also takes, is left as it is by this form. Words in templateWords.ts.
import { useRef, useState } from 'preact/hooks';
import { api, newKey } from '../lib/api';
import { useI18n } from '../lib/i18n';
import { Alert, errorText, Field, ListState, Ltr, Table } from '../lib/ui';
import { Confirm } from './Confirm';
import { fieldErrors, Select, TextArea, useList, wholeOrNull } from './forms';
import { templateWords } from './templateWords';

type Texts = { en?: string; fa?: string };

interface Template {
  id: number;
  name: string;
  subject?: Texts | null;
  body: Texts;
  created_by: string;
  updated_at: string;
}

interface Preview {
  locale: string;
  subject?: string;
  body: string;
}

function texts(en: string, fa: string): Texts | null {
  const o: Texts = {};
  if (en.trim()) o.en = en;
  if (fa.trim()) o.fa = fa;
  return o.en !== undefined || o.fa !== undefined ? o : null;
}

export function Templates({ canWrite }: { canWrite: boolean }) {
  const i = useI18n();
  const w = templateWords(i.lang);
  const list = useList<Template>('/api/v1/templates');
  const [editing, setEditing] = useState<Template | null>(null);
  const [name, setName] = useState('');
  const [subjectEn, setSubjectEn] = useState('');
  const [subjectFa, setSubjectFa] = useState('');
  const [bodyEn, setBodyEn] = useState('');
  const [bodyFa, setBodyFa] = useState('');
  const [errs, setErrs] = useState<Record<string, string>>({});
  const [msg, setMsg] = useState<{ ok: boolean; text: string } | null>(null);
  const [removing, setRemoving] = useState<Template | null>(null);
  const [chosen, setChosen] = useState('');
  const [member, setMember] = useState('');
  const [preview, setPreview] = useState<Preview | null>(null);
  const [previewErrs, setPreviewErrs] = useState<Record<string, string>>({});
  const [previewMsg, setPreviewMsg] = useState<string | null>(null);
  const form = useRef<HTMLFormElement>(null);
  const previewCard = useRef<HTMLFormElement>(null);

  function fill(t: Template | null) {
    setEditing(t);
    setName(t?.name ?? '');
    setSubjectEn(t?.subject?.en ?? '');
    setSubjectFa(t?.subject?.fa ?? '');
    setBodyEn(t?.body?.en ?? '');
    setBodyFa(t?.body?.fa ?? '');
    setErrs({});
  }

  function startEdit(t: Template) {
    fill(t);
    setMsg(null);
    form.current?.querySelector('input')?.focus();
  }

  async function save(e: Event) {
    e.preventDefault();
    setMsg(null);
    const subject = texts(subjectEn, subjectFa);
    const body: Record<string, unknown> = { name: name.trim(), body: texts(bodyEn, bodyFa) ?? {} };
    if (subject) body.subject = subject;
    else if (editing) body.subject = null; /* a merge patch: null removes it */
    try {
      if (editing) await api('PATCH', `/api/v1/templates/${editing.id}`, { body, idempotencyKey: newKey() });
      else await api('POST', '/api/v1/templates', { body, idempotencyKey: newKey() });
      setMsg({ ok: true, text: editing ? w.saved : w.created });
      fill(null);
      list.reload();
    } catch (err) {
      setErrs(fieldErrors(err));
      setMsg({ ok: false, text: errorText(i.t, err) });
    }
  }

  async function remove(t: Template) {
    setRemoving(null);
    try {
      await api('DELETE', `/api/v1/templates/${t.id}`, { idempotencyKey: newKey() });
      setMsg({ ok: true, text: w.removed });
      if (editing?.id === t.id) fill(null);
      if (chosen === String(t.id)) setChosen('');
      list.reload();
    } catch (err) {
      setMsg({ ok: false, text: errorText(i.t, err) });
    }
  }

  async function showPreview(e: Event) {
    e.preventDefault();
    setPreview(null);
    setPreviewMsg(null);
    const id = chosen || String(list.items?.[0]?.id ?? '');
    try {
      const p = await api<Preview>('POST', `/api/v1/templates/${id}/preview`, { body: { member: wholeOrNull(member) } });
      setPreview(p);
      setPreviewErrs({});
    } catch (err) {
      setPreviewErrs(fieldErrors(err));
      setPreviewMsg(errorText(i.t, err));
    }
  }

  function previewOf(t: Template) {
    setChosen(String(t.id));
    setPreview(null);
    previewCard.current?.querySelector('input')?.focus();
  }

  const options: [string, string][] = (list.items ?? []).map((t) => [String(t.id), t.name]);

  return (
    <section aria-labelledby="templates-title">
      <h1 id="templates-title">{w.title}</h1>
      <p class="muted">{w.intro}</p>
      <ListState items={list.items} error={list.error} empty={w.none} emptyClass="muted">
        {(rows) => (
          <Table data-table="templates" columns={[w.name, w.createdBy, w.updated, w.actions]}>
            {rows.map((t) => (
              <tr data-template={t.id}>
                <td>
                  <bdi>{t.name}</bdi>
                </td>
                <td>
                  <Ltr>{t.created_by}</Ltr>
                </td>
                <td>{i.date(t.updated_at)}</td>
                <td class="actions">
                  <button type="button" class="link" aria-label={w.previewOf(t.name)} onClick={() => previewOf(t)}>
                    {w.preview}
                  </button>
                  {canWrite && (
                    <>
                      <button type="button" class="link" aria-label={w.editOf(t.name)} onClick={() => startEdit(t)}>
                        {w.edit}
                      </button>
                      <button type="button" class="link" aria-label={w.removeOf(t.name)} onClick={() => setRemoving(t)}>
                        {w.remove}
                      </button>
                    </>
                  )}
                </td>
              </tr>
            ))}
          </Table>
        )}
      </ListState>
      <Confirm
        open={removing !== null}
        text={removing ? w.confirmRemove(removing.name) : ''}
        yes={w.remove}
        no={w.cancel}
        onYes={() => removing && remove(removing)}
        onNo={() => setRemoving(null)}
      />
      {list.items !== null && list.items.length > 0 && (
        <form class="card" aria-labelledby="template-preview-title" onSubmit={showPreview} ref={previewCard}>
          <h2 id="template-preview-title">{w.previewTitle}</h2>
          {previewMsg && <Alert>{previewMsg}</Alert>}
          <div class="cols">
            <Select label={w.template} value={chosen || options[0]?.[0] || ''} options={options} onChange={setChosen} />
            <Field label={w.member} value={member} onInput={setMember} inputMode="numeric" hint={w.memberHint} required error={previewErrs.member} />
          </div>
          <button type="submit" class="secondary">
            {w.show}
          </button>
          {preview && (
            <div class="alert info" role="status" data-testid="template-preview" data-locale={preview.locale}>
              <p class="muted">{w.inLanguage[preview.locale] ?? preview.locale}</p>
              <div lang={preview.locale} dir={preview.locale === 'fa' ? 'rtl' : 'ltr'}>
                {preview.subject && <strong>{preview.subject}</strong>}
                <p class="pre">{preview.body}</p>
              </div>
            </div>
          )}
        </form>
      )}
      {canWrite && (
        <form class="card" aria-labelledby="template-form-title" onSubmit={save} ref={form}>
          <h2 id="template-form-title">{editing ? w.editing(editing.name) : w.newTemplate}</h2>
          {msg && <Alert kind={msg.ok ? 'ok' : 'error'}>{msg.text}</Alert>}
          <Field label={w.name} value={name} onInput={setName} required dirAuto error={errs.name} />
          <p class="hint">{w.hint}</p>
          <div class="cols">
            <Field label={w.subjectEn} value={subjectEn} onInput={setSubjectEn} error={errs['subject.en'] ?? errs.subject} />
            <Field label={w.subjectFa} value={subjectFa} onInput={setSubjectFa} dirAuto error={errs['subject.fa']} />
            <TextArea label={w.bodyEn} value={bodyEn} onInput={setBodyEn} error={errs['body.en'] ?? errs.body} />
            <TextArea label={w.bodyFa} value={bodyFa} onInput={setBodyFa} error={errs['body.fa']} />
          </div>
          <div class="row-end">
            {editing && (
              <button type="button" class="secondary" onClick={() => fill(null)}>
                {w.cancel}
              </button>
            )}
            <button type="submit">{editing ? w.save : w.create}</button>
          </div>
        </form>
      )}
      {!canWrite && msg && <Alert kind={msg.ok ? 'ok' : 'error'}>{msg.text}</Alert>}
    </section>
  );
}
