/**
 * PDF evidence in the preview: pdf.js (the legacy build, for the WebKitGTK webview) loaded on
 * first use only, so the rest of the app's bundle does not carry it. The bytes are untrusted:
 * no scripting (`isEvalSupported: false`), no XFA forms, nothing fetched (no URL, no range
 * requests), and pages are drawn onto canvases only (no annotation layer, so no link navigates).
 */

import { BundledCMapReaderFactory, BundledStandardFontDataFactory } from "./pdfData";

/** An opened PDF: its page count, a page drawn to fit a width, and its release. */
export interface PdfDocument {
  numPages: number;
  /** Draws page `n` (1-based) onto `canvas`, `cssWidth` CSS pixels wide. */
  renderPage(n: number, canvas: HTMLCanvasElement, cssWidth: number): Promise<void>;
  destroy(): void;
}

type PdfJs = typeof import("pdfjs-dist/legacy/build/pdf.mjs");

let loading: Promise<PdfJs> | null = null;

/** pdf.js and its worker (a same-origin file of the bundle: the CSP's `worker-src 'self'`). */
function pdfjs(): Promise<PdfJs> {
  loading ??= Promise.all([import("pdfjs-dist/legacy/build/pdf.mjs"), import("pdfjs-dist/legacy/build/pdf.worker.min.mjs?url")])
    .then(([lib, worker]) => {
      lib.GlobalWorkerOptions.workerSrc = worker.default;
      return lib;
    })
    .catch((e: unknown) => {
      loading = null;
      throw e;
    });
  return loading;
}

/** Opens a PDF from its bytes (copied: pdf.js hands its buffer to the worker). */
export async function openPdf(bytes: ArrayBuffer): Promise<PdfDocument> {
  const lib = await pdfjs();
  const task = lib.getDocument({
    data: new Uint8Array(bytes.slice(0)),
    isEvalSupported: false,
    enableXfa: false,
    disableAutoFetch: true,
    disableStream: true,
    disableRange: true,
    useSystemFonts: true,
    // Fonts not embedded (宋体 in many Chinese PDFs) need the CMaps, from the bundle.
    CMapReaderFactory: BundledCMapReaderFactory,
    StandardFontDataFactory: BundledStandardFontDataFactory,
    useWorkerFetch: false,
  } as Parameters<PdfJs["getDocument"]>[0]);
  const doc = await task.promise;
  let current: { cancel(): void } | null = null;
  return {
    numPages: doc.numPages,
    async renderPage(n, canvas, cssWidth) {
      current?.cancel();
      const page = await doc.getPage(n);
      const base = page.getViewport({ scale: 1 });
      const viewport = page.getViewport({ scale: cssWidth / base.width });
      const ratio = Math.min(window.devicePixelRatio || 1, 3);
      canvas.width = Math.floor(viewport.width * ratio);
      canvas.height = Math.floor(viewport.height * ratio);
      canvas.style.width = `${Math.floor(viewport.width)}px`;
      canvas.style.height = `${Math.floor(viewport.height)}px`;
      const context = canvas.getContext("2d");
      if (!context) throw new Error("canvas unavailable");
      const render = page.render({
        canvasContext: context,
        viewport,
        transform: ratio === 1 ? undefined : [ratio, 0, 0, ratio, 0, 0],
        annotationMode: lib.AnnotationMode.ENABLE,
      });
      current = render;
      try {
        await render.promise;
      } finally {
        if (current === render) current = null;
      }
    },
    destroy() {
      current?.cancel();
      void task.destroy();
    },
  };
}

/** A page render replaced by a newer one (next/previous clicked quickly): not an error. */
export function isCancelled(e: unknown): boolean {
  return !!e && typeof e === "object" && "name" in e && (e as { name: string }).name === "RenderingCancelledException";
}
