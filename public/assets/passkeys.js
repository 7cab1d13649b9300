// Passkeys on the pages: signing in with one on /login (a button, and the browser's autofill where it offers
// passkeys there), and the list on /account. After app.js, whose helpers it uses, and webauthn.js
// (@simplewebauthn/browser, served from the installed package), which talks to the authenticator.
/* global SimpleWebAuthnBrowser, api, clearErrors, explain, onSubmit, show, showErrors, stepUp */
'use strict'

const { browserSupportsWebAuthn, browserSupportsWebAuthnAutofill, startAuthentication, startRegistration } =
  SimpleWebAuthnBrowser

/** Why the browser's ceremony ended without a passkey, in words; undefined when the user simply cancelled. */
function ceremonyError (error) {
  if (error?.name === 'AbortError' || error?.name === 'NotAllowedError') return undefined
  if (error?.name === 'InvalidStateError') return 'This device already holds a passkey for your account.'
  return 'The browser could not use a passkey here. Try again, or use your password.'
}

// /login: the button, and autofill of the email field.
function passkeyLogin () {
  const form = document.getElementById('form')
  const section = document.getElementById('passkey-login')
  if (!browserSupportsWebAuthn()) return
  section.hidden = false

  async function signIn (autofill) {
    const options = await api('/passkeys/login/options', { method: 'POST', body: {} })
    if (!options.ok) {
      // Autofill is offered quietly: a refusal then shows nothing until the user asks for a passkey.
      if (!autofill) showErrors(form, options)
      return
    }
    let response
    try {
      response = await startAuthentication({ optionsJSON: options.data, useBrowserAutofill: autofill })
    } catch (error) {
      const message = ceremonyError(error)
      if (message !== undefined && !autofill) showErrors(form, { data: { message } })
      return
    }
    clearErrors(form)
    const result = await api('/passkeys/login', { method: 'POST', body: { response, cookie: true } })
    if (result.ok) window.location.assign('/')
    else showErrors(form, result)
  }

  document.getElementById('passkey-button').addEventListener('click', () => {
    clearErrors(form)
    signIn(false)
  })
  browserSupportsWebAuthnAutofill().then(supported => { if (supported) signIn(true) })
}

// /account: the passkeys of the account, and adding one.

function passkeyItem (passkey, reload) {
  const item = document.createElement('li')
  const name = document.createElement('strong')
  name.className = 'device'
  name.textContent = passkey.name
  const facts = document.createElement('span')
  facts.className = 'muted facts'
  const used = passkey.lastUsedAt === null ? 'never used' : `last used ${new Date(passkey.lastUsedAt).toLocaleString()}`
  facts.textContent = `${passkey.backedUp ? 'synced' : 'this authenticator only'} · added ` +
    `${new Date(passkey.createdAt).toLocaleDateString()} · ${used}`
  const rename = document.createElement('button')
  rename.type = 'button'
  rename.className = 'secondary'
  rename.textContent = 'Rename'
  rename.setAttribute('aria-label', `Rename ${passkey.name}`)
  rename.addEventListener('click', () => {
    const form = document.getElementById('passkey-rename-form')
    form.dataset.id = passkey.id
    form.elements.namedItem('name').value = passkey.name
    form.hidden = false
    form.elements.namedItem('name').focus()
  })
  const remove = document.createElement('button')
  remove.type = 'button'
  remove.className = 'secondary'
  remove.textContent = 'Delete'
  remove.setAttribute('aria-label', `Delete ${passkey.name}`)
  remove.addEventListener('click', async () => {
    show('passkeys-error', false)
    remove.disabled = true
    const result = await stepUp(() => api(`/passkeys/${encodeURIComponent(passkey.id)}`, { method: 'DELETE', bearer: true }))
    remove.disabled = false
    if (!result.ok && result.status !== 404) return showError(result)
    await reload()
  })
  item.append(name, ' ', facts, rename, remove)
  return item
}

function showError (result) {
  const element = document.getElementById('passkeys-error')
  element.textContent = explain(result)
  element.hidden = false
}

/** The passkey section, as the API says it is now; hidden where passkeys cannot be used. */
async function loadPasskeys () {
  const result = await api('/passkeys', { bearer: true })
  if (!result.ok || !browserSupportsWebAuthn()) return show('passkeys', false)
  show('passkeys', true)
  const { passkeys, limit } = result.data
  document.getElementById('passkey-list').replaceChildren(...passkeys.map(passkey => passkeyItem(passkey, loadPasskeys)))
  show('passkeys-none', passkeys.length === 0)
  document.getElementById('passkey-add').disabled = passkeys.length >= limit
}

function passkeySection () {
  const addForm = document.getElementById('passkey-add-form')
  const passwordField = document.getElementById('passkey-password-field')
  const addButton = document.getElementById('passkey-add')

  /** Options (with the password when asked for it), the browser's ceremony, then the new passkey. */
  async function add (data) {
    const body = {}
    if (!passwordField.hidden) body.password = data.get('password')
    const options = await stepUp(() => api('/passkeys/register/options', { method: 'POST', body, bearer: true }))
    if (!options.ok) {
      // A session signed in with one factor proves it is its owner's with the password first.
      if (options.data.details?.some(detail => detail.path === '/password') && passwordField.hidden) {
        passwordField.hidden = false
        document.getElementById('passkey-password').focus()
        return { ok: false, status: 400, data: { message: 'Enter your password to add a passkey.' } }
      }
      return options
    }
    let response
    try {
      response = await startRegistration({ optionsJSON: options.data })
    } catch (error) {
      return { ok: false, status: 0, data: { message: ceremonyError(error) ?? 'No passkey was added.' } }
    }
    const name = String(data.get('name') ?? '').trim()
    return api('/passkeys/register', { method: 'POST', body: { response, ...(name === '' ? {} : { name }) }, bearer: true })
  }

  addButton.addEventListener('click', () => {
    addButton.hidden = true
    addForm.hidden = false
    document.getElementById('passkey-name').focus()
  })
  onSubmit(addForm, add, {
    done: async () => {
      addForm.reset()
      addForm.hidden = true
      passwordField.hidden = true
      addButton.hidden = false
      await loadPasskeys()
    },
    placements: { INVALID_CREDENTIALS: ['password', 'The password is wrong.'] }
  })

  const renameForm = document.getElementById('passkey-rename-form')
  onSubmit(renameForm, data => stepUp(() => api(`/passkeys/${encodeURIComponent(renameForm.dataset.id)}`, {
    method: 'PATCH', body: { name: String(data.get('name')).trim() }, bearer: true
  })), {
    done: async () => {
      renameForm.hidden = true
      await loadPasskeys()
    }
  })
}

// The account page loads the list once signed in (account.js calls loadPasskeys); its forms are wired now.
if (document.body.dataset.page === 'login') passkeyLogin()
else if (document.body.dataset.page === 'account') passkeySection()
