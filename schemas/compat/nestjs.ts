/** The NestJS API (COMPAT_PROFILE=nestjs): its DTOs, replies and error shape, as its clients know them. */
import { type Static, Type } from '@sinclair/typebox'
import { DateTime, LegacyUsername, Name, NewPassword, NullableString, Password, Username, Uuid } from '../common.js'
import { LegacyBody, LegacyNewEmail } from './common.js'

export const NestSignupBody = (passwordMinLength: number) => LegacyBody({
  email: LegacyNewEmail,
  username: Username,
  password: NewPassword(passwordMinLength),
  name: Type.Optional(Name)
}, {
  examples: [{ email: 'john@example.com', username: 'johndoe', password: 'correct horse battery staple', name: 'John Doe' }]
})
export type NestSignupBody = Static<ReturnType<typeof NestSignupBody>>

export const NestSigninBody = LegacyBody({ username: LegacyUsername, password: Password }, {
  examples: [{ username: 'johndoe', password: 'correct horse battery staple' }]
})
export type NestSigninBody = Static<typeof NestSigninBody>

export const NestRefreshBody = LegacyBody({
  refreshToken: Type.String({ minLength: 1, maxLength: 512, description: 'The refresh token of sign-in or the last refresh.' })
}, { examples: [{ refreshToken: 'paste the refreshToken from signin here' }] })
export type NestRefreshBody = Static<typeof NestRefreshBody>

const id = Type.String({ ...Uuid, description: 'The user\'s id: a UUID here (the NestJS API numbered its users).' })

export const NestSignupReply = Type.Object({
  user: Type.Object({
    id, email: Type.String(), username: NullableString(), name: NullableString(), createdAt: DateTime, updatedAt: DateTime
  }),
  message: Type.Literal('User created successfully')
}, { description: 'The account is created; sign in to get tokens.' })

export const NestTokens = Type.Object({
  accessToken: Type.String({ description: 'A JWT; send it as `Authorization: Bearer <accessToken>`.' }),
  refreshToken: Type.String({ description: 'Keeps the session alive; it rotates at each refresh.' })
}, { description: 'A new pair: the refresh token sent is now spent.' })

export const NestSigninReply = Type.Object({
  user: Type.Object({ id, username: NullableString(), email: Type.String(), name: NullableString() }),
  ...NestTokens.properties
}, { description: 'Signed in: a new session.' })

export const NestMessage = Type.Object({ message: Type.String() })

export const NestProfile = Type.Object({
  userId: id, username: NullableString(), email: Type.String()
}, { description: 'The signed-in user.' })

/** NestJS's HttpException body: `message` is the list of validation failures on a 400. */
export const NestError = Type.Object({
  statusCode: Type.Integer(),
  error: Type.String(),
  message: Type.Union([Type.String(), Type.Array(Type.String())])
}, { description: 'NestJS\'s error body: `message` lists the validation failures on a 400.' })
