// The lengths the API accepts for a username and a password, as openapi.yaml states
// them; tests/api/limits.test.ts reads them back from there, so the two cannot drift.
// Signing in accepts a longer name than a new account may have.

/** `LoginRequest`: what the sign-in form may send. */
export const SIGN_IN_LIMITS = {
  username: { minLength: 1, maxLength: 200 },
  password: { minLength: 1, maxLength: 1024 },
} as const;

/** `SetupRequest`, `UserCreate` and `UserUpdate`: a new account's name and password. */
export const ACCOUNT_LIMITS = {
  username: { minLength: 1, maxLength: 100 },
  password: { minLength: 8, maxLength: 1024 },
} as const;

/** The shortest password a new account, or a reset, may have. */
export const MIN_PASSWORD = ACCOUNT_LIMITS.password.minLength;
