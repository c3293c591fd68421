/// <reference types="vitest/config" />
import { defineConfig } from "vite";
import vue from "@vitejs/plugin-vue";
import { fileURLToPath, URL } from "node:url";

// The app is served by Tauri from a custom protocol: relative base, no CDN,
// every asset bundled into dist/ so the client works fully offline.
export default defineConfig({
  base: "./",
  plugins: [vue()],
  // pdf.js's CMaps, bundled for the PDF preview (see src/views/cases/pdfData.ts).
  assetsInclude: ["**/*.bcmap", "**/*.pfb"],
  resolve: {
    alias: {
      "@": fileURLToPath(new URL("./src", import.meta.url)),
    },
  },
  define: {
    // vue-i18n: composition API only, JIT message compilation (no eval; CSP-safe).
    __VUE_I18N_FULL_INSTALL__: true,
    __VUE_I18N_LEGACY_API__: false,
    __INTLIFY_PROD_DEVTOOLS__: false,
    __INTLIFY_JIT_COMPILATION__: true,
    __INTLIFY_DROP_MESSAGE_COMPILER__: false,
    __VUE_OPTIONS_API__: true,
    __VUE_PROD_DEVTOOLS__: false,
    __VUE_PROD_HYDRATION_MISMATCH_DETAILS__: false,
  },
  clearScreen: false,
  server: {
    port: 5173,
    strictPort: false,
  },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2021",
    sourcemap: false,
    chunkSizeWarningLimit: 2048,
    rollupOptions: {
      output: {
        manualChunks(id) {
          if (id.includes("node_modules/element-plus") || id.includes("node_modules/@element-plus")) {
            return "element-plus";
          }
          // pdf.js (PDF 附件 preview) is loaded on first use only: its own chunk, not in vendor.
          if (id.includes("node_modules/pdfjs-dist")) return undefined;
          if (id.includes("node_modules")) return "vendor";
        },
      },
    },
  },
  test: {
    environment: "jsdom",
    globals: false,
    setupFiles: ["./src/test/setup.ts"],
    include: ["src/**/*.{test,spec}.ts"],
    css: false,
    // Mounting Element Plus tables takes seconds on a busy 2-core CI machine; 5 s timed out there.
    testTimeout: 30_000,
    server: {
      deps: {
        inline: ["element-plus"],
      },
    },
  },
});
