import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { mount, type VueWrapper } from "@vue/test-utils";
import { ElMessageBox } from "element-plus";
import HotlineTab from "../HotlineTab.vue";
import { attemptOutcome, canRetry, lastProblem, stateTag } from "../hotline";
import { adminBackend, type HotlineDelivery, type HotlinePage } from "@/api/adminBackend";
import { BackendError, ErrorCode } from "@/api/backend";
import { settle, testEnv, type TestEnv } from "@/test/helpers";

function delivery(id: number, state: HotlineDelivery["state"], extra: Partial<HotlineDelivery> = {}): HotlineDelivery {
  return {
    id,
    deliveryKey: `case-event-${id * 10}`,
    ticketNo: `12345-20261120-00${id}`,
    caseId: id,
    caseNo: `RX-2026-00000${id}`,
    event: "assigned",
    eventLabel: "已交办",
    statusLabel: "已交办",
    state,
    attempts: state === "pending" ? 0 : 3,
    nextAttemptAt: "2026-11-20 09:00:00",
    createdAt: "2026-11-20 08:00:00",
    deliveredAt: state === "delivered" ? "2026-11-20 08:00:05" : null,
    lastStatus: null,
    lastError: null,
    blockedBy: null,
    result: null,
    attemptLog: [],
    ...extra,
  };
}

const FAILED = delivery(1, "failed", {
  lastStatus: 502,
  lastError: "HTTP 502",
  attemptLog: [
    { at: "2026-11-20 08:01:00", httpStatus: 502, error: "HTTP 502", excerpt: "bad gateway", durationMs: 12 },
    { at: "2026-11-20 08:00:30", httpStatus: null, error: "请求超时（10 秒内无应答）", excerpt: "", durationMs: 10000 },
  ],
});
const WAITING = delivery(2, "pending", { blockedBy: 1 });
const RETRYING = delivery(3, "retrying", { lastError: "无法连接：connection refused" });
const DELIVERED = delivery(4, "delivered", { lastStatus: 200 });

function page(enabled = true): HotlinePage {
  return {
    enabled,
    counts: { pending: 1, retrying: 1, delivered: 1, failed: 1 },
    deliveries: [FAILED, WAITING, RETRYING, DELIVERED],
    nextBefore: null,
  };
}

describe("12345回传 view logic", () => {
  it("colours each state and offers a retry only where one helps", () => {
    expect([FAILED, WAITING, RETRYING, DELIVERED].map((d) => stateTag(d.state))).toEqual(["danger", "info", "warning", "success"]);
    expect([FAILED, WAITING, RETRYING, DELIVERED].map(canRetry)).toEqual([true, false, true, false]);
  });

  it("says what a delivery is stuck on: its last error, or the earlier callback it waits for", () => {
    expect(lastProblem(FAILED)).toEqual({ key: "admin.hotline.lastError", params: { error: "HTTP 502" } });
    expect(lastProblem(WAITING)).toEqual({ key: "admin.hotline.blockedBy", params: { id: 1 } });
    expect(lastProblem(DELIVERED)).toBeNull();
    expect(attemptOutcome(FAILED.attemptLog[0]!)).toBe("HTTP 502（HTTP 502）");
    expect(attemptOutcome(FAILED.attemptLog[1]!)).toBe("请求超时（10 秒内无应答）");
  });
});

let env: TestEnv;
let wrapper: VueWrapper | null = null;

beforeEach(() => {
  env = testEnv();
});

afterEach(() => {
  wrapper?.unmount();
  wrapper = null;
  vi.restoreAllMocks();
  document.body.innerHTML = "";
});

describe("12345回传 tab", () => {
  it("lists the deliveries with their state labels and retries a failed one after confirmation", async () => {
    const list = vi.spyOn(adminBackend, "hotlineDeliveries").mockResolvedValue(page());
    const retry = vi.spyOn(adminBackend, "hotlineRetry").mockResolvedValue({ ...FAILED, state: "retrying" });
    const confirm = vi.spyOn(ElMessageBox, "confirm").mockResolvedValue("confirm" as never);
    wrapper = mount(HotlineTab, { global: env.global as never, attachTo: document.body });
    await settle();
    expect(list).toHaveBeenCalledWith(null, null);
    const states = [1, 2, 3, 4].map((id) => wrapper!.find(`[data-testid=hotline-state-${id}]`).text());
    expect(states).toEqual(["失败", "待发送", "重试中", "已送达"]);
    expect(wrapper.find("[data-testid=hotline-problem-2]").text()).toBe("等待同一热线工单的前一条回传（#1）送达");
    expect(wrapper.find("[data-testid=hotline-problem-1]").text()).toBe("HTTP 502");
    expect(wrapper.find("[data-testid=hotline-retry-1]").exists()).toBe(true);
    expect(wrapper.find("[data-testid=hotline-retry-2]").exists()).toBe(false);
    expect(wrapper.find("[data-testid=hotline-retry-4]").exists()).toBe(false);
    expect(wrapper.find("[data-testid=hotline-disabled]").exists()).toBe(false);
    await wrapper.find("[data-testid=hotline-retry-1]").trigger("click");
    await settle();
    expect(confirm).toHaveBeenCalledWith(expect.stringContaining("12345-20261120-001"), expect.anything(), expect.anything());
    expect(retry).toHaveBeenCalledWith(1);
    expect(list).toHaveBeenCalledTimes(2);
  });

  it("filters by state, says when no URL is configured, and says plainly when offline", async () => {
    const list = vi.spyOn(adminBackend, "hotlineDeliveries").mockResolvedValue(page(false));
    wrapper = mount(HotlineTab, { global: env.global as never, attachTo: document.body });
    await settle();
    expect(wrapper.find("[data-testid=hotline-disabled]").text()).toContain("未配置12345回传地址");
    await wrapper.find("[data-testid=hotline-filter-failed] input").setValue(true);
    await settle();
    expect(list).toHaveBeenLastCalledWith("failed", null);
    list.mockRejectedValue(new BackendError(ErrorCode.Network, "offline"));
    await wrapper.find("[data-testid=hotline-refresh]").trigger("click");
    await settle();
    expect(wrapper.find("[data-testid=admin-error]").text()).toContain("需要连接服务器");
  });
});
