// Each role sees only what it may use: an analyst reads (dashboard, members, a member's page, the budget and the
// plans) but is offered no member forms, no cashier screen and no portal code; a cashier gets the cashier screen
// and the portal code but cannot reach the others' pages by typing their address. Signed in by keyboard alone.
import { check, OWNER_PASSWORD, run } from './harness.mjs';

/** A staff user made through the API with the owner's session. */
async function addUser(base, username, role) {
  const login = await fetch(`${base}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username: 'owner', password: OWNER_PASSWORD }),
  });
  const cookie = login.headers.get('set-cookie').split(';')[0];
  const { csrf_token } = await login.json();
  const password = `${role}-password-123`;
  const r = await fetch(`${base}/api/v1/users`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Cookie: cookie, 'X-CSRF-Token': csrf_token },
    body: JSON.stringify({ username, password, role }),
  });
  check(r.status === 201, `user ${username} created (${r.status})`);
  return password;
}

async function signInByKeyboard(page, base, username, password) {
  await page.goto(`${base}/?lang=en`);
  await page.getByLabel('Username').focus();
  await page.keyboard.type(username);
  await page.keyboard.press('Tab');
  await page.keyboard.type(password);
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
}

async function navLinks(page) {
  return (await page.getByRole('navigation', { name: 'Main menu' }).getByRole('link').allInnerTexts()).map((s) => s.trim());
}

await run('roles', async ({ server, b, shot }) => {
  const analystPassword = await addUser(server.base, 'ana', 'analyst');
  const cashierPassword = await addUser(server.base, 'cas', 'cashier');

  const analyst = await b.context('en-US');
  await signInByKeyboard(analyst, server.base, 'ana', analystPassword);
  let links = await navLinks(analyst);
  check(JSON.stringify(links) === JSON.stringify(['Dashboard', 'Members', 'Segments', 'Surveys', 'Messages', 'Budget', 'Plans', 'Campaigns', 'Moments', 'Templates']), `analyst menu (got ${links})`);
  await analyst.getByRole('link', { name: 'Members' }).click();
  await analyst.locator('tbody tr a').first().click();
  await analyst.getByRole('heading', { name: 'Points history' }).waitFor();
  check((await analyst.getByRole('link', { name: 'Edit' }).count()) === 0, 'analyst gets no edit button');
  check((await analyst.getByRole('button', { name: 'Show the waiting code' }).count()) === 0, 'analyst gets no portal code');
  await shot(analyst, 'analyst-member');
  await analyst.goto(`${server.base}/cashier?lang=en`);
  await analyst.getByRole('heading', { name: 'Dashboard' }).waitFor();
  check((await analyst.getByRole('heading', { name: 'Cashier' }).count()) === 0, 'analyst cannot open the cashier screen');
  for (const page of ['/users', '/rewards', '/audit']) {
    await analyst.goto(`${server.base}${page}?lang=en`);
    await analyst.getByRole('heading', { name: 'Dashboard' }).waitFor();
    check((await analyst.locator('h1').count()) === 1, `analyst cannot open ${page}`);
  }

  const cashier = await b.context('en-US');
  await signInByKeyboard(cashier, server.base, 'cas', cashierPassword);
  links = await navLinks(cashier);
  check(JSON.stringify(links) === JSON.stringify(['Dashboard', 'Members', 'New member', 'Cashier']), `cashier menu (got ${links})`);
  await cashier.getByRole('link', { name: 'Cashier' }).click();
  await cashier.getByRole('heading', { name: 'Cashier' }).waitFor();
  await shot(cashier, 'cashier-screen');
});
