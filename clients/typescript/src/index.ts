/**
 * Keel's API, typed from the committed openapi.yaml.
 *
 * `src/schema.d.ts` is generated from it (`make client`); openapi-fetch makes the
 * requests. This module adds what every front end needs on top: the access token on
 * each request, and the type of Keel's problem+json errors.
 */
import createClient, { type Middleware } from "openapi-fetch";

import type { components, paths } from "./schema.js";

export type { components, paths };
/** Every error Keel answers: `code` is stable and machine-readable, `errors` per field. */
export type Problem = components["schemas"]["Problem"];
export type Item = components["schemas"]["Item"];
export type TokenPair = components["schemas"]["TokenPair"];

export interface KeelClientOptions {
  /** Where Keel answers, e.g. "https://api.example.com". */
  baseUrl: string;
  /** The current access token, read before each request (none: anonymous). */
  accessToken?: () => string | undefined;
  fetch?: typeof globalThis.fetch;
}

export function createKeelClient({ baseUrl, accessToken, fetch }: KeelClientOptions) {
  const client = createClient<paths>({ baseUrl, fetch });
  if (accessToken) {
    const bearer: Middleware = {
      onRequest({ request }) {
        const token = accessToken();
        if (token) request.headers.set("Authorization", `Bearer ${token}`);
        return request;
      },
    };
    client.use(bearer);
  }
  return client;
}

export type KeelClient = ReturnType<typeof createKeelClient>;

/** Whether a value is a Keel problem (for errors that did not come through the client). */
export function isProblem(value: unknown): value is Problem {
  return typeof value === "object" && value !== null && "code" in value && "status" in value;
}
