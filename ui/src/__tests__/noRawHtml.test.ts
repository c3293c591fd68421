// Citizens' text (comments, complaint summaries, names) must always render as text. Vue's
// interpolation escapes it; these are the ways around that, and none of them may appear in the
// application's source. The end-to-end suite proves the same on the real screens with an XSS
// corpus posted through the server's intake.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const SRC = resolve(__dirname, "..");

/** What turns a string into markup or code, with why it is banned. */
const RAW_HTML: ReadonlyArray<[RegExp, string]> = [
  [/\bv-html\b/, "v-html renders a string as HTML"],
  [/\binnerHTML\b|\bouterHTML\b/, "innerHTML/outerHTML parse a string as HTML"],
  [/\binsertAdjacentHTML\b|\bcreateContextualFragment\b|\bDOMParser\b/, "parses a string as HTML"],
  [/\bdocument\.write(ln)?\b/, "document.write parses a string as HTML"],
  [/\bsrcdoc\b/, "an iframe srcdoc is HTML"],
  [/\bdangerouslyUseHTMLString\b/, "Element Plus message/box/notification rendering HTML"],
  [/\braw-content\b|\brawContent\b/, "Element Plus tooltip/table tooltip rendering HTML"],
  [/\beval\s*\(|\bnew\s+Function\s*\(/, "evaluates a string as code"],
];

/** The violations in one file's text: `[line number, reason]`. */
export function rawHtmlUses(text: string): Array<[number, string]> {
  const out: Array<[number, string]> = [];
  text.split("\n").forEach((line, i) => {
    for (const [re, why] of RAW_HTML) if (re.test(line)) out.push([i + 1, why]);
  });
  return out;
}

/** Every .vue and .ts file of the application (tests and their helpers excluded). */
function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      if (name === "__tests__" || name === "test") continue;
      out.push(...sourceFiles(path));
    } else if (/\.(vue|ts)$/.test(name) && !/\.(test|spec)\.ts$/.test(name)) {
      out.push(path);
    }
  }
  return out;
}

describe("citizens' text is never rendered as HTML", () => {
  it("recognises each way of rendering a string as markup", () => {
    expect(rawHtmlUses('<p v-html="row.summary"></p>')).toHaveLength(1);
    expect(rawHtmlUses("el.innerHTML = comment;")).toHaveLength(1);
    expect(rawHtmlUses("ElMessageBox.alert(text, { dangerouslyUseHTMLString: true })")).toHaveLength(1);
    expect(rawHtmlUses('<el-tooltip raw-content :content="summary" />')).toHaveLength(1);
    expect(rawHtmlUses("new Function(code)()")).toHaveLength(1);
    expect(rawHtmlUses('<span class="summary">{{ row.summary }}</span>')).toEqual([]);
  });

  it("no application source uses v-html, innerHTML or another raw-HTML path", () => {
    const files = sourceFiles(SRC);
    // The scan covers the whole app, not an empty folder.
    expect(files.some((f) => f.endsWith("CaseDetailDrawer.vue"))).toBe(true);
    expect(files.length).toBeGreaterThan(30);
    const found = files.flatMap((f) =>
      rawHtmlUses(readFileSync(f, "utf8")).map(([line, why]) => `${relative(SRC, f)}:${line}: ${why}`),
    );
    expect(found).toEqual([]);
  });
});
