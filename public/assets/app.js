// The script of the service's pages (/, /login, /register, …; /account adds account.js). It calls the JSON API in cookie
// mode: the refresh token stays in an HttpOnly cookie this script cannot read, and the access
// token lives only in this variable, renewed silently before it expires and after a reload.
'use strict'

let accessToken = null
let refreshTimer
// Where the JSON API is mounted (/auth, or elsewhere when a compatibility profile serves /auth).
const API = document.body.dataset.api

async function api (path, { method = 'GET', body, bearer = false } = {}) {
  const headers = {}
  if (body !== undefined) headers['content-type'] = 'application/json'
  if (bearer && accessToken !== null) headers.authorization = `Bearer ${accessToken}`
  let response
  try {
    response = await fetch(API + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin' })
  } catch {
    return { ok: false, status: 0, data: { code: 'NETWORK' } }
  }
  const data = await response.json().catch(() => ({}))
  return { ok: response.ok, status: response.status, data, retryAfter: Number(response.headers.get('retry-after')) }
}

/** Keeps the new access token in memory and plans its renewal a little before it expires. */
function keep (tokens) {
  accessToken = tokens.accessToken
  clearTimeout(refreshTimer)
  const lead = Math.min(60, tokens.expiresIn / 5)
  refreshTimer = setTimeout(refresh, (tokens.expiresIn - lead) * 1000)
}

/** A new access token from the refresh cookie; false when there is no live session. */
async function refresh () {
  const result = await api('/refresh', { method: 'POST', body: {} })
  if (result.ok) {
    keep(result.data)
    return true
  }
  accessToken = null
  return false
}

function wait (seconds) {
  if (!(seconds > 0)) return 'a moment'
  if (seconds < 90) return `${Math.ceil(seconds)} seconds`
  return `${Math.ceil(seconds / 60)} minutes`
}

const FIELD_NAMES = {
  email: 'The email',
  username: 'The username',
  name: 'The name',
  password: 'The password',
  confirmPassword: 'The repeated password',
  code: 'The code',
  recoveryCode: 'The recovery code',
  currentPassword: 'The current password',
  newEmail: 'The new email',
  newPassword: 'The new password',
  confirmNewPassword: 'The repeated password'
}

/** An API message about one field, in plain words. */
function fieldMessage (field, message) {
  const text = message
    .replace(/^must NOT have fewer than (\d+) characters$/, 'must be at least $1 characters long')
    .replace(/^must NOT have more than (\d+) characters$/, 'must be at most $1 characters long')
    .replace(/^must equal (password|newPassword)$/, 'must be the same as the password')
  return `${FIELD_NAMES[field] ?? field} ${text}.`
}

/** What went wrong, in words a person understands. */
function explain (result) {
  const { data, retryAfter } = result
  switch (data.code) {
    case 'INVALID_CREDENTIALS': return 'The email, username or password is wrong.'
    case 'EMAIL_TAKEN': return 'An account with this email already exists. Log in instead?'
    case 'USERNAME_TAKEN': return 'This username is taken. Choose another one.'
    case 'TOO_MANY_ATTEMPTS': return `Too many failed attempts for this account. Try again in ${wait(retryAfter)}.`
    case 'RATE_LIMITED': return `Too many requests from your network. Try again in ${wait(retryAfter)}.`
    case 'SIGNUP_CAPACITY_REACHED': return `We are taking no new accounts just now. Try again in ${wait(retryAfter)}.`
    case 'OVERLOADED': return `The service is busy. Try again in ${wait(retryAfter)}.`
    case 'INVALID_CODE': return 'The code or link is wrong, expired or already used. Ask for a new message.'
    case 'EMAIL_NOT_VERIFIED': return 'Verify your email address first: follow the link of the message we sent you.'
    case 'PASSWORD_TOO_COMMON': return data.message
    case 'INVALID_MFA_TOKEN': return 'This sign-in took too long or had too many wrong codes. Log in again with your password.'
    case 'MFA_REQUIRED': return 'Sign in again with your authenticator code to do this.'
    case 'MFA_CONFLICT': return 'Two-factor sign-in was changed meanwhile. Reload the page and try again.'
    case 'INVALID_PASSKEY': return result.status === 401
      ? 'The passkey could not be verified. Try again, or log in with your password.'
      : data.message
    case 'PASSKEY_LIMIT': return data.message
    case 'PASSKEYS_UNAVAILABLE': return 'Passkeys are not available on this service.'
    case 'NETWORK': return 'The service could not be reached. Check your connection and try again.'
    default: return data.message ?? 'Something went wrong. Try again.'
  }
}

function show (id, visible) {
  document.getElementById(id).hidden = !visible
}

/** The form's own message above its button (a page of several forms has one per form), else the page's. */
function formErrorOf (form) {
  return form.querySelector('.error[role=alert]') ?? document.getElementById('form-error')
}

function clearErrors (form) {
  for (const element of form.querySelectorAll('.field-error')) {
    element.hidden = true
    element.textContent = ''
  }
  for (const input of form.querySelectorAll('input')) input.removeAttribute('aria-invalid')
  formErrorOf(form).hidden = true
}

/**
 * Shows each error next to its field (from the API's `details`, or its code), else above the button.
 * `placements` puts more codes next to a field: `{ INVALID_CODE: ['code', 'The code is wrong.'] }`.
 */
function showErrors (form, result, placements = {}) {
  const fieldErrors = []
  for (const detail of result.data.details ?? []) fieldErrors.push([detail.path.slice(1), fieldMessage(detail.path.slice(1), detail.message)])
  if (result.data.code === 'EMAIL_TAKEN') fieldErrors.push(['email', explain(result)])
  if (result.data.code === 'USERNAME_TAKEN') fieldErrors.push(['username', explain(result)])
  const [field, message] = placements[result.data.code] ?? []
  if (field !== undefined) fieldErrors.push([field, message ?? explain(result)])
  let placed = false
  for (const [field, message] of fieldErrors) {
    const slot = [...form.querySelectorAll('[data-error-for]')].find(element => element.dataset.errorFor.split(' ').includes(field))
    if (slot === undefined) continue
    slot.textContent = message
    slot.hidden = false
    document.getElementById(slot.id.replace(/-error$/, ''))?.setAttribute('aria-invalid', 'true')
    placed = true
  }
  if (!placed) {
    const formError = formErrorOf(form)
    formError.textContent = explain(result)
    formError.hidden = false
  }
}

/**
 * On submit, `send(formData)` (a call of `api`); then `done(result)`, or the errors next to their fields
 * unless `refused(result)` dealt with them.
 */
function onSubmit (form, send, { done, placements, refused = () => false } = {}) {
  form.addEventListener('submit', async event => {
    event.preventDefault()
    clearErrors(form)
    const button = form.querySelector('button[type=submit]')
    button.disabled = true
    const result = await send(new FormData(form))
    button.disabled = false
    if (result.ok) done(result)
    else if (!refused(result)) showErrors(form, result, placements)
  })
}

/** Sends the form's body; by default in cookie mode, and on success goes home, signed in. */
function handleForm (path, bodyOf, { cookie = true, done = () => window.location.assign('/') } = {}) {
  onSubmit(document.getElementById('form'), data => api(path, {
    method: 'POST', body: { ...bodyOf(data), ...(cookie ? { cookie } : {}) }
  }), { done })
}

/** Ends this session; the API's answer when it refused, else undefined (signed out). */
async function logout () {
  const result = await api('/logout', { method: 'POST', body: {}, bearer: true })
  if (!result.ok && result.status !== 401) return result
  accessToken = null
  clearTimeout(refreshTimer)
}

/** The token of a mail's link, from the fragment (which no server sees), then taken out of the address bar. */
function linkToken () {
  const token = new URLSearchParams(window.location.hash.slice(1)).get('token')
  if (token !== null) window.history.replaceState(null, '', window.location.pathname)
  return token
}

/** Hides the form and says it is done. */
function finished () {
  show('form', false)
  show('done', true)
}

/** A link's page acts only on a click (a POST), so a mail scanner that opens the link uses nothing. */
function confirmOnClick (path, token, bearer) {
  show('by-link', true)
  document.getElementById('confirm').addEventListener('click', async () => {
    const result = await api(path, { method: 'POST', body: { token }, bearer })
    show('by-link', false)
    if (result.ok) {
      show('done', true)
    } else {
      const formError = document.getElementById('form-error')
      formError.textContent = explain(result)
      formError.hidden = false
    }
  })
}

function verifyEmail () {
  const token = linkToken()
  if (token === null) {
    show('form', true)
    handleForm('/email/verify', data => ({ email: data.get('email'), code: String(data.get('code')).trim() }),
      { cookie: false, done: finished })
    return
  }
  confirmOnClick('/email/verify', token, false)
}

/** The link of an email change: confirmed by the signed-in user, with a click. */
async function changeEmail () {
  const token = linkToken()
  const signedIn = await refresh()
  show('status', false)
  if (!signedIn || token === null) {
    show('signed-out', true)
    return
  }
  confirmOnClick('/email/change/confirm', token, true)
}

function resetPassword () {
  const token = linkToken()
  if (token !== null) show('by-code', false)
  handleForm('/password/reset', data => ({
    ...(token === null ? { email: data.get('email'), code: String(data.get('code')).trim() } : { token }),
    newPassword: data.get('newPassword'),
    confirmNewPassword: data.get('confirmNewPassword')
  }), { cookie: false, done: finished })
}

async function home () {
  const signedIn = await refresh()
  const me = signedIn ? await api('/me', { bearer: true }) : undefined
  show('status', false)
  if (me?.ok) {
    document.getElementById('user-name').textContent = me.data.name ?? me.data.username ?? '—'
    document.getElementById('user-email').textContent = me.data.email
    document.getElementById('user-role').textContent = me.data.role
    show('unverified', me.data.emailVerified === false)
    show('signed-in', true)
    document.getElementById('resend').addEventListener('click', async () => {
      const result = await api('/email/verify/resend', { method: 'POST', body: { email: me.data.email } })
      show('resent', result.ok)
    })
  } else {
    show('signed-out', true)
  }
  document.getElementById('logout').addEventListener('click', async () => {
    const refused = await logout()
    if (refused !== undefined) {
      const formError = document.getElementById('form-error')
      formError.textContent = explain(refused)
      formError.hidden = false
      return
    }
    show('signed-in', false)
    show('signed-out', true)
  })
}

/** The password; then, when the account has two-factor on, a code of the authenticator app or a recovery code. */
function login () {
  const passwordForm = document.getElementById('form')
  const codeForm = document.getElementById('second-factor')
  const input = document.getElementById('code')
  const signedIn = () => window.location.assign('/')
  let mfaToken
  let recovery = false
  handleForm('/login', data => {
    const identifier = String(data.get('identifier')).trim()
    return { [identifier.includes('@') ? 'email' : 'username']: identifier, password: data.get('password') }
  }, {
    done: result => {
      if (result.data.mfaRequired !== true) return signedIn()
      mfaToken = result.data.mfaToken
      passwordForm.hidden = true
      codeForm.hidden = false
      input.focus()
    }
  })
  document.getElementById('use-recovery').addEventListener('click', event => {
    recovery = !recovery
    clearErrors(codeForm)
    input.value = ''
    document.getElementById('code-label').textContent = recovery ? 'Recovery code' : 'Code from your authenticator app'
    input.inputMode = recovery ? 'text' : 'numeric'
    input.autocomplete = recovery ? 'off' : 'one-time-code'
    if (recovery) input.removeAttribute('maxlength')
    else input.maxLength = 6
    event.currentTarget.textContent = recovery ? 'Use a code from the app instead' : 'Use a recovery code instead'
    input.focus()
  })
  onSubmit(codeForm, data => {
    const code = String(data.get('code')).trim()
    return api('/mfa/verify', {
      method: 'POST',
      body: { mfaToken, ...(recovery ? { recoveryCode: code } : { code: code.replace(/\s/g, '') }), cookie: true }
    })
  }, {
    done: signedIn,
    placements: { INVALID_CODE: ['code', 'The code is wrong or was already used. Try again.'] },
    // The attempt is over (expired, or too many wrong codes): back to the password.
    refused: result => {
      if (result.data.code !== 'INVALID_MFA_TOKEN') return false
      codeForm.hidden = true
      passwordForm.hidden = false
      passwordForm.reset()
      showErrors(passwordForm, result)
      return true
    }
  })
}

const pages = {
  home,
  login,
  'verify-email': verifyEmail,
  'forgot-password': () => handleForm('/password/forgot', data => ({ email: data.get('email') }),
    { cookie: false, done: finished }),
  'reset-password': resetPassword,
  'change-email': changeEmail,
  register: () => handleForm('/register', data => {
    const body = { email: data.get('email'), password: data.get('password'), confirmPassword: data.get('confirmPassword') }
    for (const optional of ['username', 'name']) {
      const value = String(data.get(optional)).trim()
      if (value !== '') body[optional] = value
    }
    return body
  })
}

pages[document.body.dataset.page]?.()
