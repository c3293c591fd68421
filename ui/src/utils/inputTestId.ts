import type { Directive } from "vue";

function apply(el: HTMLElement, value: string | undefined) {
  const input = el.querySelector("input");
  if (!input || !value) return;
  if (input.getAttribute("data-testid") !== value) input.setAttribute("data-testid", value);
}

/**
 * `v-input-testid="'x'"`: puts `data-testid="x"` on the inner <input> of a component that does not
 * pass attributes to it (el-select puts them on its wrapper), so WebDriver tests click the real input.
 */
export const vInputTestid: Directive<HTMLElement, string | undefined> = {
  mounted: (el, binding) => apply(el, binding.value),
  updated: (el, binding) => apply(el, binding.value),
};
