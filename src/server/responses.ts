import { CHALLENGE } from "../auth/basic-auth.ts";

const JSON_HEADERS = { "content-type": "application/json" } as const;

/** Builds an error answer in the engine's own shape: `{"message": …}`. */
export function errorResponse(
  status: number,
  message: string,
  headers: Record<string, string> = {},
): Response {
  return new Response(JSON.stringify({ message }) + "\n", {
    status,
    headers: { ...JSON_HEADERS, ...headers },
  });
}

/** The 401 answer with the original proxy's challenge and realm. */
export function unauthorizedResponse(): Response {
  return errorResponse(401, "Authentication required",
    { "www-authenticate": CHALLENGE });
}
