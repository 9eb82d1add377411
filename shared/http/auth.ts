import type { HttpRequest } from '@azure/functions';
import { z } from 'zod';
import type { Config } from '../app/config';
import { ForbiddenError, UnauthorizedError } from './problem';

export const ADMIN_ROLE = 'LeadScore.Admin';

/** How the admin routes (deploy, rollback, retrain) authorise: the setting ADMIN_AUTH. */
export type AdminAuth = Config['ADMIN_AUTH'];

/** What an admin handler needs besides its own dependencies: the setting, from the process's config. */
export interface AdminDeps {
  config: Pick<Config, 'ADMIN_AUTH'>;
}

/** The actor recorded for an admin operation under ADMIN_AUTH=key: nothing but the key identifies the caller. */
export const KEY_ACTOR = 'function key';

/** The deployment log's `changed_by` / `activated_by` are NVARCHAR(200): a longer name is not recorded. */
export const MAX_ACTOR_LENGTH = 200;

const ROLE_CLAIMS = ['roles', 'role', 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role'];
const OBJECT_ID_CLAIMS = ['http://schemas.microsoft.com/identity/claims/objectidentifier', 'oid'];

/**
 * The App Service authentication principal (`x-ms-client-principal`): base64 of a JSON object whose
 * `claims` are `{ typ, val }` pairs; `name_typ` and `role_typ` name the claim types of the name and
 * the roles. Anything else in the object is ignored.
 */
const principalSchema = z.object({
  auth_typ: z.string().optional(),
  name_typ: z.string().optional(),
  role_typ: z.string().optional(),
  claims: z.array(z.object({ typ: z.string(), val: z.string() })),
});

export type ClientPrincipal = z.infer<typeof principalSchema>;

/** Standard base64 (App Service's encoding); Buffer.from would skip over anything else silently. */
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

const NOT_A_PRINCIPAL = 'x-ms-client-principal is not a client principal (base64 of a JSON object with a claims array)';

/**
 * The principal App Service authentication validated and passed on. Only meaningful when the platform
 * is in front of the app (ADMIN_AUTH=entra): it removes the header from external requests, so without
 * it the header is whatever the caller sent. Missing or malformed: 401.
 */
export function clientPrincipal(request: HttpRequest): ClientPrincipal {
  const header = request.headers.get('x-ms-client-principal');
  if (!header) throw new UnauthorizedError('sign-in required: the request carries no x-ms-client-principal (App Service authentication passes it on)');
  if (!BASE64.test(header) || header.length % 4 === 1) throw new UnauthorizedError(NOT_A_PRINCIPAL);
  let decoded: unknown;
  try {
    decoded = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(header, 'base64')));
  } catch {
    throw new UnauthorizedError(NOT_A_PRINCIPAL);
  }
  const parsed = principalSchema.safeParse(decoded);
  if (!parsed.success) throw new UnauthorizedError(NOT_A_PRINCIPAL);
  return parsed.data;
}

function claimValues(p: ClientPrincipal, types: readonly string[]): string[] {
  return p.claims.filter((c) => types.includes(c.typ)).map((c) => c.val);
}

/**
 * Who the principal is, for the deployment log: its sign-in name (preferred_username, the claim
 * name_typ names, name) or, for an application (Azure Monitor's secure webhook has no name), its
 * object id. Never the x-ms-client-principal-name header, which nothing here validates.
 */
function principalName(p: ClientPrincipal): string | undefined {
  const types = ['preferred_username', ...(p.name_typ ? [p.name_typ] : []), 'name', ...OBJECT_ID_CLAIMS];
  for (const typ of types) {
    const val = claimValues(p, [typ]).find((v) => v.trim().length > 0 && v.length <= MAX_ACTOR_LENGTH);
    if (val !== undefined) return val.trim();
  }
  return undefined;
}

export interface Admin {
  /** Recorded as the deployment log's `by` and a retrain run's `requestedBy`. */
  actor: string;
}

/**
 * Admin operations. The function key always applies (authLevel 'function', checked by the host).
 * - `key`: the key is the whole gate; principal headers are ignored and the actor is KEY_ACTOR.
 * - `entra`: App Service authentication is in front; the request must carry a valid principal (401)
 *   holding the app role LeadScore.Admin (403) and naming someone (401); the actor is that principal.
 */
export function requireAdmin(request: HttpRequest, mode: AdminAuth): Admin {
  if (mode === 'key') return { actor: KEY_ACTOR };
  const p = clientPrincipal(request);
  const roles = claimValues(p, [...ROLE_CLAIMS, ...(p.role_typ ? [p.role_typ] : [])]);
  if (!roles.includes(ADMIN_ROLE)) throw new ForbiddenError(`this operation needs the app role ${ADMIN_ROLE}`);
  const name = principalName(p);
  if (name === undefined) throw new UnauthorizedError(`the principal carries no name or object id claim (of at most ${MAX_ACTOR_LENGTH} characters) to record`);
  return { actor: name };
}

/** Who is asking, for the deployment log: requireAdmin's actor (so it throws what requireAdmin throws). */
export function actor(request: HttpRequest, mode: AdminAuth): string {
  return requireAdmin(request, mode).actor;
}
