// Helpers for the console's management pages: sign in as the owner, and call the API from the signed-in page
// (its session cookie and CSRF token), so a test checks what the page did against what the server holds.
import { check, OWNER_PASSWORD } from './harness.mjs';

export async function ownerPage(b, base, lang = 'en') {
  const page = await b.context(lang === 'fa' ? 'fa-IR' : 'en-US');
  await page.goto(`${base}/?lang=${lang}`);
  await page.getByLabel(lang === 'fa' ? 'نام کاربری' : 'Username').fill('owner');
  await page.getByLabel(lang === 'fa' ? 'گذرواژه' : 'Password').fill(OWNER_PASSWORD);
  await page.getByRole('button', { name: lang === 'fa' ? 'ورود' : 'Sign in' }).click();
  await page.getByRole('heading', { name: lang === 'fa' ? 'داشبورد' : 'Dashboard' }).waitFor();
  return page;
}

/** A request from the page, as the app makes it; returns {status, body}. */
export async function apiFrom(page, method, path, body, headers = {}) {
  return page.evaluate(
    async ([method, path, body, headers]) => {
      const h = { Accept: 'application/json', ...headers };
      const token = sessionStorage.getItem('bashgah.staff.csrf');
      if (method !== 'GET' && token) h['X-CSRF-Token'] = token;
      if (body !== null) h['Content-Type'] = 'application/json';
      if (method !== 'GET') h['Idempotency-Key'] = Math.random().toString(36).slice(2) + Date.now();
      const r = await fetch(path, { method, headers: h, body: body === null ? undefined : JSON.stringify(body) });
      const text = await r.text();
      let doc = null;
      try {
        doc = text ? JSON.parse(text) : null;
      } catch {
        doc = text;
      }
      return { status: r.status, body: doc };
    },
    [method, path, body ?? null, headers],
  );
}

/** A member made through the API, with a purchase of `amount` rials when given. */
export async function memberWithPurchase(page, given, amount) {
  const phone = `0912${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`;
  const m = await apiFrom(page, 'POST', '/api/v1/members', { given_name: given, family_name: 'Test', phone, locale: 'en' });
  check(m.status === 201, `member ${given} created (${m.status} ${JSON.stringify(m.body)})`);
  if (amount) {
    const tx = await apiFrom(page, 'POST', '/api/v1/transactions', {
      type: 'purchase',
      member_id: m.body.id,
      store: 'main',
      txn_id: `t-${given}-${Date.now()}`,
      amount,
    });
    check(tx.status === 201 || tx.status === 200, `purchase for ${given} (${tx.status} ${JSON.stringify(tx.body)})`);
  }
  return m.body;
}
