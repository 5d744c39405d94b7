import { InvalidMessageError } from './errors.js';
import type { MessageHeaders } from './transport.js';

// NATS subject grammar (docs.nats.io "Subject-Based Messaging"): tokens
// separated by '.', none empty, no whitespace; '*' matches one token and '>'
// one or more trailing tokens, only in subscriptions.
const WHITESPACE = /[\s]/;

// Subjects already found valid: a service sends on a handful of subjects, over and over.
const validPublishSubjects = new Set<string>();
const MAX_REMEMBERED_SUBJECTS = 1024;

/** Checks a subject to publish or request on (no wildcards). */
export function assertPublishSubject(subject: string): void {
  if (validPublishSubjects.has(subject)) return;
  const tokens = tokenize(subject);
  for (const t of tokens) {
    if (t === '*' || t === '>') throw new InvalidMessageError(`wildcard in publish subject "${subject}"`);
  }
  if (validPublishSubjects.size >= MAX_REMEMBERED_SUBJECTS) validPublishSubjects.clear();
  validPublishSubjects.add(subject);
}

/** Checks a subject to subscribe to; returns its tokens for {@link subjectMatches}. */
export function parseSubscriptionSubject(subject: string): readonly string[] {
  const tokens = tokenize(subject);
  tokens.forEach((t, i) => {
    if (t === '>' && i !== tokens.length - 1) throw new InvalidMessageError(`'>' must be the last token in "${subject}"`);
  });
  return tokens;
}

function tokenize(subject: string): string[] {
  if (subject.length === 0) throw new InvalidMessageError('empty subject');
  if (WHITESPACE.test(subject)) throw new InvalidMessageError(`whitespace in subject "${subject}"`);
  const tokens = subject.split('.');
  if (tokens.some((t) => t.length === 0)) throw new InvalidMessageError(`empty token in subject "${subject}"`);
  return tokens;
}

/** True when a literal subject matches a parsed subscription pattern. */
export function subjectMatches(pattern: readonly string[], subject: string): boolean {
  const tokens = subject.split('.');
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i];
    if (p === '>') return tokens.length > i;
    if (i >= tokens.length) return false;
    if (p !== '*' && p !== tokens[i]) return false;
  }
  return tokens.length === pattern.length;
}

/** Checks header names and values the way nats.js does (printable ASCII names without ':', no CR/LF in values). */
export function assertHeaders(headers: MessageHeaders): void {
  for (const [name, value] of Object.entries(headers)) {
    if (name.length === 0) throw new InvalidMessageError('empty header name');
    for (let i = 0; i < name.length; i++) {
      const c = name.charCodeAt(i);
      if (c < 33 || c > 126 || c === 58) throw new InvalidMessageError(`invalid character in header name "${name}"`);
    }
    if (typeof value !== 'string') throw new InvalidMessageError(`header "${name}" is not a string`);
    if (value.includes('\r') || value.includes('\n')) throw new InvalidMessageError(`CR/LF in header "${name}"`);
  }
}
