import { describe, expect, it } from 'vitest';
import { formatValue, parseBudget, parseTolerance } from '../../src/units/budget.js';
import { formatDuration, parseDuration, toMilliseconds } from '../../src/units/duration.js';
import { parseBytes, parsePercent, parseRate } from '../../src/units/quantity.js';

describe('parseDuration', () => {
  it.each([
    ['250ms', 250],
    ['1.5s', 1500],
    ['15m', 900_000],
    ['2h', 7_200_000],
    ['500us', 0.5],
    [' 10 ms ', 10],
    ['0s', 0],
  ])('%s → %d ms', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(['fast', '10', '10 sec', '-5ms', '1e3ms', 'ms', '5d', ''])('rejects %j', (text) => expect(parseDuration(text)).toBeUndefined());

  it('takes bare numbers as milliseconds', () => {
    expect(toMilliseconds(500)).toBe(500);
    expect(toMilliseconds('2s')).toBe(2000);
    expect(toMilliseconds('soon')).toBeUndefined();
  });

  it.each([
    [0.78, '0.78ms'],
    [12.345, '12.35ms'],
    [123.45, '123.5ms'],
    [1500, '1.5s'],
    [900_000, '15m'],
    [905_000, '15m 5s'],
    [7_500_000, '2h 5m'],
    [899_600, '15m'],
    [3_599_700, '1h'],
    [7_199_999, '2h'],
  ])('formats %d ms as %s', (ms, text) => expect(formatDuration(ms)).toBe(text));
});

describe('quantities', () => {
  it('parses percentages up to 100', () => {
    expect(parsePercent('95%')).toBe(95);
    expect(parsePercent('99.5 %')).toBe(99.5);
    expect(parsePercent('101%')).toBeUndefined();
    expect(parsePercent('95')).toBeUndefined();
  });
  it('parses sizes in powers of 1024', () => {
    expect(parseBytes('10MB')).toBe(10 * 1024 * 1024);
    expect(parseBytes('512 kb')).toBe(512 * 1024);
    expect(parseBytes('1GiB')).toBe(1024 ** 3);
    expect(parseBytes('ten MB')).toBeUndefined();
  });
  it('parses rates per second', () => {
    expect(parseRate('100/s')).toBe(100);
    expect(parseRate('100 req/s')).toBe(100);
    expect(parseRate('600/m')).toBe(10);
    expect(parseRate('100')).toBeUndefined();
  });
});

describe('parseBudget', () => {
  it.each([
    ['< 50ms', 'duration', '<', 50],
    ['<=1s', 'duration', '<=', 1000],
    ['50ms', 'duration', '<=', 50],
    ['>= 95%', 'percent', '>=', 95],
    ['95%', 'percent', '>=', 95],
    ['< 1%', 'percent', '<', 1],
    ['<= 5', 'count', '<=', 5],
    [5, 'count', '<=', 5],
    ['== 2', 'count', '==', 2],
    ['= 2', 'count', '==', 2],
    ['>= 100/s', 'rate', '>=', 100],
    ['< 10MB', 'bytes', '<', 10 * 1024 * 1024],
  ] as const)('%j as %s → %s %d', (text, unit, operator, value) => {
    expect(parseBudget(text, unit)).toMatchObject({ operator, value, unit });
  });

  it('keeps the text as written, and spells out a bare budget', () => {
    expect(parseBudget('< 50ms', 'duration')?.text).toBe('< 50ms');
    expect(parseBudget('50ms', 'duration')?.text).toBe('<= 50ms');
    expect(parseBudget(5, 'count')?.text).toBe('<= 5');
  });

  it.each([
    ['< fast', 'duration'],
    ['<< 5ms', 'duration'],
    ['< 50', 'duration'],
    ['>= 95', 'percent'],
    ['<= five', 'count'],
    ['>= 100', 'rate'],
    ['< 10', 'bytes'],
    ['', 'duration'],
  ] as const)('rejects %j as %s', (text, unit) => expect(parseBudget(text, unit)).toBeUndefined());
});

describe('parseTolerance', () => {
  it('reads percent and absolute tolerances', () => {
    expect(parseTolerance('15m ±5%')).toMatchObject({ expected: 900_000, tolerance: 45_000 });
    expect(parseTolerance('10m ± 30s')).toMatchObject({ expected: 600_000, tolerance: 30_000 });
    expect(parseTolerance('5m +-10%')).toMatchObject({ expected: 300_000, tolerance: 30_000 });
    expect(parseTolerance('5m')).toMatchObject({ expected: 300_000, tolerance: 0 });
  });
  it.each(['15 minutes ±5%', '15m ±five', '±5%', 'soon'])('rejects %j', (text) => expect(parseTolerance(text)).toBeUndefined());
});

describe('formatValue', () => {
  it('formats each unit for people', () => {
    expect(formatValue(12.3, 'duration')).toBe('12.3ms');
    expect(formatValue(96.5, 'percent')).toBe('96.5%');
    expect(formatValue(80, 'percent')).toBe('80%');
    expect(formatValue(201, 'count')).toBe('201');
    expect(formatValue(145.2, 'rate')).toBe('145/s');
    expect(formatValue(2048, 'bytes')).toBe('2.0 KiB');
  });
});
