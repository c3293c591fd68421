import { describe, expect, it } from "vitest";
import { validatePasswordForm } from "../password";

const form = (newPassword: string, confirm = newPassword, oldPassword = "Old12345") => ({ oldPassword, newPassword, confirm });

describe("validatePasswordForm", () => {
  it("accepts 8 or more characters with letters and digits, confirmed", () => {
    expect(validatePasswordForm(form("Newpass2026"))).toEqual({});
    expect(validatePasswordForm(form("a1234567"))).toEqual({});
  });

  it("names the first rule a new password breaks, as the server does", () => {
    expect(validatePasswordForm(form("abc12")).newPassword).toBe("password.errors.tooShort");
    expect(validatePasswordForm(form("x1".repeat(65))).newPassword).toBe("password.errors.tooLong");
    expect(validatePasswordForm(form("abcd 1234")).newPassword).toBe("password.errors.whitespace");
    expect(validatePasswordForm(form("abcdefghij")).newPassword).toBe("password.errors.lettersAndDigits");
    expect(validatePasswordForm(form("1234567890")).newPassword).toBe("password.errors.lettersAndDigits");
    expect(validatePasswordForm(form("Old12345")).newPassword).toBe("password.errors.sameAsOld");
  });

  it("needs the current password and the same new password twice", () => {
    expect(validatePasswordForm(form("Newpass2026", "Newpass2027"))).toEqual({ confirm: "password.errors.mismatch" });
    expect(validatePasswordForm(form("Newpass2026", "Newpass2026", ""))).toEqual({ oldPassword: "password.errors.oldRequired" });
  });
});
