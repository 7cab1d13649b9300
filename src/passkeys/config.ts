/**
 * The relying party of passkeys (WEBAUTHN_RP_ID, WEBAUTHN_RP_NAME, WEBAUTHN_ORIGINS) and the apps that share
 * its passkeys (ANDROID_APP_LINKS, APPLE_APP_IDS), read and checked with the rest of the configuration.
 */
import { Buffer } from 'node:buffer'
import { isIP } from 'node:net'
import type { EnvReader } from '../env.js'

export interface AndroidAppLink {
  packageName: string
  /** SHA-256 fingerprints of the app's signing certificates, as `AB:CD:…` in capitals. */
  fingerprints: string[]
}

export interface PasskeyConfig {
  /**
   * The domain passkeys are bound to; undefined when PUBLIC_URL names a host by an address other than the
   * machine's own and WEBAUTHN_RP_ID is not set: browsers refuse an IP address, so passkeys are off.
   */
  rpId?: string
  rpName: string
  /** Where ceremonies may come from: web origins, and Android apps as `android:apk-key-hash:…`. */
  origins: readonly string[]
  androidAppLinks: readonly AndroidAppLink[]
  /** `TEAMID.bundle.id` of the iOS apps that share the website's passkeys. */
  appleAppIds: readonly string[]
}

