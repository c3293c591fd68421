// The left navigation, by task. Only 差评工单 is built in this version.
import type { Component } from "vue";
import { AlarmClock, DataAnalysis, Monitor, Printer, Setting, Stamp, Tickets } from "@element-plus/icons-vue";

export type ModuleKey = "dashboard" | "cases" | "supervision" | "accountability" | "statistics" | "notices" | "settings";

export interface MenuEntry {
  key: ModuleKey;
  path: string;
  icon: Component;
  ready: boolean;
}

export const MENU: MenuEntry[] = [
  { key: "dashboard", path: "/dashboard", icon: Monitor, ready: false },
  { key: "cases", path: "/cases", icon: Tickets, ready: true },
  { key: "supervision", path: "/supervision", icon: AlarmClock, ready: false },
  { key: "accountability", path: "/accountability", icon: Stamp, ready: false },
  { key: "statistics", path: "/statistics", icon: DataAnalysis, ready: false },
  { key: "notices", path: "/notices", icon: Printer, ready: false },
  { key: "settings", path: "/settings", icon: Setting, ready: false },
];
