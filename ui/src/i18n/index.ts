import { createI18n } from "vue-i18n";
import zhCN, { type MessageSchema } from "./zh-CN";
import en from "./en";

export type AppLocale = "zh-CN" | "en";
export const LOCALES: AppLocale[] = ["zh-CN", "en"];
export const DEFAULT_LOCALE: AppLocale = "zh-CN";
const STORAGE_KEY = "hcp.locale";

export function storedLocale(): AppLocale {
  try {
    const v = globalThis.localStorage?.getItem(STORAGE_KEY);
    if (v === "zh-CN" || v === "en") return v;
  } catch {
    /* storage unavailable: use the default */
  }
  return DEFAULT_LOCALE;
}

export function saveLocale(locale: AppLocale): void {
  try {
    globalThis.localStorage?.setItem(STORAGE_KEY, locale);
  } catch {
    /* ignore */
  }
}

export function createAppI18n(locale: AppLocale = storedLocale()) {
  return createI18n<[MessageSchema], AppLocale, false>({
    legacy: false,
    locale,
    fallbackLocale: DEFAULT_LOCALE,
    messages: { "zh-CN": zhCN, en },
    missingWarn: false,
    fallbackWarn: false,
  });
}

export const i18n = createAppI18n();
export type AppI18n = ReturnType<typeof createAppI18n>;
