import { afterEach, describe, expect, it } from "vitest";
import { mount, type VueWrapper } from "@vue/test-utils";
import PeriodPicker from "../PeriodPicker.vue";
import { testEnv } from "@/test/helpers";

let wrapper: VueWrapper | null = null;

afterEach(() => {
  wrapper?.unmount();
  wrapper = null;
  document.body.innerHTML = "";
});

describe("PeriodPicker", () => {
  it("asks for a start and an end day in the user's language, at the given width", () => {
    wrapper = mount(PeriodPicker, {
      props: { modelValue: null, testid: "x-period", width: "240px" },
      global: testEnv().global as never,
      attachTo: document.body,
    });
    const inputs = wrapper.findAll("input");
    expect(inputs.map((i) => i.attributes("placeholder"))).toEqual(["开始日期", "结束日期"]);
    const box = wrapper.find('[data-testid="x-period"]');
    expect(box.exists()).toBe(true);
    expect(box.attributes("style")).toContain("width: 240px");
  });

  it("shows the chosen days", () => {
    wrapper = mount(PeriodPicker, {
      props: { modelValue: ["2026-11-01", "2026-11-30"] },
      global: testEnv().global as never,
      attachTo: document.body,
    });
    expect(wrapper.findAll("input").map((i) => (i.element as HTMLInputElement).value)).toEqual(["2026-11-01", "2026-11-30"]);
  });
});
