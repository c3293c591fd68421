import { describe, expect, it } from "vitest";
import { createAppI18n } from "@/i18n";
import zhCN from "@/i18n/zh-CN";
import en from "@/i18n/en";
import {
  ACCOUNTABILITY_KINDS,
  APPEAL_STATES,
  CASE_COMMANDS,
  ESCALATION_LEVELS,
  VERIFY_OUTCOMES,
  VISIT_METHODS,
  accountabilityLabel,
  appealStateLabel,
  commandLabel,
  escalationLabel,
  outcomeLabel,
  visitMethodLabel,
  CASE_SOURCES,
  CASE_STATES,
  CHANNELS,
  LEVELS,
  ROLES,
  channelLabel,
  levelLabel,
  levelTagType,
  roleLabel,
  sourceLabel,
  stateLabel,
  stateTagType,
  FLAG_VERDICTS,
  FLAG_SEVERITIES,
  FLAG_STATUSES,
  flagStatusLabel,
  flagStatusTagType,
  flagVerdictLabel,
  severityLabel,
  severityTagType,
} from "@/i18n/labels";

const zh = createAppI18n("zh-CN").global;
const enT = createAppI18n("en").global;
const tz = (k: string, n?: Record<string, unknown>) => (n ? zh.t(k, n) : zh.t(k));
const te = (k: string, n?: Record<string, unknown>) => (n ? enT.t(k, n) : enT.t(k));

describe("Chinese labels", () => {
  it("names every case state", () => {
    expect(Object.fromEntries(CASE_STATES.map((s) => [s, stateLabel(tz, s)]))).toEqual({
      new: "待核实",
      exclusion_requested: "剔除待审批",
      verified: "待处置",
      assigned: "已交办",
      in_rectification: "整改中",
      extension_requested: "延期审批中",
      rectified: "待回访",
      closed: "已办结",
      excluded: "已剔除",
    });
  });

  it("names every level", () => {
    expect(Object.fromEntries(LEVELS.map((l) => [l, levelLabel(tz, l)]))).toEqual({
      very_satisfied: "非常满意",
      satisfied: "满意",
      basically_satisfied: "基本满意",
      dissatisfied: "不满意",
      very_dissatisfied: "非常不满意",
    });
  });

  it("names every role", () => {
    expect(Object.fromEntries(ROLES.map((r) => [r, roleLabel(tz, r)]))).toEqual({
      hall_manager: "大厅负责人",
      supervisor: "督查人员",
      discipline_liaison: "纪检监察联络员",
      department_handler: "承办人",
      staff_member: "窗口工作人员",
      administrator: "系统管理员",
    });
  });

  it("names every source and channel", () => {
    expect(CASE_SOURCES.map((s) => sourceLabel(tz, s))).toEqual(["差评", "12345热线", "督查发现", "排名考核限期整改"]);
    expect(CHANNELS.map((c) => channelLabel(tz, c))).toEqual([
      "网上办事大厅",
      "移动端",
      "二维码",
      "窗口评价器",
      "自助终端",
      "电话回访",
      "短信",
      "系统默认评价",
    ]);
    expect(channelLabel(tz, 9)).toBe("渠道 9");
  });

  it("names every command as the action buttons show it", () => {
    expect(Object.fromEntries(CASE_COMMANDS.map((k) => [k, commandLabel(tz, k)]))).toEqual({
      verify: "核实",
      approve_exclusion: "同意剔除",
      reject_exclusion: "驳回剔除",
      resolve_on_spot: "当场解决",
      assign: "交办",
      accept: "签收",
      request_extension: "申请延期",
      approve_extension: "批准延期",
      reject_extension: "驳回延期",
      report_rectification: "报送整改",
      return_visit: "回访",
      close: "办结",
      reopen: "重新打开",
      escalate: "升级督办",
      urge: "催办",
      warn: "超期预警",
      appeal: "申诉",
      decide_appeal: "申诉复核",
      record_accountability: "问责决定",
      record_interview: "记录约谈",
    });
    expect(commandLabel(tz, "future_command")).toBe("future_command");
  });

  it("names the escalation rungs, appeal states and decision values", () => {
    expect(ESCALATION_LEVELS.map((e) => escalationLabel(tz, e))).toEqual(["一线处置", "协调督办", "政府督查", "追责问责"]);
    expect(APPEAL_STATES.map((a) => appealStateLabel(tz, a))).toEqual(["未申诉", "申诉待复核", "申诉已复核（维持）", "申诉已复核（撤销）"]);
    expect(VERIFY_OUTCOMES.map((o) => outcomeLabel(tz, o))).toEqual(["属实", "恶意差评", "误评"]);
    expect(VISIT_METHODS.map((m) => visitMethodLabel(tz, m))).toEqual(["电话", "短信", "微信", "当面"]);
    expect(ACCOUNTABILITY_KINDS.map((k) => accountabilityLabel(tz, k))).toEqual([
      "扣减绩效分",
      "取消年度评优资格",
      "诫勉谈话 / 提醒谈话",
      "移送纪检监察机关",
    ]);
  });

  it("names the integrity-flag verdicts, statuses and severities", () => {
    expect(FLAG_VERDICTS.map((v) => flagVerdictLabel(tz, v))).toEqual(["核实为虚假评价", "核实为恶意差评", "核实为正常评价"]);
    expect(FLAG_STATUSES.map((s) => flagStatusLabel(tz, s))).toEqual(["待核实", "核实为虚假评价", "核实为恶意差评", "核实为正常评价"]);
    expect(FLAG_SEVERITIES.map((s) => severityLabel(tz, s))).toEqual(["高", "中", "低"]);
    expect(flagStatusLabel(tz, "future")).toBe("future");
    expect(severityLabel(tz, "extreme")).toBe("extreme");
    expect(commandLabel(tz, "decide_flag")).toBe("核实异常评价线索");
    expect(commandLabel(te, "decide_flag")).not.toBe("command.kind.decide_flag");
    expect(FLAG_SEVERITIES.map(severityTagType)).toEqual(["danger", "warning", "info"]);
    expect(flagStatusTagType("open")).toBe("danger");
    expect(flagStatusTagType("dismissed")).toBe("success");
    expect(flagStatusTagType("confirmed_fake")).toBe("info");
  });

  it("renders the product name and subtitle", () => {
    expect(tz("app.name")).toBe("好差评督办");
    expect(tz("app.subtitle")).toBe("政务服务“好差评”差评工单督办系统");
  });
});

