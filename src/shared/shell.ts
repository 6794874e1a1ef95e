/** Quotes one word for POSIX sh: single quotes, with embedded quotes closed, escaped and reopened. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_/.:=@%+,-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
