import { describe, expect, it } from 'vitest';
import { LineSplitter, utf8Boundary } from '../../src/sandbox/line-splitter.js';

function split(chunks: Array<string | Buffer>, maxLineBytes?: number): string[] {
  const lines: string[] = [];
  const splitter = new LineSplitter((line) => lines.push(line), maxLineBytes);
  for (const chunk of chunks) splitter.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  splitter.end();
  return lines;
}

describe('LineSplitter', () => {
  it('emits each complete line as soon as its newline arrives', () => {
    const lines: string[] = [];
    const splitter = new LineSplitter((line) => lines.push(line));
    splitter.push(Buffer.from('one\ntw'));
    expect(lines).toEqual(['one']);
    splitter.push(Buffer.from('o\nthree'));
    expect(lines).toEqual(['one', 'two']);
    splitter.end();
    expect(lines).toEqual(['one', 'two', 'three']);
  });

  it('keeps empty lines and emits nothing extra after a trailing newline', () => {
    expect(split(['a\n\nb\n'])).toEqual(['a', '', 'b']);
    expect(split([''])).toEqual([]);
  });

  it('strips the carriage return of CRLF endings, also when split across chunks', () => {
    expect(split(['dos\r', '\nline\r\n'])).toEqual(['dos', 'line']);
    expect(split(['keeps\rinner\n'])).toEqual(['keeps\rinner']);
  });

  it('decodes a multi-byte character split between chunks', () => {
    const bytes = Buffer.from('héllo €\n');
    const lines = split([bytes.subarray(0, 2), bytes.subarray(2, 8), bytes.subarray(8)]);
    expect(lines).toEqual(['héllo €']);
  });

  it('cuts an over-long line at the cap, on a character boundary, and says how much was dropped', () => {
    const lines = split([`${'x'.repeat(9)}€€€tail\nnext\n`], 10);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toBe(`${'x'.repeat(9)}… [line truncated, ${9 + 4} more bytes]`);
    expect(lines[1]).toBe('next');
  });

  it('does not copy a pooled chunk by reference', () => {
    const lines: string[] = [];
    const splitter = new LineSplitter((line) => lines.push(line));
    const chunk = Buffer.from('abc');
    splitter.push(chunk);
    chunk.fill(0x7a);
    splitter.push(Buffer.from('\n'));
    expect(lines).toEqual(['abc']);
  });
});

describe('utf8Boundary', () => {
  it('backs off over an incomplete trailing sequence only', () => {
    const euro = Buffer.from('a€'); // 61 e2 82 ac
    expect(utf8Boundary(euro)).toBe(4);
    expect(utf8Boundary(euro.subarray(0, 3))).toBe(1);
    expect(utf8Boundary(euro.subarray(0, 2))).toBe(1);
    expect(utf8Boundary(Buffer.from('plain'))).toBe(5);
    expect(utf8Boundary(Buffer.alloc(0))).toBe(0);
  });
});
