// Renders a management page once its chunk (staff/admin.ts) has loaded; the first visit shows "Loading…".
import type { VNode } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { Alert, errorText, Loading } from '../lib/ui';
import { useI18n } from '../lib/i18n';

type Admin = typeof import('./admin');
let loaded: Admin | null = null;

export function Lazy({ render }: { render: (a: Admin) => VNode }) {
  const { t } = useI18n();
  const [a, setA] = useState<Admin | null>(loaded);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    if (!a)
      import('./admin').then((m) => {
        loaded = m;
        setA(m);
      }, setError);
  }, []);
  if (error) return <Alert>{errorText(t, error)}</Alert>;
  return a ? render(a) : <Loading />;
}
