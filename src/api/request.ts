import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import { IApiErrorBody } from './generated/schemas';

/** The error body every `/mlops/api` handler answers with on failure. */
export type { IApiErrorBody } from './generated/schemas';

/**
 * A non-2xx answer from the MLOps server API.
 *
 * One class for every failure so callers can branch on `code`/`field`
 * (e.g. to highlight a form input) instead of parsing messages.
 */
export class MLOpsApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly field?: string;

  constructor(status: number, body: IApiErrorBody) {
    super(body.message);
    this.name = 'MLOpsApiError';
    this.status = status;
    this.code = body.code;
    if (body.field !== undefined) {
      this.field = body.field;
    }
  }
}

function isErrorBody(value: unknown): value is IApiErrorBody {
  if (typeof value !== 'object' || value === null) {
    return false;
  }
  const body = value as Record<string, unknown>;
  return typeof body.code === 'string' && typeof body.message === 'string';
}

/**
 * Call the MLOps server API at `/mlops/api/<path>`.
 *
 * @param path - Path below `mlops/api`, e.g. `'status'`.
 * @param init - Fetch options; a body must already be serialised.
 * @param settings - Server settings; defaults to the page's settings.
 * @returns The parsed JSON answer (undefined for an empty body).
 * @throws MLOpsApiError on a non-2xx answer.
 */
export async function requestAPI<T>(
  path: string,
  init: RequestInit = {},
  settings: ServerConnection.ISettings = ServerConnection.makeSettings()
): Promise<T> {
  const url = URLExt.join(settings.baseUrl, 'mlops', 'api', path);
  let response: Response;
  try {
    response = await ServerConnection.makeRequest(url, init, settings);
  } catch (error) {
    throw new ServerConnection.NetworkError(error as TypeError);
  }

  const text = await response.text();
  let data: unknown = undefined;
  if (text.length > 0) {
    try {
      data = JSON.parse(text);
    } catch {
      // A proxy or the server's own HTML error page; handled below.
      data = undefined;
    }
  }

  if (!response.ok) {
    const body: IApiErrorBody = isErrorBody(data)
      ? data
      : {
          code: `http_${response.status}`,
          message: response.statusText || `HTTP error ${response.status}`
        };
    throw new MLOpsApiError(response.status, body);
  }
  if (data === undefined && text.length > 0) {
    throw new MLOpsApiError(response.status, {
      code: 'invalid_json',
      message: `Invalid JSON answer from ${url}`
    });
  }
  return data as T;
}

/**
 * Build a request path from raw segments and query parameters.
 *
 * Segments are percent-encoded one by one: run ids are safe, but model
 * names and aliases are user text and may hold `/`, `?` or `#`. Query
 * values that are undefined, null or empty are left out so the server
 * applies its own defaults.
 */
export function apiPath(
  segments: ReadonlyArray<string>,
  query: Record<string, string | number | null | undefined> = {}
): string {
  const path = segments.map(encodeURIComponent).join('/');
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') {
      params.set(key, String(value));
    }
  }
  const search = params.toString();
  return search ? `${path}?${search}` : path;
}

/**
 * Request options for a JSON body sent with `method`.
 */
export function jsonRequest(method: string, body: unknown): RequestInit {
  return { method, body: JSON.stringify(body) };
}
