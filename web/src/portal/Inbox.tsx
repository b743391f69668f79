// The member's inbox in the portal: the club's messages sent to the inbox channel, newest first, unread ones
// marked; opening one marks it read (POST /api/v1/portal/inbox/{id}/read).
import { useEffect, useState } from 'preact/hooks';
import { api } from '../lib/api';
import { useI18n } from '../lib/i18n';

interface Message {
  id: number;
  subject: string;
  body: string;
  received_at: string;
  read: boolean;
}

const words = {
  en: { inbox: 'Messages', unread: (n: string) => `${n} unread`, empty: 'No messages yet.', isNew: 'new' },
  fa: { inbox: 'پیام‌ها', unread: (n: string) => `${n} خوانده‌نشده`, empty: 'هنوز پیامی نیست.', isNew: 'تازه' },
};

export function Inbox() {
  const i = useI18n();
  const w = words[i.lang];
  const [items, setItems] = useState<Message[] | null>(null);
  const [unread, setUnread] = useState(0);
  const load = () =>
    api<{ unread: number; items: Message[] }>('GET', '/api/v1/portal/inbox', { realm: 'portal' }).then(
      (r) => {
        setItems(r.items);
        setUnread(r.unread);
      },
      () => setItems([]),
    );
  useEffect(() => {
    load();
  }, []);
  async function opened(m: Message) {
    if (m.read) return;
    try {
      await api('POST', `/api/v1/portal/inbox/${m.id}/read`, { realm: 'portal' });
      load();
    } catch {
      /* stays unread */
    }
  }
  if (items === null) return null;
  return (
    <section class="card" aria-labelledby="inbox-h">
      <h2 id="inbox-h">
        {w.inbox} {unread > 0 && <span class="muted" data-testid="unread">({w.unread(i.num(unread))})</span>}
      </h2>
      {items.length === 0 ? (
        <p class="muted">{w.empty}</p>
      ) : (
        <ul class="inbox">
          {items.map((m) => (
            <li data-read={m.read ? 'yes' : 'no'}>
              <details onToggle={(e) => (e.target as HTMLDetailsElement).open && opened(m)}>
                <summary>
                  {!m.read && <strong class="badge">{w.isNew}</strong>} <bdi>{m.subject}</bdi> <span class="muted">{i.date(m.received_at)}</span>
                </summary>
                <p class="pre" dir="auto">
                  {m.body}
                </p>
              </details>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
