#!/usr/bin/env bash
# Installs the Rust-side tools the end-to-end tests need (tauri-driver), once.
set -euo pipefail
if ! command -v tauri-driver >/dev/null 2>&1; then
  echo "installing tauri-driver (cargo install, about 2 minutes on 2 cores)"
  cargo install tauri-driver --locked --quiet
fi
