/**
 * Bearer-token authentication. Both sides are hashed with SHA-256 first, so
 * `crypto.timingSafeEqual` compares equal-length buffers and the time taken reveals neither the
 * token's length nor how many leading characters a guess got right.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { MaxsimError } from "../errors.js";

function digest(value: string): Buffer {
  return createHash("sha256").update(value, "utf8").digest();
}

/**
 * A checker for `Authorization` header values against `token`.
 *
 * @param token - the shared secret (non-empty)
 * @returns a function that throws `UNAUTHORIZED` unless the header is `Bearer <token>`
 * @throws MaxsimError `INVALID_OPTION` for an empty token
 */
export function bearerChecker(token: string): (header: string | undefined) => void {
  if (token.length === 0)
    throw new MaxsimError("INVALID_OPTION", "The server token is empty. Pass a non-empty --token (or MAXSIM_TOKEN), or none to serve without authentication.");
  const expected = digest(token);
  return (header) => {
    const match = /^Bearer[ ]+(.+)$/i.exec(header ?? "");
    // Hash even when the header is missing, so a missing header costs the same as a wrong one.
    const ok = timingSafeEqual(digest(match?.[1]?.trim() ?? ""), expected) && match !== null;
    if (!ok) {
      throw new MaxsimError(
        "UNAUTHORIZED",
        header === undefined
          ? "This server needs a token. Send the header `Authorization: Bearer <token>` (the --token or MAXSIM_TOKEN the server was started with)."
          : "The bearer token is wrong. Send `Authorization: Bearer <token>` with the token the server was started with.",
      );
    }
  };
}
