import { CHALLENGE } from "../auth/basic-auth.ts";

const JSON_HEADERS = { "content-type": "application/json" } as const;

/**
 * Maximum length of a message to a client or the log. Refusals quote
 * what the client sent (a field name, a path), as long as the body.
 */
export const MAX_MESSAGE_LENGTH = 400;

/** Cuts a message to {@link MAX_MESSAGE_LENGTH}, marking the cut. */
export function shorten(message: string): string {
  if (message.length <= MAX_MESSAGE_LENGTH) return message;
  return `${message.slice(0, MAX_MESSAGE_LENGTH - 1)}…`;
}

/** Serialises an error body in the engine's own shape: `{"message": …}`. */
export function errorBody(message: string): string {
  return JSON.stringify({ message: shorten(message) }) + "\n";
}

/** Builds an error response in the engine's own shape: `{"message": …}`. */
export function errorResponse(
  status: number,
  message: string,
  headers: Record<string, string> = {},
): Response {
  return new Response(errorBody(message), {
    status,
    headers: { ...JSON_HEADERS, ...headers },
  });
}

/** Builds the 401 response with the original proxy's realm. */
export function unauthorizedResponse(): Response {
  return errorResponse(401, "Authentication required",
    { "www-authenticate": CHALLENGE });
}
