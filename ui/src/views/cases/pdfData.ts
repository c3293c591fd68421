/**
 * The data pdf.js needs for PDFs whose fonts are not embedded, bundled with the app (the client
 * works offline, and the CSP allows no fetch): the CMaps that map Chinese character codes
 * (GBK-EUC-H, UniGB-UCS2-H, Adobe-GB1-…, common in documents from Chinese office software) and
 * the standard fonts. Each file is its own chunk of the bundle, loaded when a PDF asks for it.
 */

type Loaders = Record<string, () => Promise<string>>;

const cmaps = import.meta.glob("/node_modules/pdfjs-dist/cmaps/*.bcmap", { query: "?inline", import: "default" }) as Loaders;
const fonts = import.meta.glob("/node_modules/pdfjs-dist/standard_fonts/*.{pfb,ttf}", {
  query: "?inline",
  import: "default",
}) as Loaders;

/** The bytes of a bundled data URL (`data:…;base64,…`). */
function decode(dataUrl: string): Uint8Array {
  const binary = atob(dataUrl.slice(dataUrl.indexOf(",") + 1));
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

async function load(loaders: Loaders, path: string, what: string): Promise<Uint8Array> {
  const loader = loaders[path];
  if (!loader) throw new Error(`${what} not bundled: ${path.slice(path.lastIndexOf("/") + 1)}`);
  return decode(await loader());
}

/** A bundled CMap by pdf.js's name for it (packed, `.bcmap`). */
export function builtInCMap(name: string): Promise<Uint8Array> {
  return load(cmaps, `/node_modules/pdfjs-dist/cmaps/${name}.bcmap`, "CMap");
}

/** A bundled standard font by its file name (`FoxitSerif.pfb`, `LiberationSans-Regular.ttf`, …). */
export function standardFont(filename: string): Promise<Uint8Array> {
  return load(fonts, `/node_modules/pdfjs-dist/standard_fonts/${filename}`, "font");
}

/** pdf.js's CMap reader, from the bundle. */
export class BundledCMapReaderFactory {
  async fetch({ name }: { name: string }): Promise<{ cMapData: Uint8Array; isCompressed: boolean }> {
    return { cMapData: await builtInCMap(name), isCompressed: true };
  }
}

/** pdf.js's standard font reader, from the bundle. */
export class BundledStandardFontDataFactory {
  async fetch({ filename }: { filename: string }): Promise<Uint8Array> {
    return standardFont(filename);
  }
}