describe("English labels", () => {
  it("has an English text for every enum value, different from the key", () => {
    for (const s of CASE_STATES) expect(stateLabel(te, s)).not.toBe(`state.${s}`);
    for (const l of LEVELS) expect(levelLabel(te, l)).not.toBe(`level.${l}`);
    for (const r of ROLES) expect(roleLabel(te, r)).not.toBe(`role.${r}`);
    for (const s of CASE_SOURCES) expect(sourceLabel(te, s)).not.toBe(`source.${s}`);
    for (const c of CHANNELS) expect(channelLabel(te, c)).not.toBe(`channel.c${c}`);
    for (const k of CASE_COMMANDS) expect(commandLabel(te, k)).not.toBe(`command.kind.${k}`);
    for (const e of ESCALATION_LEVELS) expect(escalationLabel(te, e)).not.toBe(`escalation.${e}`);
    expect(stateLabel(te, "rectified")).toBe("Revisit due");
  });

  it("has exactly the same keys as Chinese", () => {
    const keys = (o: object, p = ""): string[] =>
      Object.entries(o).flatMap(([k, v]) => (v && typeof v === "object" ? keys(v, `${p}${k}.`) : [`${p}${k}`]));
    expect(keys(en).sort()).toEqual(keys(zhCN).sort());
  });

  it("compiles every message in both languages (no syntax errors)", () => {
    const keys = (o: object, p = ""): string[] =>
      Object.entries(o).flatMap(([k, v]) => (v && typeof v === "object" ? keys(v, `${p}${k}.`) : [`${p}${k}`]));
    const named = {
      message: "m",
      module: "M",
      version: "1",
      n: 1,
      rows: 1,
      total: 2,
      code: 9,
      caseNo: "X",
      field: "f",
      max: 10,
      text: "t",
      action: "a",
      name: "n",
      id: 1,
      date: "2026-11-21",
      pending: 1,
      rejected: 0,
      verdict: "v",
      time: "2026-11-21 09:00",
      kind: "k",
      unit: "u",
      level: "l",
    };
    for (const k of keys(zhCN)) expect(typeof tz(k, named)).toBe("string");
    for (const k of keys(en)) expect(typeof te(k, named)).toBe("string");
  });
});

describe("tag colours", () => {
  it("uses the fixed level colours", () => {
    expect(levelTagType("very_dissatisfied")).toBe("danger");
    expect(levelTagType("dissatisfied")).toBe("warning");
    expect(levelTagType("basically_satisfied")).toBe("info");
    expect(levelTagType("satisfied")).toBe("success");
    expect(levelTagType("very_satisfied")).toBe("success");
  });

  it("gives every state a tag type", () => {
    for (const s of CASE_STATES) expect(["primary", "success", "info", "warning", "danger"]).toContain(stateTagType(s));
    expect(stateTagType("closed")).toBe("success");
    expect(stateTagType("excluded")).toBe("info");
  });
});
