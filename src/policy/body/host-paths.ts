const CONTROL_CHARACTER = /[\x00-\x1f\x7f]/;

/**
 * Tells whether `path` is absolute and already in clean form: no empty,
 * `.` or `..` segments, no trailing slash except for `/` itself, and no
 * control characters. Host paths must be clean because the engine follows
 * them as written.
 */
export function isCleanAbsolutePath(path: string): boolean {
  if (!path.startsWith("/") || CONTROL_CHARACTER.test(path)) return false;
  if (path === "/") return true;
  return path.slice(1).split("/").every((segment) =>
    segment !== "" && segment !== "." && segment !== ".."
  );
}

/**
 * Tells whether `path` is absolute with no `.` or `..` segments and no
 * control characters. Paths inside a container may keep a trailing or
 * doubled slash: without `.` and `..` segments they name the same place.
 */
export function isContainerPath(path: string): boolean {
  if (!path.startsWith("/") || CONTROL_CHARACTER.test(path)) return false;
  return path.split("/").every((segment) =>
    segment !== "." && segment !== ".."
  );
}

/**
 * Tells whether clean absolute `path` equals `base` or lies below it at a
 * segment boundary: `/dev/dri` covers `/dev/dri/card0`, not `/dev/dri2`.
 */
export function isSameOrBelow(path: string, base: string): boolean {
  if (path === base) return true;
  return path.startsWith(base.endsWith("/") ? base : `${base}/`);
}
