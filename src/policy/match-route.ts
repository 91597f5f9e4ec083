import type { Target } from "./normalise-target.ts";
import { refuse } from "./refusal.ts";
import type { Refusal } from "./refusal.ts";
import {
  CONTAINER_ID,
  CONTAINER_NAME,
  EXEC_ID,
  IMAGE_REF,
  ROUTES,
  VOLUME_NAME,
} from "./routes.ts";
import type { Route } from "./routes.ts";

/** Path parameters a route can carry. */
export type ParamName = "container" | "volume" | "exec" | "image";

/** A target that matched an allowed route. */
export interface RouteMatch {
  readonly route: Route;
  readonly target: Target;
  readonly params: Readonly<Partial<Record<ParamName, string>>>;
}

interface CompiledRoute {
  readonly route: Route;
  readonly pattern: RegExp;
  readonly names: readonly ParamName[];
  /** Query parameters the route requires. */
  readonly required: readonly string[];
}

/** Shape checks of each path parameter, run before anything else. */
const PARAM_CHECKS: Readonly<Record<ParamName, (value: string) => boolean>> = {
  container: (value) => CONTAINER_NAME.test(value) || CONTAINER_ID.test(value),
  volume: (value) => VOLUME_NAME.test(value),
  exec: (value) => EXEC_ID.test(value),
  image: (value) => IMAGE_REF.test(value),
};

function compile(route: Route): CompiledRoute {
  const names: ParamName[] = [];
  const source = route.template.replace(/[.]/g, "\\.").replace(
    /\{(\w+)\}/g,
    (_, name: ParamName) => {
      names.push(name);
      return name === "image" ? "(.+)" : "([^/]+)";
    },
  );
  const required = Object.keys(route.query)
    .filter((name) => route.query[name]?.required === true);
  return { route, pattern: new RegExp(`^${source}$`), names, required };
}

/** First segment of a template or path: `containers` of `/containers/x`. */
function firstSegment(path: string): string {
  const end = path.indexOf("/", 1);
  return end < 0 ? path.slice(1) : path.slice(1, end);
}

/**
 * Groups the routes by their first path segment, in table order. Every
 * template starts with a fixed segment, so a path can only match routes
 * of its own group, and a request looks up one short list.
 */
function indexRoutes(routes: readonly Route[]) {
  const index = new Map<string, CompiledRoute[]>();
  for (const route of routes) {
    const segment = firstSegment(route.template);
    if (segment.includes("{")) {
      throw new Error(`Route ${route.rule} starts with a parameter: ` +
        "expected a fixed first segment");
    }
    const group = index.get(segment) ?? [];
    group.push(compile(route));
    index.set(segment, group);
  }
  return index;
}

/** Splits a template into text and parameter names, alternating. */
function splitTemplate(template: string): readonly string[] {
  return template.split(/\{(\w+)\}/);
}

/** Each route's template, split once so building a path is a join. */
const TEMPLATE_PARTS: ReadonlyMap<Route, readonly string[]> = new Map(
  ROUTES.map((route) => [route, splitTemplate(route.template)]));

const ROUTES_BY_SEGMENT: ReadonlyMap<string, readonly CompiledRoute[]> =
  indexRoutes(ROUTES);

function notAllowed(method: string, target: Target, why: string): Refusal {
  return refuse(403, "route.not-allowed",
    `Request ${method} ${target.path} is not allowed: ${why}`);
}

function checkQuery(
  { route, required }: CompiledRoute,
  target: Target,
): Refusal | undefined {
  for (const [name, value] of target.query) {
    const rule = route.query[name];
    if (rule === undefined) {
      return refuse(403, "query.not-allowed",
        `Query parameter "${name}" is not allowed on ${route.rule}`);
    }
    if (!rule.pattern.test(value)) {
      return refuse(403, "query.invalid",
        `Query parameter "${name}" has a value that is not accepted: ` +
          JSON.stringify(value.slice(0, 80)));
    }
  }
  for (const name of required) {
    if (!target.query.has(name)) {
      return refuse(403, "query.missing",
        `Query parameter "${name}" is required on ${route.rule}`);
    }
  }
  return undefined;
}

/**
 * Finds the route a method and canonical target are allowed under, and
 * checks its path parameters and query; refuses everything else.
 */
export function matchRoute(
  method: string,
  target: Target,
): RouteMatch | Refusal {
  let methodSeen = false;
  const candidates = ROUTES_BY_SEGMENT.get(firstSegment(target.path)) ?? [];
  for (const compiled of candidates) {
    const { route, pattern, names } = compiled;
    const found = pattern.exec(target.path);
    if (found === null) continue;
    if (!route.methods.includes(method)) {
      methodSeen ||= names.every((name, index) =>
        PARAM_CHECKS[name](found[index + 1] ?? ""));
      continue;
    }
    const params: Partial<Record<ParamName, string>> = {};
    for (const [index, name] of names.entries()) {
      const value = found[index + 1] ?? "";
      if (!PARAM_CHECKS[name](value)) {
        return refuse(403, `param.${name}`,
          `Request ${method} ${target.path} is not allowed: ` +
            `${name} ${JSON.stringify(value)} is not an ExApp ${name}`);
      }
      params[name] = value;
    }
    const queryRefusal = checkQuery(compiled, target);
    if (queryRefusal !== undefined) return queryRefusal;
    return { route, target, params };
  }
  return notAllowed(method, target,
    methodSeen ? "method not allowed on this path" : "no such allowed route");
}

/** Builds the path sent to the engine from the checked parts only. */
export function upstreamPath(
  match: RouteMatch,
  resolved: Readonly<Partial<Record<ParamName, string>>>,
): string {
  const { route, target } = match;
  const parts = TEMPLATE_PARTS.get(route) ?? splitTemplate(route.template);
  let path = target.version === undefined ? "" : `/v${target.version}`;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] ?? "";
    if (i % 2 === 0) {
      path += part;
    } else {
      const name = part as ParamName;
      path += resolved[name] ?? match.params[name] ?? "";
    }
  }
  let separator = "?";
  for (const [name, value] of target.query) {
    path += `${separator}${encodeURIComponent(name)}=` +
      encodeURIComponent(value);
    separator = "&";
  }
  return path;
}
