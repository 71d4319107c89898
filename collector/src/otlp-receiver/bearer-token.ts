import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Checks `Authorization: Bearer <token>` in constant time. Both sides are hashed first, so
 * the comparison takes the same time whatever the length of the presented token.
 */
export function bearerTokenCheck(token: string): (authorization: string | undefined) => boolean {
  if (!token) throw new Error('a bearer token is required');
  const expected = digest(token);
  return (authorization) => {
    const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization ?? '');
    // Compare even when the header is malformed, so its shape does not show in the timing.
    const ok = timingSafeEqual(digest(match?.[1] ?? ''), expected);
    return ok && match !== null;
  };
}

const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();
