import type { HttpRequest } from '@azure/functions';
import { ForbiddenError } from './problem';

export const ADMIN_ROLE = 'LeadScore.Admin';

interface ClientPrincipal {
  auth_typ?: string;
  name_typ?: string;
  role_typ?: string;
  claims?: { typ: string; val: string }[];
}

const ROLE_CLAIMS = ['roles', 'role', 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role'];

/** The App Service authentication principal, when Entra auth (Easy Auth) is configured in front of the app. */
export function clientPrincipal(request: HttpRequest): ClientPrincipal | undefined {
  const header = request.headers.get('x-ms-client-principal');
  if (!header) return undefined;
  try {
    return JSON.parse(Buffer.from(header, 'base64').toString('utf8')) as ClientPrincipal;
  } catch {
    throw new ForbiddenError('x-ms-client-principal is not valid base64 JSON');
  }
}

/**
 * Admin operations: the function key always applies (authLevel 'function'); when Entra auth is
 * configured, the caller must also hold the app role LeadScore.Admin.
 */
export function requireAdmin(request: HttpRequest): void {
  const p = clientPrincipal(request);
  if (!p) return;
  const roleTypes = new Set([...ROLE_CLAIMS, ...(p.role_typ ? [p.role_typ] : [])]);
  const roles = (p.claims ?? []).filter((c) => roleTypes.has(c.typ)).map((c) => c.val);
  if (!roles.includes(ADMIN_ROLE)) throw new ForbiddenError(`this operation needs the app role ${ADMIN_ROLE}`);
}

/** Who is asking, for the deployment log. */
export function actor(request: HttpRequest): string {
  const name = request.headers.get('x-ms-client-principal-name');
  if (name) return name;
  const p = clientPrincipal(request);
  const claim = p?.claims?.find((c) => c.typ === (p.name_typ ?? 'name') || c.typ === 'preferred_username');
  return claim?.val ?? 'function-key';
}
