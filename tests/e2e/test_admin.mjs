// Users, API keys and the audit log, by the owner: a user added in the form signs in with the role given; an API
// key made in the form works as a Bearer key until it is revoked there; the audit log lists both writes.
import { check, run } from './harness.mjs';
import { ownerPage } from './console.mjs';

await run('admin', async ({ server, b, shot }) => {
  const page = await ownerPage(b, server.base);

  // A user, added with the form.
  await page.getByRole('link', { name: 'Users' }).click();
  await page.getByRole('heading', { name: 'New user' }).waitFor();
  await page.getByLabel('Username').fill('mina');
  await page.getByLabel('Password').fill('mina-password-123');
  await page.getByLabel('Role', { exact: true }).selectOption('analyst');
  await page.getByRole('button', { name: 'Add', exact: true }).click();
  await page.getByText('User mina added.').waitFor();
  await page.locator('tr[data-user="mina"]').waitFor();
  const login = await fetch(`${server.base}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username: 'mina', password: 'mina-password-123' }),
  });
  check(login.status === 200, `the new user signs in (${login.status})`);
  const me = await fetch(`${server.base}/api/v1/auth/me`, { headers: { Cookie: login.headers.get('set-cookie').split(';')[0] } });
  check((await me.json()).role === 'analyst', 'with the role given');
  // Disabled in the list: she can no longer sign in.
  await page.getByRole('button', { name: 'Disable: mina' }).click();
  await page.getByRole('button', { name: 'Enable: mina' }).waitFor();
  const again = await fetch(`${server.base}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username: 'mina', password: 'mina-password-123' }),
  });
  check(again.status !== 200, `a disabled user cannot sign in (${again.status})`);
  await shot(page, 'users');

  // An API key: shown once, works, then revoked.
  await page.getByRole('link', { name: 'API keys' }).click();
  await page.getByRole('heading', { name: 'New API key' }).waitFor();
  await page.getByLabel('Name', { exact: true }).fill('till-7');
  await page.getByLabel('Role', { exact: true }).selectOption('cashier');
  await page.getByRole('button', { name: 'Add', exact: true }).click();
  const key = (await page.getByTestId('new-key').innerText()).trim();
  check(/^bgk_\d+_/.test(key), `the whole key is shown (${key.slice(0, 8)}…)`);
  const withKey = () => fetch(`${server.base}/api/v1/members?limit=1`, { headers: { Authorization: `Bearer ${key}` } });
  check((await withKey()).status === 200, 'the key reads members');
  await shot(page, 'key-created');
  await page.getByRole('button', { name: 'Revoke: till-7' }).click();
  await page.locator('tr', { hasText: 'till-7' }).getByText('Revoked').waitFor();
  check((await withKey()).status === 401, 'the revoked key is refused');

  // The audit log lists the writes.
  await page.getByRole('link', { name: 'Audit log' }).click();
  await page.getByRole('heading', { name: 'Audit log' }).waitFor();
  await page.locator('tr[data-action="user.create"]').first().waitFor();
  for (const action of ['user.create', 'user.update', 'apikey.create', 'apikey.revoke'])
    check((await page.locator(`tr[data-action="${action}"]`).count()) >= 1, `the audit log lists ${action}`);
  await page.locator('tr[data-action="user.create"]').last().getByText('Show the change').click();
  const change = await page.locator('tr[data-action="user.create"]').last().locator('pre').innerText();
  check(change.includes('mina'), 'the change shows the user made');
  await shot(page, 'audit');
  check(page.errors.length === 0, `no errors in the browser console: ${page.errors.join(' | ')}`);
});
