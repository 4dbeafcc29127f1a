// Deterministic names of the objects controllers create (`<job>-<attempt>`,
// `<cronjob>-<minutes>`): creating the same one twice fails with
// AlreadyExists instead of doing the work twice.

const MAX_NAME = 63;

/** 32-bit FNV-1a, base 36: a short stable tag for a long name. */
function shortHash(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(36).padStart(7, '0').slice(0, 7);
}

/**
 * `<owner>-<suffix>`. An owner name too long for that (names are at most 63
 * characters) is cut and tagged with a hash of the owner's uid, still
 * deterministic.
 */
export function childName(owner: { name: string; uid: string }, suffix: string): string {
  const tail = `-${suffix}`;
  const plain = `${owner.name}${tail}`;
  if (plain.length <= MAX_NAME) return plain;
  const tag = `-${shortHash(owner.uid)}`;
  const head = owner.name.slice(0, MAX_NAME - tail.length - tag.length).replace(/-+$/, '');
  return `${head}${tag}${tail}`;
}
