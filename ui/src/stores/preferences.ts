import { defineStore } from "pinia";
import { ref, watch } from "vue";
import { i18n, saveLocale, storedLocale, type AppLocale } from "@/i18n";

export type Theme = "light" | "dark";
const THEME_KEY = "hcp.theme";

function storedTheme(): Theme {
  try {
    const v = globalThis.localStorage?.getItem(THEME_KEY);
    if (v === "light" || v === "dark") return v;
  } catch {
    /* ignore */
  }
  return "light";
}

function applyTheme(theme: Theme) {
  // Element Plus dark mode: the `dark` class on <html> switches its CSS variables.
  document.documentElement.classList.toggle("dark", theme === "dark");
  document.documentElement.style.colorScheme = theme;
}

function applyLocale(locale: AppLocale) {
  i18n.global.locale.value = locale;
  document.documentElement.lang = locale;
  document.title = i18n.global.t("app.name");
}

/** Display preferences kept on this computer (theme, language). */
export const usePreferencesStore = defineStore("preferences", () => {
  const theme = ref<Theme>(storedTheme());
  const locale = ref<AppLocale>(storedLocale());

  applyTheme(theme.value);
  applyLocale(locale.value);

  watch(theme, (v) => {
    applyTheme(v);
    try {
      globalThis.localStorage?.setItem(THEME_KEY, v);
    } catch {
      /* ignore */
    }
  });
  watch(locale, (v) => {
    applyLocale(v);
    saveLocale(v);
  });

  function toggleTheme() {
    theme.value = theme.value === "dark" ? "light" : "dark";
  }
  function toggleLocale() {
    locale.value = locale.value === "zh-CN" ? "en" : "zh-CN";
  }
  function setLocale(v: AppLocale) {
    locale.value = v;
  }

  return { theme, locale, toggleTheme, toggleLocale, setLocale };
});
