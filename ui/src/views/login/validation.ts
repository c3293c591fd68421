// Login form rules, kept apart from the view so they can be tested directly.

/** http:// or https:// followed by a host (no spaces). */
export function isServerUrl(value: string): boolean {
  return /^https?:\/\/[^\s/]+[^\s]*$/i.test(value.trim());
}

export type LoginField = "serverUrl" | "username" | "password";
export type LoginErrorKey =
  | "login.errors.serverRequired"
  | "login.errors.serverInvalid"
  | "login.errors.usernameRequired"
  | "login.errors.passwordRequired";

export interface LoginFormValues {
  serverUrl: string;
  username: string;
  password: string;
}

/** The first problem of each field, as an i18n key; empty when the form is valid. */
export function validateLogin(v: LoginFormValues): Partial<Record<LoginField, LoginErrorKey>> {
  const errors: Partial<Record<LoginField, LoginErrorKey>> = {};
  if (!v.serverUrl.trim()) errors.serverUrl = "login.errors.serverRequired";
  else if (!isServerUrl(v.serverUrl)) errors.serverUrl = "login.errors.serverInvalid";
  if (!v.username.trim()) errors.username = "login.errors.usernameRequired";
  if (!v.password) errors.password = "login.errors.passwordRequired";
  return errors;
}

/** Normalises what is sent: trimmed, no trailing slash on the URL. */
export function normaliseServerUrl(value: string): string {
  return value.trim().replace(/\/+$/, "");
}