/** Addresses that mean this machine: PUBLIC_URL's default, or a server listening on every interface. */
const LOCAL_ADDRESSES = new Set(['127.0.0.1', '::1', '0.0.0.0', '::', '[::1]', '[::]'])
const DOMAIN = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/
const ANDROID_PACKAGE = /^[A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z][A-Za-z0-9_]*)+$/
const FINGERPRINT = /^(?:[0-9A-F]{2}:){31}[0-9A-F]{2}$/
const APPLE_APP_ID = /^[A-Z0-9]{10}\.[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*$/
const APK_KEY_HASH = /^android:apk-key-hash:[A-Za-z0-9_-]{43}$/

/** The origin an Android app's passkey ceremonies come from: its signing certificate's SHA-256, base64url. */
export function apkKeyHashOrigin (fingerprint: string): string {
  return `android:apk-key-hash:${Buffer.from(fingerprint.replaceAll(':', ''), 'hex').toString('base64url')}`
}

function list (value: string | undefined): string[] {
  return (value ?? '').split(',').map(item => item.trim()).filter(item => item !== '')
}

export function readPasskeyConfig (env: EnvReader, publicUrl: string): PasskeyConfig {
  const { problems, read } = env
  const url = URL.canParse(publicUrl) ? new URL(publicUrl) : undefined

  const androidAppLinks: AndroidAppLink[] = []
  for (const entry of list(read('ANDROID_APP_LINKS'))) {
    const [packageName = '', fingerprint = '', ...rest] = entry.split('@')
    if (rest.length > 0 || !ANDROID_PACKAGE.test(packageName) || !FINGERPRINT.test(fingerprint.toUpperCase())) {
      problems.push('ANDROID_APP_LINKS must be a comma list of package@fingerprint, such as ' +
        `com.example.app@14:6D:E9:…:5E (the SHA-256 of the app's signing certificate, 32 bytes) (got "${entry}")`)
      continue
    }
    const link = androidAppLinks.find(app => app.packageName === packageName)
    if (link === undefined) androidAppLinks.push({ packageName, fingerprints: [fingerprint.toUpperCase()] })
    else link.fingerprints.push(fingerprint.toUpperCase())
  }

  const appleAppIds = list(read('APPLE_APP_IDS'))
  for (const id of appleAppIds) {
    if (!APPLE_APP_ID.test(id)) {
      problems.push(`APPLE_APP_IDS must be a comma list of TEAMID.bundle.id, such as ABCDE12345.com.example.app (got "${id}")`)
    }
  }

  const rpName = env.optional('WEBAUTHN_RP_NAME', 64) ?? 'Auth'
  const given = read('WEBAUTHN_RP_ID')?.trim().toLowerCase()
  let rpId: string | undefined
  const local = url !== undefined && LOCAL_ADDRESSES.has(url.hostname)
  if (given !== undefined) {
    // A bare top-level domain (`com`) would be shared with every site under it: browsers refuse it.
    if (!DOMAIN.test(given) || isIP(given) !== 0 || (!given.includes('.') && given !== 'localhost')) {
      problems.push(`WEBAUTHN_RP_ID must be a domain name such as example.com, without a scheme or port (got "${given}")`)
    } else rpId = given
  } else if (url !== undefined) {
    // Browsers accept `localhost` as a relying party, never an IP address: the service's own address is
    // reached as localhost in development.
    rpId = local ? 'localhost' : isIP(url.hostname.replace(/^\[|\]$/g, '')) === 0 ? url.hostname : undefined
  }

  const givenOrigins = list(read('WEBAUTHN_ORIGINS'))
  for (const origin of givenOrigins) {
    if (origin.startsWith('android:')) {
      if (!APK_KEY_HASH.test(origin)) {
        problems.push('WEBAUTHN_ORIGINS: an Android origin must be android:apk-key-hash: and the base64url SHA-256 ' +
          `of the app's signing certificate (got "${origin}")`)
      }
    } else if (!URL.canParse(origin) || !['http:', 'https:'].includes(new URL(origin).protocol) ||
      new URL(origin).origin !== origin) {
      problems.push('WEBAUTHN_ORIGINS must be a comma list of origins such as https://example.com, without a path ' +
        `or a trailing slash, or android:apk-key-hash:… (got "${origin}")`)
    } else if (new URL(origin).protocol === 'http:' && new URL(origin).hostname !== 'localhost') {
      problems.push(`WEBAUTHN_ORIGINS: ${origin} is not https://: browsers use passkeys only on https:// (and on localhost)`)
    } else if (rpId !== undefined && !onDomain(new URL(origin).hostname, rpId)) {
      problems.push(`WEBAUTHN_ORIGINS: ${origin} is not on WEBAUTHN_RP_ID's domain (${rpId}): browsers would refuse it`)
    }
  }
  // The apps named in ANDROID_APP_LINKS sign as their certificates: accepted whether WEBAUTHN_ORIGINS is set or not.
  const origins = givenOrigins.length > 0
    ? [...new Set([...givenOrigins, ...androidAppLinks.flatMap(app => app.fingerprints.map(apkKeyHashOrigin))])]
    : defaultOrigins(url, local, rpId, androidAppLinks, appleAppIds)
  // The default web origin (PUBLIC_URL's, or localhost's for the machine's own address) must be on the domain.
  const offDomain = givenOrigins.length === 0 && rpId !== undefined
    ? origins.find(origin => !origin.startsWith('android:') && !onDomain(new URL(origin).hostname, rpId))
    : undefined
  if (given !== undefined && offDomain !== undefined) {
    problems.push(`WEBAUTHN_RP_ID (${rpId}) must be PUBLIC_URL's host or a domain it is under (${offDomain}), ` +
      'or WEBAUTHN_ORIGINS must name the origins on it')
  }
  return {
    rpId,
    rpName,
    origins: Object.freeze(origins),
    androidAppLinks: Object.freeze(androidAppLinks),
    appleAppIds: Object.freeze(appleAppIds)
  }
}

/** Whether `host` is `domain` or under it: where a relying party's passkeys may be used. */
function onDomain (host: string, domain: string): boolean {
  return host === domain || host.endsWith(`.${domain}`)
}

/**
 * PUBLIC_URL's origin (localhost's, for the machine's own address), the Android apps' (`android:apk-key-hash:`),
 * and, with iOS apps, `https://` and the relying party's domain, the origin iOS gives their ceremonies.
 */
function defaultOrigins (
  url: URL | undefined, local: boolean, rpId: string | undefined, android: AndroidAppLink[], apple: string[]
): string[] {
  const origins = new Set<string>()
  if (url !== undefined) {
    if (local) origins.add(`${url.protocol}//localhost${url.port === '' ? '' : `:${url.port}`}`)
    else origins.add(url.origin)
  }
  if (rpId !== undefined && apple.length > 0) origins.add(`https://${rpId}`)
  for (const app of android) for (const fingerprint of app.fingerprints) origins.add(apkKeyHashOrigin(fingerprint))
  return [...origins]
}
