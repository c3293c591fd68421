// The left navigation, by task. 工作台, 差评工单 and 统计分析 are built in this version.
import type { Component } from "vue";
import { AlarmClock, DataAnalysis, Monitor, Printer, Setting, Stamp, Tickets } from "@element-plus/icons-vue";

export type ModuleKey =
  | "workbench"
  | "cases"
  | "supervision"
  | "accountability"
  | "statistics"
  | "notices"
  | "settings"
  /** Not in the menu: reached from the status bar's 待同步 / 被拒绝 counts. */
  | "outbox";

export type MenuKey = Exclude<ModuleKey, "outbox">;

export interface MenuEntry {
  key: MenuKey;
  path: string;
  icon: Component;
  ready: boolean;
}

export const MENU: MenuEntry[] = [
  { key: "workbench", path: "/workbench", icon: Monitor, ready: true },
  { key: "cases", path: "/cases", icon: Tickets, ready: true },
  { key: "supervision", path: "/supervision", icon: AlarmClock, ready: false },
  { key: "accountability", path: "/accountability", icon: Stamp, ready: false },
  { key: "statistics", path: "/stats", icon: DataAnalysis, ready: true },
  { key: "notices", path: "/notices", icon: Printer, ready: false },
  { key: "settings", path: "/settings", icon: Setting, ready: false },
];
