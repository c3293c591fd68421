// The password policy as the server enforces it (routes/auth.rs `check_new_password`), checked here
// first so the dialog says at once what is missing. The server stays the authority.

export type PasswordErrorKey =
  | "password.errors.oldRequired"
  | "password.errors.tooShort"
  | "password.errors.tooLong"
  | "password.errors.whitespace"
  | "password.errors.lettersAndDigits"
  | "password.errors.sameAsOld"
  | "password.errors.mismatch";

export interface PasswordForm {
  oldPassword: string;
  newPassword: string;
  confirm: string;
}

/** The first problem of each field, as an i18n key; empty when the form can be sent. */
export function validatePasswordForm(f: PasswordForm): Partial<Record<keyof PasswordForm, PasswordErrorKey>> {
  const errors: Partial<Record<keyof PasswordForm, PasswordErrorKey>> = {};
  if (!f.oldPassword) errors.oldPassword = "password.errors.oldRequired";
  const p = f.newPassword;
  const n = [...p].length;
  if (n < 8) errors.newPassword = "password.errors.tooShort";
  else if (n > 128) errors.newPassword = "password.errors.tooLong";
  else if (/\s/.test(p)) errors.newPassword = "password.errors.whitespace";
  else if (!/[A-Za-z]/.test(p) || !/[0-9]/.test(p)) errors.newPassword = "password.errors.lettersAndDigits";
  else if (p === f.oldPassword) errors.newPassword = "password.errors.sameAsOld";
  if (f.confirm !== p) errors.confirm = "password.errors.mismatch";
  return errors;
}
