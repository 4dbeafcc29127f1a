import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JobctlError } from '../../../pkg/util/errors.js';
import { parseFieldSelector, parseLabelSelector } from '../../../pkg/store/index.js';

const labels = { app: 'web', tier: 'frontend', 'jobctl.dev/job-name': 'hello', empty: '' };

describe('label selectors', () => {
  const cases: [selector: string, matches: boolean][] = [
    ['', true],
    ['app=web', true],
    ['app==web', true],
    ['app = web', true],
    ['app=db', false],
    ['app!=db', true],
    ['app!=web', false],
    ['missing!=x', true], // != selects objects without the key (as Kubernetes)
    ['app in (web,db)', true],
    ['app in (db, cache)', false],
    ['app notin (db,cache)', true],
    ['app notin (web)', false],
    ['missing notin (x)', true],
    ['missing in (x)', false],
    ['app', true],
    ['missing', false],
    ['!missing', true],
    ['!app', false],
    ['app=web,tier=frontend', true],
    ['app=web,tier=backend', false],
    ['app=web, !missing, tier in (frontend)', true],
    ['jobctl.dev/job-name=hello', true],
    ['empty=', true],
    ['empty', true],
    ['app=', false],
  ];
  for (const [selector, expected] of cases) {
    it(`"${selector}" ${expected ? 'matches' : 'does not match'}`, () => {
      assert.equal(parseLabelSelector(selector).matches(labels), expected);
    });
  }

  it('parses into requirements', () => {
    assert.deepEqual(parseLabelSelector('a=b,c notin (x,y),!d').requirements, [
      { key: 'a', operator: 'equals', values: ['b'] },
      { key: 'c', operator: 'notIn', values: ['x', 'y'] },
      { key: 'd', operator: 'doesNotExist', values: [] },
    ]);
  });

  const bad: [selector: string, messagePart: RegExp][] = [
    ['a=b,', /trailing comma/],
    [',a=b', /expected a label key but found ','/],
    ['a b', /expected one of '=', '==', '!=', 'in', 'notin'/],
    ['a in x', /expected '\(' but found "x"/],
    ['a in (x', /expected ',' or '\)' but found end of selector/],
    ['a in (x y)', /expected ',' or '\)'/],
    ['a=b=c', /expected ',' or the end but found '='/],
    ['!', /expected a label key but found end of selector/],
    ['a=(b)', /expected a label value/],
    ['-a=b', /name part of "-a" must be/],
    ['Bad_Prefix/a=b', /prefix part of "Bad_Prefix\/a"/],
    ['a=' + 'x'.repeat(64), /value "x+" must be at most 63/],
    ['a===b', /expected a label value/],
    ['a in ()', /value set of 'in' and 'notin' can't be empty/],
  ];
  for (const [selector, part] of bad) {
    it(`refuses "${selector}"`, () => {
      assert.throws(
        () => parseLabelSelector(selector),
        (e: unknown) =>
          e instanceof JobctlError &&
          e.reason === 'Invalid' &&
          e.message.startsWith(`invalid label selector "${selector}": `) &&
          part.test(e.message),
      );
    });
  }
});

describe('field selectors', () => {
  const supported = ['metadata.name', 'metadata.namespace', 'spec.nodeName', 'spec.unschedulable'];
  const run = {
    metadata: { name: 'r1', namespace: 'default' },
    spec: { nodeName: 'node-1', unschedulable: false },
  };
  const cases: [selector: string, matches: boolean][] = [
    ['', true],
    ['metadata.name=r1', true],
    ['metadata.name==r1', true],
    ['metadata.name!=r1', false],
    ['spec.nodeName=node-1,metadata.namespace=default', true],
    ['spec.nodeName=', false],
    ['spec.nodeName!=', true],
    ['spec.unschedulable=false', true],
  ];
  for (const [selector, expected] of cases) {
    it(`"${selector}" ${expected ? 'matches' : 'does not match'}`, () => {
      assert.equal(parseFieldSelector(selector, supported).matches(run), expected);
    });
  }

  it('treats a missing field as the empty string', () => {
    assert.equal(parseFieldSelector('spec.nodeName=', supported).matches({ spec: {} }), true);
  });

  for (const [selector, part] of [
    ['spec.image=x', /field label not supported: spec.image/],
    ['metadata.name', /is not of the form field=value/],
    ['metadata.name=a=b', /is not of the form/],
  ] as const) {
    it(`refuses "${selector}"`, () => {
      assert.throws(
        () => parseFieldSelector(selector, supported),
        (e: unknown) => e instanceof JobctlError && e.reason === 'Invalid' && part.test(e.message),
      );
    });
  }
});
