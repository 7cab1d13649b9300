// The account page (/account), after app.js, whose helpers it uses: details, sessions, password and email
// changes, two-factor sign-in, and (with passkeys.js) passkeys. Its own file: the other pages need none of it.
/* global api, explain, loadPasskeys, logout, onSubmit, refresh, show */
'use strict'

const WRONG_CODE = 'The code is wrong or was already used. Enter the one your app shows now.'

/**
 * Calls `call()` again once after a refresh when the API asks for the second factor: the session may have
 * proven it since this access token was signed (two-factor was just turned on, say).
 */
async function stepUp (call) {
  const result = await call()
  if (result.data.code !== 'MFA_REQUIRED' || !await refresh()) return result
  return await call()
}

/** How the session was signed in, from the access token's `amr`: `undefined` when the API does not say. */
function signInMethods (amr) {
  if (!Array.isArray(amr)) return undefined
  if (amr.includes('hwk') || amr.includes('swk')) {
    return amr.includes('user') ? 'Passkey, with your PIN or biometrics' : 'Passkey'
  }
  if (amr.includes('mfa')) return 'Password + authenticator code'
  if (amr.includes('pwd')) return 'Password'
  return amr.join(', ')
}

function fillDetails (user) {
  document.getElementById('user-name').textContent = user.name ?? '—'
  document.getElementById('user-email').textContent = user.email
  document.getElementById('user-username').textContent = user.username ?? '—'
  document.getElementById('user-role').textContent = user.role
  document.getElementById('user-verified').textContent = user.emailVerified ? 'Yes' : 'Not yet'
  const methods = signInMethods(user.amr)
  document.getElementById('user-amr').textContent = methods ?? ''
  show('user-amr-term', methods !== undefined)
  show('user-amr', methods !== undefined)
}

function signedOut () {
  show('account', false)
  show('signed-out', true)
}

/** Puts an error in a page-level message slot. */
function say (id, result) {
  const element = document.getElementById(id)
  element.textContent = explain(result)
  element.hidden = false
}

async function endThisSession (errorId) {
  const refused = await logout()
  if (refused === undefined) signedOut()
  else say(errorId, refused)
}

/** To the minute, as the API gives a session's last use. */
function when (time) {
  return new Date(time).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' })
}

/** One row of the session list: the device, its address, its last use, and a button to end it. */
function sessionItem (session, reload) {
  const item = document.createElement('li')
  const device = document.createElement('strong')
  device.className = 'device'
  device.textContent = session.userAgent ?? 'Unknown device'
  item.append(device)
  if (session.current) {
    const mark = document.createElement('span')
    mark.className = 'this-device'
    mark.textContent = 'this device'
    item.append(' ', mark)
  }
  const facts = document.createElement('span')
  facts.className = 'muted facts'
  facts.textContent = `${session.ip ?? 'unknown address'} · last used ${when(session.lastUsedAt)}`
  const button = document.createElement('button')
  button.type = 'button'
  button.className = 'secondary'
  button.textContent = session.current ? 'Log out' : 'End'
  button.setAttribute('aria-label', session.current
    ? 'Log out of this device'
    : `End the session of ${session.userAgent ?? 'an unknown device'} at ${session.ip ?? 'an unknown address'}`)
  button.addEventListener('click', async () => {
    show('sessions-error', false)
    button.disabled = true
    if (session.current) {
      await endThisSession('sessions-error')
      button.disabled = false
      return
    }
    const result = await api(`/sessions/${encodeURIComponent(session.id)}`, { method: 'DELETE', bearer: true })
    // Already gone (404) is what was asked for.
    if (!result.ok && result.status !== 404) {
      button.disabled = false
      return say('sessions-error', result)
    }
    await reload()
  })
  item.append(facts, button)
  return item
}

async function loadSessions () {
  const result = await api('/sessions', { bearer: true })
  if (!result.ok) return say('sessions-error', result)
  document.getElementById('sessions').replaceChildren(...result.data.sessions.map(session => sessionItem(session, loadSessions)))
}

function passwordChange () {
  const form = document.getElementById('password-form')
  onSubmit(form, data => {
    show('password-done', false)
    const body = { currentPassword: data.get('currentPassword'), newPassword: data.get('newPassword') }
    const confirmation = data.get('confirmNewPassword')
    if (confirmation !== '') body.confirmNewPassword = confirmation
    return stepUp(() => api('/password', { method: 'PATCH', body, bearer: true }))
  }, {
    done: () => {
      form.reset()
      show('password-done', true)
      loadSessions()
    },
    placements: {
      INVALID_CREDENTIALS: ['currentPassword', 'The current password is wrong.'],
      PASSWORD_TOO_COMMON: ['newPassword']
    }
  })
}

