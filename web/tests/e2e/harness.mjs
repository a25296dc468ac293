// What every browser test needs: a real `linli serve` on a fresh demo subdistrict (SQLite in a
// temporary folder) serving the built web app, and Debian's Chromium driven by playwright-core.
import { spawn, execFileSync } from 'node:child_process'
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { createServer } from 'node:net'
import { chromium } from 'playwright-core'

const here = new URL('.', import.meta.url).pathname
export const webRoot = resolve(here, '../..')
export const binary = process.env.LINLI_BIN || resolve(webRoot, '../build/linli')
export const outputDir = process.env.LINLI_E2E_OUT || resolve(webRoot, '../build/e2e-output')
export const PASSWORD = 'Linli-demo-2026'

function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer()
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => ok(port)) })
    s.on('error', fail)
  })
}

// Starts the server on a demo subdistrict; resolves once /readyz answers.
export async function startLinli() {
  const dir = mkdtempSync(join(tmpdir(), 'linli-e2e-'))
  execFileSync(binary, ['--data-dir', dir, '--log-level', 'warn', 'demo'], { stdio: 'ignore' })
  const port = await freePort()
  // Every test signs in from this one address, in the browser and for its API set-up: more than the
  // default 20 a minute once the suite grew past a dozen tests (the limit itself: api_test).
  const proc = spawn(binary, ['--data-dir', dir, '--log-level', 'warn', 'serve', '--listen', `127.0.0.1:${port}`,
    '--login-rate', '120', '--static-dir', resolve(webRoot, 'dist')], { stdio: ['ignore', 'ignore', 'inherit'] })
  const base = `http://127.0.0.1:${port}`
  for (let i = 0; i < 200; i++) {
    try { if ((await fetch(base + '/readyz')).ok) break } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 50))
  }
  return {
    base,
    async stop() {
      proc.kill('SIGTERM')
      await new Promise((r) => proc.once('exit', r))
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run'],
  })
}

export const PHONE = { viewport: { width: 375, height: 740 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true }
export const DESKTOP = { viewport: { width: 1440, height: 900 } }

export async function screenshot(page, name) {
  mkdirSync(outputDir, { recursive: true })
  await page.screenshot({ path: join(outputDir, `${name}.png`), fullPage: true })
}

// Signs in through the console's form.
export async function consoleSignIn(page, base, username) {
  await page.goto(base + '/login')
  await page.getByLabel(/用户名|User name/).fill(username)
  await page.getByLabel(/密码|Password/).fill(PASSWORD)
  await page.getByRole('button', { name: /登录|Sign in/ }).click()
  await page.waitForSelector('[data-test="who"]')
}

// Signs in through the mobile H5's form.
export async function h5SignIn(page, base, username) {
  await page.goto(base + '/h5/login')
  await page.locator('[data-test="username"] input').fill(username)
  await page.locator('[data-test="password"] input').fill(PASSWORD)
  await page.locator('[data-test="sign-in"]').click()
  await page.waitForURL(/\/h5\/tasks/)
}

// A bearer token for setting up a scene through the API (the browser does what the test is about).
export async function token(base, username) {
  const r = await fetch(base + '/api/v1/auth/login', {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username, password: PASSWORD, bearer: true }),
  })
  if (!r.ok) throw new Error(`sign-in of ${username}: ${r.status}`)
  return (await r.json()).token
}

export async function apiCall(base, tok, method, path, body) {
  const r = await fetch(base + path, {
    method, headers: { Authorization: `Bearer ${tok}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await r.text()
  return { status: r.status, json: text ? JSON.parse(text) : null }
}
