/**
 * The one backend adapter. Every store and view talks to the Rust side through
 * this module, never through `invoke` or `commands` directly.
 *
 * - unwraps tauri-specta `Result`s and throws a typed `BackendError` on error;
 * - turns unexpected failures (IPC missing, serialization) into `BackendError`
 *   with code "internal" so callers only ever catch one type;
 * - reports lost sessions ("session_expired" / "not_logged_in") to a single
 *   handler, installed by the session store, which sends the user to login.
 */
import {
  commands,
  type ApiError,
  type AppInfo_Serialize,
  type CaseListItem_Serialize,
  type CasePage_Serialize,
  type CaseQuery_Deserialize,
  type LoginRequest,
  type Session,
  type SyncProgress_Serialize,
  type SyncStatus_Serialize,
} from "./bindings";

export type { CaseSource, CaseState, Level, LoginRequest, Role, Session, SyncPhase, UserInfo } from "./bindings";

// tauri-specta emits a "_Serialize" shape (what Rust sends) and a "_Deserialize" shape (what Rust
// accepts) for each type; the UI works with the exact direction of each value.
export type AppInfo = AppInfo_Serialize;
export type CaseListItem = CaseListItem_Serialize;
export type CasePage = CasePage_Serialize;
export type CaseQuery = CaseQuery_Deserialize;
export type SyncProgress = SyncProgress_Serialize;
export type SyncStatus = SyncStatus_Serialize;

type Result<T, E> = { status: "ok"; data: T } | { status: "error"; error: E };

/** Error codes the UI branches on. Anything else is shown with its message. */
export const ErrorCode = {
  AuthFailed: "auth_failed",
  Network: "network",
  SessionExpired: "session_expired",
  NotLoggedIn: "not_logged_in",
  Internal: "internal",
} as const;

export class BackendError extends Error {
  readonly code: string;

  constructor(code: string, message: string) {
    super(message);
    this.name = "BackendError";
    this.code = code;
  }

  /** True when the user has to log in again. */
  get isAuthLost(): boolean {
    return this.code === ErrorCode.SessionExpired || this.code === ErrorCode.NotLoggedIn;
  }

  get isNetwork(): boolean {
    return this.code === ErrorCode.Network;
  }
}

export function isBackendError(e: unknown): e is BackendError {
  return e instanceof BackendError;
}

type AuthLostHandler = (error: BackendError) => void;
let authLostHandler: AuthLostHandler | null = null;

/** Installed once by the session store; called when a call reports a lost session. */
export function setAuthLostHandler(handler: AuthLostHandler | null): void {
  authLostHandler = handler;
}

function toBackendError(e: unknown): BackendError {
  if (e instanceof BackendError) return e;
  if (e && typeof e === "object" && "code" in e && typeof (e as ApiError).code === "string") {
    const api = e as ApiError;
    return new BackendError(api.code, typeof api.message === "string" ? api.message : String(api.code));
  }
  if (e instanceof Error) return new BackendError(ErrorCode.Internal, e.message);
  return new BackendError(ErrorCode.Internal, String(e));
}

interface CallOptions {
  /** Report auth-lost errors to the handler (off for login/restore/logout). */
  reportAuthLost?: boolean;
}

async function call<T>(run: () => Promise<Result<T, ApiError>>, opts: CallOptions = {}): Promise<T> {
  let result: Result<T, ApiError>;
  try {
    result = await run();
  } catch (e) {
    throw toBackendError(e);
  }
  if (result.status === "ok") return result.data;
  const err = toBackendError(result.error);
  if ((opts.reportAuthLost ?? true) && err.isAuthLost && authLostHandler) {
    authLostHandler(err);
  }
  throw err;
}

export const backend = {
  async appInfo(): Promise<AppInfo> {
    try {
      return await commands.appInfo();
    } catch (e) {
      throw toBackendError(e);
    }
  },
  sessionRestore(): Promise<Session | null> {
    return call(() => commands.sessionRestore(), { reportAuthLost: false });
  },
  login(req: LoginRequest): Promise<Session> {
    return call(() => commands.login(req), { reportAuthLost: false });
  },
  async logout(): Promise<void> {
    await call(() => commands.logout(), { reportAuthLost: false });
  },
  syncNow(): Promise<SyncStatus> {
    return call(() => commands.syncNow());
  },
  syncStatus(): Promise<SyncStatus> {
    return call(() => commands.syncStatus());
  },
  listCases(query: CaseQuery): Promise<CasePage> {
    return call(() => commands.listCases(query));
  },
};

export type Backend = typeof backend;
