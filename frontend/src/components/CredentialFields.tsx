// The username and password fields of the sign-in and setup pages and of the user
// dialogs: one place for their labels, browser autofill hints and the lengths the API
// accepts (api/limits.ts). Each is a labelled Field; the page keeps the value.

import type { ComponentChildren } from "preact";
import { ACCOUNT_LIMITS, SIGN_IN_LIMITS } from "../api/limits";
import { Field } from "./Field";

/** What a new username may hold, in words (the API's pattern `^[\w.@+-]+$`). */
export const USERNAME_HINT = "Letters, digits and . @ + - _";

interface TextFieldProps {
  readonly value: string;
  readonly onValue: (value: string) => void;
  readonly error?: string | undefined;
  readonly autoFocus?: boolean;
  /** The form field's name, for the browser's password manager. */
  readonly name?: string;
}

/** "Username": signing in with an existing name, or choosing a new one (shown what it may hold). */
export function UsernameField({
  purpose,
  autoComplete = "username",
  value,
  onValue,
  error,
  autoFocus,
  name,
}: TextFieldProps & {
  readonly purpose: "sign-in" | "new-account";
  /** "off" where the name is someone else's, so the browser offers not the person's own. */
  readonly autoComplete?: "username" | "off";
}) {
  const limits = purpose === "sign-in" ? SIGN_IN_LIMITS : ACCOUNT_LIMITS;
  return (
    <Field label="Username" hint={purpose === "new-account" ? USERNAME_HINT : undefined} error={error}>
      {(control) => (
        <input
          {...control}
          name={name}
          autoComplete={autoComplete}
          autoCapitalize="none"
          spellcheck={false}
          required
          maxLength={limits.username.maxLength}
          value={value}
          onInput={(e) => onValue(e.currentTarget.value)}
          autoFocus={autoFocus}
        />
      )}
    </Field>
  );
}

/** A password: the current one when signing in, a new one (at least the API's minimum),
 *  or the new one typed again to catch a slip. */
export function PasswordField({
  purpose,
  label = "Password",
  hint,
  value,
  onValue,
  error,
  autoFocus,
  name,
}: TextFieldProps & {
  readonly purpose: "sign-in" | "new" | "repeat";
  readonly label?: string;
  readonly hint?: ComponentChildren;
}) {
  const limits = purpose === "sign-in" ? SIGN_IN_LIMITS : ACCOUNT_LIMITS;
  return (
    <Field label={label} hint={hint} error={error}>
      {(control) => (
        <input
          {...control}
          type="password"
          name={name}
          autoComplete={purpose === "sign-in" ? "current-password" : "new-password"}
          required
          minLength={purpose === "new" ? limits.password.minLength : undefined}
          maxLength={limits.password.maxLength}
          value={value}
          onInput={(e) => onValue(e.currentTarget.value)}
          autoFocus={autoFocus}
        />
      )}
    </Field>
  );
}
