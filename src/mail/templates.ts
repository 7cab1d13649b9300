/**
 * The messages' templates: the service's own in mail-templates/, each file replaceable by an operator's
 * of the same name in MAIL_TEMPLATES_DIR. All are read and checked at start-up, so a mistake stops the
 * service there rather than at the first message.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { projectRoot } from '../db/migrations.js'

/** Each template and the values it is given; all are strings, and `name` may be empty. */
export const TEMPLATE_DATA = {
  'verify-email': ['name', 'code', 'link', 'expiresIn'],
  'reset-password': ['name', 'code', 'link', 'expiresIn'],
  'password-changed': ['name'],
  'change-email': ['name', 'code', 'link', 'expiresIn', 'newEmail'],
  'email-changed': ['name', 'newEmail'],
  'mfa-enabled': ['name'],
  'mfa-disabled': ['name', 'byAdmin'],
  'passkey-added': ['name', 'passkeyName', 'accountLink'],
  'passkey-removed': ['name', 'passkeyName']
} as const satisfies Record<string, readonly string[]>

export type TemplateName = keyof typeof TEMPLATE_DATA
export const TEMPLATE_NAMES = Object.keys(TEMPLATE_DATA) as TemplateName[]

export interface RenderedMessage {
  subject: string
  text: string
  html: string
}

/** `{{key}}`, `{{#key}}` (shown when key is not empty), `{{^key}}` (shown when it is), `{{/key}}`. */
const TAG = /\{\{\s*([#^/]?)\s*([A-Za-z][A-Za-z0-9]*)\s*\}\}/g
const SECTION = /\{\{\s*([#^])\s*([A-Za-z][A-Za-z0-9]*)\s*\}\}([\s\S]*?)\{\{\s*\/\s*\2\s*\}\}/g

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', '\'': '&#39;' }
function escapeHtml (value: string): string {
  return value.replace(/[&<>"']/g, char => HTML_ESCAPES[char] as string)
}

function render (template: string, data: Record<string, string>, escape: (value: string) => string): string {
  let text = template
  // Sections hold no other section of the same key; repeated until none is left, for nesting of others.
  for (let previous = ''; previous !== text;) {
    previous = text
    text = text.replace(SECTION, (_all, kind: string, key: string, inner: string) =>
      ((data[key] ?? '') !== '') === (kind === '#') ? inner : '')
  }
  return text.replace(TAG, (_all, _kind: string, key: string) => escape(data[key] ?? ''))
}

/** What is wrong with one file's placeholders, or undefined. */
function placeholderProblem (body: string, allowed: readonly string[]): string | undefined {
  for (const [, , key] of body.matchAll(TAG)) {
    if (!allowed.includes(key as string)) {
      return `unknown placeholder {{${key}}} (this template has ${allowed.map(name => `{{${name}}}`).join(', ')})`
    }
  }
  let rest = body
  for (let previous = ''; previous !== rest;) {
    previous = rest
    rest = rest.replace(SECTION, '')
  }
  if (/\{\{\s*[#^/]/.test(rest)) return 'a {{#section}} or {{^section}} without its {{/section}}, or the reverse'
  if (/\{\{(?![^{}]*\}\})/.test(rest.replace(TAG, ''))) return 'a {{ that is not a placeholder'
  return undefined
}

interface Template {
  subject: string
  text: string
  html: string
}

/** A template file that cannot be used: the service refuses to start, naming it. */
export class TemplateError extends Error {
  constructor (file: string, problem: string) {
    super(`mail template ${file}: ${problem}`)
    this.name = 'TemplateError'
  }
}

function parseText (file: string, content: string): { subject: string, body: string } {
  const match = /^Subject:[ \t]*(.*?)[ \t]*\r?\n(?:[ \t]*\r?\n)?([\s\S]*)$/.exec(content)
  if (match === null || match[1] === '') {
    throw new TemplateError(file, 'the first line must be "Subject: …", then a blank line, then the body')
  }
  return { subject: match[1] as string, body: match[2] as string }
}

export class Templates {
  readonly #templates: Map<TemplateName, Template>
  /** Files in the operator's folder that replace none of the service's own (a misspelt name, say). */
  readonly unused: string[]

  /** Reads and checks every template; throws a TemplateError naming the first bad file. */
  constructor (overrides?: string) {
    const builtIn = join(projectRoot(), 'mail-templates')
    if (overrides !== undefined && !(existsSync(overrides) && statSync(overrides).isDirectory())) {
      throw new TemplateError(overrides, 'MAIL_TEMPLATES_DIR is not a folder')
    }
    const read = (file: string): { path: string, content: string } => {
      const own = overrides === undefined ? undefined : join(overrides, file)
      const path = own !== undefined && existsSync(own) ? own : join(builtIn, file)
      return { path, content: readFileSync(path, 'utf8') }
    }
    this.#templates = new Map()
    for (const name of TEMPLATE_NAMES) {
      const allowed = TEMPLATE_DATA[name]
      const text = read(`${name}.txt`)
      const html = read(`${name}.html`)
      const { subject, body } = parseText(text.path, text.content)
      for (const [file, part] of [[text.path, subject], [text.path, body], [html.path, html.content]] as const) {
        const problem = placeholderProblem(part, allowed)
        if (problem !== undefined) throw new TemplateError(file, problem)
      }
      this.#templates.set(name, { subject, text: body, html: html.content })
    }
    const known = new Set(TEMPLATE_NAMES.flatMap(name => [`${name}.txt`, `${name}.html`]))
    this.unused = overrides === undefined
      ? []
      : readdirSync(overrides).filter(file => /\.(txt|html)$/.test(file) && !known.has(file))
  }

  /** The message for `data`: values are HTML-escaped in the HTML version, and kept to one line in the subject. */
  render (name: TemplateName, data: Record<string, string>): RenderedMessage {
    const template = this.#templates.get(name)
    if (template === undefined) throw new Error(`unknown mail template ${String(name)}`)
    const missing = TEMPLATE_DATA[name].filter(key => typeof data[key] !== 'string')
    if (missing.length > 0) throw new Error(`mail template ${name} needs ${missing.join(', ')}`)
    const oneLine = (value: string) => value.replace(/[\r\n]+/g, ' ')
    return {
      subject: oneLine(render(template.subject, data, oneLine)).trim(),
      text: render(template.text, data, value => value),
      html: render(template.html, data, escapeHtml)
    }
  }
}
