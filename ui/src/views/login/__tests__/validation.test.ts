import { describe, expect, it } from "vitest";
import { isServerUrl, normaliseServerUrl, validateLogin } from "../validation";

describe("login validation", () => {
  it("accepts http and https URLs only", () => {
    expect(isServerUrl("https://hcp.example.gov.cn")).toBe(true);
    expect(isServerUrl("http://127.0.0.1:8080/")).toBe(true);
    expect(isServerUrl("HTTPS://HCP.GOV.CN")).toBe(true);
    expect(isServerUrl("  https://a.b  ")).toBe(true);
    expect(isServerUrl("ftp://a.b")).toBe(false);
    expect(isServerUrl("hcp.example.gov.cn")).toBe(false);
    expect(isServerUrl("https://")).toBe(false);
    expect(isServerUrl("https://a b")).toBe(false);
  });

  it("requires every field", () => {
    expect(validateLogin({ serverUrl: "", username: " ", password: "" })).toEqual({
      serverUrl: "login.errors.serverRequired",
      username: "login.errors.usernameRequired",
      password: "login.errors.passwordRequired",
    });
  });

  it("rejects a URL without a scheme", () => {
    expect(validateLogin({ serverUrl: "hcp.gov.cn", username: "u", password: "p" })).toEqual({
      serverUrl: "login.errors.serverInvalid",
    });
  });

  it("passes a complete form", () => {
    expect(validateLogin({ serverUrl: "https://hcp.gov.cn", username: "u", password: " p " })).toEqual({});
  });

  it("normalises the URL", () => {
    expect(normaliseServerUrl(" https://hcp.gov.cn/ ")).toBe("https://hcp.gov.cn");
  });
});
