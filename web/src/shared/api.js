// The one way the web app talks to Linli: fetch with the session cookie, the CSRF token on every
// change, JSON in and out, and errors turned into ApiError with the field the server named.
// A 401 means the session ended: listeners (the sign-in dialog) are told, and the call waits for a
// new sign-in and is then retried, so the form the user was filling is not lost.

const CSRF_KEY = 'linli.csrf'

export class ApiError extends Error {
  constructor(status, code, message, field) {
    super(message)
    this.status = status
    this.code = code
    this.field = field || null
  }
}

let csrf = localStorage.getItem(CSRF_KEY) || ''
let expiredListeners = []
let waitingForSignIn = null  // a promise resolved when someone signs in again

export function setCsrf(token) {
  csrf = token || ''
  if (csrf) localStorage.setItem(CSRF_KEY, csrf)
  else localStorage.removeItem(CSRF_KEY)
}

export function onSessionExpired(fn) {
  expiredListeners.push(fn)
  return () => { expiredListeners = expiredListeners.filter((f) => f !== fn) }
}

function sessionExpired() {
  if (!waitingForSignIn) {
    let resolve
    waitingForSignIn = new Promise((r) => { resolve = r })
    waitingForSignIn.resolve = resolve
    for (const fn of expiredListeners) fn()
  }
  return waitingForSignIn
}

async function send(method, path, { body, query, headers = {}, raw = false, retryOn401 = true, allow = [] } = {}) {
  let url = path
  if (query) {
    const q = new URLSearchParams()
    for (const [k, v] of Object.entries(query)) {
      if (v !== undefined && v !== null && v !== '') q.set(k, String(v))
    }
    const s = q.toString()
    if (s) url += (url.includes('?') ? '&' : '?') + s
  }
  const init = { method, credentials: 'same-origin', headers: { Accept: 'application/json', ...headers } }
  if (method !== 'GET' && method !== 'HEAD' && csrf) init.headers['X-CSRF-Token'] = csrf
  if (body instanceof Blob || body instanceof ArrayBuffer || body instanceof FormData) {
    init.body = body
  } else if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json'
    init.body = JSON.stringify(body)
  }
  let resp
  try {
    resp = await fetch(url, init)
  } catch (e) {
    throw new ApiError(0, 'network', 'network', null)
  }
  const signInPath = path.startsWith('/api/v1/auth/login')
  if (resp.status === 401 && retryOn401 && !signInPath && !path.startsWith('/api/v1/public/')) {
    await sessionExpired()
    return send(method, path, { body, query, headers, raw, retryOn401: false, allow })
  }
  if (!resp.ok && !allow.includes(resp.status)) {
    let code = 'error', message = resp.statusText, field = null
    try {
      const e = (await resp.json()).error || {}
      code = e.code || code
      message = e.message || message
      field = e.field || null
    } catch { /* not JSON */ }
    throw new ApiError(resp.status, code, message, field)
  }
  if (raw) return resp
  if (resp.status === 204) return null
  const type = resp.headers.get('content-type') || ''
  return type.includes('json') ? resp.json() : resp.text()
}

export const api = {
  get: (path, query, opts) => send('GET', path, { query, ...opts }),
  post: (path, body, opts) => send('POST', path, { body, ...opts }),
  put: (path, body, opts) => send('PUT', path, { body, ...opts }),
  patch: (path, body, opts) => send('PATCH', path, { body, ...opts }),
  del: (path, opts) => send('DELETE', path, opts),
}

// Signs in with the session cookie and keeps the CSRF token; wakes the calls waiting on a 401.
export async function signIn(username, password) {
  const r = await send('POST', '/api/v1/auth/login', { body: { username, password }, retryOn401: false })
  setCsrf(r.csrf_token)
  if (waitingForSignIn) {
    const w = waitingForSignIn
    waitingForSignIn = null
    w.resolve()
  }
  return r
}

export async function signOut() {
  try { await send('POST', '/api/v1/auth/logout', { retryOn401: false }) } catch { /* already out */ }
  setCsrf('')
}

// The signed-in user with their grants, or null.
export async function currentUser() {
  try {
    return await send('GET', '/api/v1/auth/me', { retryOn401: false })
  } catch (e) {
    if (e.status === 401) return null
    throw e
  }
}

// Follows a node's cases live (server-sent events); calls onChange({node_id, child_id}) at most
// every `quietMs` per burst. Returns a function that stops following.
export function followCases(nodeId, onChange, { onReady, quietMs = 300 } = {}) {
  const source = new EventSource(`/api/v1/live/cases?node_id=${encodeURIComponent(nodeId)}`)
  let timer = null, last = null
  source.addEventListener('ready', () => onReady && onReady())
  source.addEventListener('cases', (ev) => {
    last = JSON.parse(ev.data)
    if (timer) return
    timer = setTimeout(() => { timer = null; onChange(last) }, quietMs)
  })
  return () => { source.close(); if (timer) clearTimeout(timer) }
}

// Permission checks on the grants of /auth/me (the server decides; this only hides buttons).
export function may(user, permission, path = null) {
  if (!user) return false
  return (user.grants || []).some((g) => g.permissions.includes(permission) && (!path || path.startsWith(g.node_path)))
}
