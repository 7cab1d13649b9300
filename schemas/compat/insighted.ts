/** The InsightED LMS API (COMPAT_PROFILE=insighted): `{ status, … }` answers, students and instructors. */
import { type Static, Type } from '@sinclair/typebox'
import { CONTROL_CHARACTERS, LegacyUsername, NewPassword, Password, STORABLE, Username, Uuid } from '../common.js'
import { LegacyBody, LegacyNewEmail } from './common.js'

const EXAMPLE = 'correct horse battery staple'
const Token = (description: string) => Type.String({ minLength: 1, maxLength: 4096, description })
/** Django's first and last names: optional, blank allowed; together they make the account's name. */
const NamePart = Type.String({
  maxLength: 100,
  pattern: `^[^${CONTROL_CHARACTERS}]*$`,
  'x-well-formed': true,
  'x-error': 'must not contain control characters or unpaired surrogates'
})

export const LmsRegisterBody = (passwordMinLength: number) => LegacyBody({
  username: Username,
  password: NewPassword(passwordMinLength),
  password2: Type.String({ maxLength: 72, description: 'Must equal `password`.' }),
  email: LegacyNewEmail,
  first_name: Type.Optional(NamePart),
  last_name: Type.Optional(NamePart),
  role: Type.Union([Type.Literal('student'), Type.Literal('instructor'), Type.Literal('admin')], {
    description: '`student` or `instructor` (as SIGNUP_ROLES allows); `admin` is refused with 403.',
    'x-error': 'is not a valid choice'
  }),
  keahlian: Type.Optional(Type.Union([Type.Integer(), Type.String({ maxLength: 100, ...STORABLE })], {
    description: 'An instructor\'s expertise; kept in the account\'s metadata.'
  }))
}, {
  examples: [{
    username: 'newinstructor',
    password: EXAMPLE,
    password2: EXAMPLE,
    email: 'instructor@example.com',
    first_name: 'First',
    last_name: 'Last',
    role: 'instructor',
    keahlian: 5
  }]
})
export type LmsRegisterBody = Static<ReturnType<typeof LmsRegisterBody>>

export const LmsLoginBody = LegacyBody({ username: LegacyUsername, password: Password }, {
  examples: [{ username: 'newinstructor', password: EXAMPLE }]
})
export const LmsRefreshBody = LegacyBody({ refresh: Token('The refresh token of the login or of the last refresh.') })
export const LmsLogoutBody = LegacyBody({
  refresh: Type.Optional(Token('The session\'s refresh token; the Bearer token\'s session ends in any case.'))
})

const Tokens = Type.Object({
  access: Type.String({ description: 'A JWT; send it as `Authorization: Bearer <access>`.' }),
  refresh: Type.String({ description: 'Keeps the session alive; it rotates at each refresh.' })
})
const id = Type.String({ ...Uuid, description: 'The user\'s id (a UUID).' })
const Success = Type.Literal('success')

export const LmsRegisterReply = Type.Object({
  status: Success,
  message: Type.String({ examples: ['Student registered successfully'] }),
  user: Type.Object({ id, username: Type.String(), email: Type.String(), role: Type.String() }),
  tokens: Tokens
}, { description: 'Registered and signed in.' })

export const LmsLoginReply = Type.Object({
  status: Success,
  user: Type.Object({ id, username: Type.String(), role: Type.String() }),
  tokens: Tokens
}, { description: 'Signed in: a new session.' })

export const LmsRefreshReply = Type.Object({ status: Success, tokens: Tokens }, {
  description: 'A new pair: the refresh token sent is now spent.'
})

export const LmsLogoutReply = Type.Object({ status: Success, message: Type.Literal('User logged out successfully') })

export const LmsError = Type.Object({
  status: Type.Literal('error'),
  message: Type.String()
}, { description: 'The LMS\'s error body.' })