function emailChange () {
  const form = document.getElementById('email-form')
  const confirmForm = document.getElementById('email-confirm-form')
  onSubmit(form, data => {
    show('email-done', false)
    const body = { newEmail: String(data.get('newEmail')).trim(), password: data.get('password') }
    return stepUp(() => api('/email/change', { method: 'POST', body, bearer: true }))
  }, {
    done: () => {
      form.reset()
      form.hidden = true
      confirmForm.hidden = false
    },
    placements: { INVALID_CREDENTIALS: ['password', 'The password is wrong.'], EMAIL_TAKEN: ['newEmail'] }
  })
  onSubmit(confirmForm, data => api('/email/change/confirm', {
    method: 'POST', body: { code: String(data.get('code')).trim() }, bearer: true
  }), {
    done: async () => {
      confirmForm.reset()
      confirmForm.hidden = true
      form.hidden = false
      show('email-done', true)
      const me = await api('/me', { bearer: true })
      if (me.ok) fillDetails(me.data)
    },
    placements: { INVALID_CODE: ['code'] }
  })
}

/** Shows recovery codes, once: the API never gives them again. */
function showRecoveryCodes (codes) {
  const list = document.getElementById('recovery-list')
  list.replaceChildren(...codes.map(code => {
    const item = document.createElement('li')
    item.textContent = code
    return item
  }))
  show('copy-status', false)
  show('recovery-codes', true)
}

/** The two-factor section, as the API says it is now; hidden when the API has no two-factor. */
async function loadMfa () {
  const result = await api('/mfa', { bearer: true })
  if (!result.ok) return show('mfa', false)
  show('mfa', true)
  show('mfa-off', !result.data.totp)
  show('mfa-on', result.data.totp)
  document.getElementById('recovery-left').textContent = String(result.data.recoveryCodesLeft)
}

function twoFactor () {
  const enrollForm = document.getElementById('enroll-form')
  const confirmForm = document.getElementById('confirm-form')
  document.getElementById('mfa-start').addEventListener('click', event => {
    event.currentTarget.hidden = true
    show('recovery-codes', false)
    enrollForm.hidden = false
    document.getElementById('enroll-password').focus()
  })
  onSubmit(enrollForm, data => api('/mfa/totp/enroll', {
    method: 'POST', body: { password: data.get('password') }, bearer: true
  }), {
    done: result => {
      enrollForm.reset()
      enrollForm.hidden = true
      document.getElementById('totp-qr').src = result.data.qrCode
      document.getElementById('totp-secret').textContent = result.data.secret
      confirmForm.hidden = false
      document.getElementById('confirm-code').focus()
    },
    placements: { INVALID_CREDENTIALS: ['password', 'The password is wrong.'] }
  })
  onSubmit(confirmForm, data => api('/mfa/totp/confirm', {
    method: 'POST', body: { code: String(data.get('code')).replace(/\s/g, '') }, bearer: true
  }), {
    done: async result => {
      // The server upgraded this session; a new access token carries the second factor in its `amr`,
      // without which the operations that need it would answer MFA_REQUIRED.
      await refresh()
      confirmForm.reset()
      confirmForm.hidden = true
      document.getElementById('totp-secret').textContent = ''
      document.getElementById('totp-qr').removeAttribute('src')
      document.getElementById('mfa-start').hidden = false
      showRecoveryCodes(result.data.recoveryCodes)
      await reloadAccount()
    },
    placements: { INVALID_CODE: ['code', WRONG_CODE] }
  })
  const recoveryForm = document.getElementById('recovery-form')
  onSubmit(recoveryForm, data => stepUp(() => api('/mfa/recovery-codes', {
    method: 'POST', body: { code: String(data.get('code')).replace(/\s/g, '') }, bearer: true
  })), {
    done: async result => {
      recoveryForm.reset()
      showRecoveryCodes(result.data.recoveryCodes)
      await loadMfa()
    },
    placements: { INVALID_CODE: ['code', WRONG_CODE] }
  })
  const disableForm = document.getElementById('disable-form')
  onSubmit(disableForm, data => stepUp(() => api('/mfa/totp', {
    method: 'DELETE', body: { code: String(data.get('code')).trim() }, bearer: true
  })), {
    done: async () => {
      disableForm.reset()
      show('recovery-codes', false)
      await loadMfa()
    },
    placements: { INVALID_CODE: ['code', 'The code is wrong or was already used.'] }
  })
  document.getElementById('copy-codes').addEventListener('click', async () => {
    const codes = [...document.querySelectorAll('#recovery-list li')].map(item => item.textContent).join('\n')
    const status = document.getElementById('copy-status')
    try {
      await navigator.clipboard.writeText(codes)
      status.textContent = 'Copied.'
    } catch {
      status.textContent = 'Could not copy: select the codes and copy them yourself.'
    }
    status.hidden = false
  })
}

/** The user (whose `amr` may have changed), the sessions, two-factor and passkeys, as the API says now. */
async function reloadAccount () {
  const me = await api('/me', { bearer: true })
  if (!me.ok) return signedOut()
  fillDetails(me.data)
  await Promise.all([loadSessions(), loadMfa(), loadPasskeys()])
}

async function account () {
  const signedIn = await refresh()
  show('status', false)
  if (!signedIn) return signedOut()
  document.getElementById('logout').addEventListener('click', () => endThisSession('logout-error'))
  passwordChange()
  emailChange()
  twoFactor()
  await reloadAccount()
  show('account', true)
}

// app.js has run (both scripts are deferred, so in order) and left this page to this file.
account()
