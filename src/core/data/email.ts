/**
 * Email → the text a reader sees, for the spam dataset. A raw RFC 5322 message body is mostly
 * MIME plumbing (preambles, boundary lines, part headers), quoted-printable or base64 transfer
 * encodings and HTML markup; a model that reads only a message's first few dozen tokens would
 * see that plumbing instead of words. So:
 *
 * - Headers are parsed (to find the MIME structure) but never returned: the text is the body only.
 * - multipart/alternative: the text/plain part, unless it is blank, else text/html as text.
 *   Other multiparts (mixed, related, signed, …): every inline text part, in order.
 *   message/rfc822 parts: the embedded message's body, the same way. Attachments
 *   (Content-Disposition: attachment) and non-text parts (images, signatures) give nothing.
 * - Transfer encodings: quoted-printable (soft breaks "=\n", "=3D" escapes) and base64 are
 *   decoded to bytes, then the bytes are decoded with the part's charset (WHATWG labels, so
 *   "iso-8859-1" and "us-ascii" read as windows-1252). A part without one uses its HTML <meta>
 *   charset if it has one; none, or one TextDecoder does not know (e.g. "DEFAULT"), means UTF-8.
 *   Invalid bytes become U+FFFD rather than failing.
 * - HTML (text/html, or a plain part that is an HTML document: it contains <html>, <body>,
 *   <head> or <!doctype>) becomes its text with htmlparser2: tags and comments dropped (so
 *   "V<!-- x -->iagra" reads "Viagra"), script/style/title/xml contents dropped, entities
 *   decoded, block elements separated by a space.
 * - Whitespace, newlines included, collapses to single spaces: the USE-Lite tokenizer has no
 *   piece for "\n", so each newline would cost a token of the budget as <unk>.
 *
 * MIME structure is ASCII, so it is parsed on a latin1 view of the bytes (one char per byte);
 * each part's payload goes back to bytes before its charset is applied.
 */
import { Parser } from 'htmlparser2';

/** Nested multiparts and forwarded messages deeper than this give no text (malformed or hostile mail). */
const MAX_DEPTH = 12;

interface Entity {
  headers: Map<string, string>;
  /** Body as a latin1 string (one char per byte), LF line endings. */
  body: string;
}

interface ContentType {
  /** Lowercased "type/subtype"; "text/plain" when absent, as RFC 2045 says. */
  mime: string;
  params: Map<string, string>;
}

/** Everything after the first blank line (the header/body separator); "" when there is none. */
export function stripHeaders(message: string): string {
  return splitMessage(message.replace(/\r\n?/g, '\n')).body;
}

/** The readable text of one raw message (see the file comment); "" for a message with no text. */
export function emailToText(message: Uint8Array): string {
  const raw = Buffer.from(message.buffer, message.byteOffset, message.byteLength).toString('latin1');
  return collapseWhitespace(entityText(splitMessage(raw.replace(/\r\n?/g, '\n')), 0));
}

function collapseWhitespace(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** A message: headers up to the first blank line, the body after it ("" when there is no blank line). */
function splitMessage(text: string): Entity {
  if (text.startsWith('\n')) return { headers: new Map(), body: text.slice(1) };
  const blank = text.indexOf('\n\n');
  if (blank < 0) return { headers: parseHeaders(text), body: '' };
  return { headers: parseHeaders(text.slice(0, blank)), body: text.slice(blank + 2) };
}

/** A header field's first line: printable ASCII name (no space, no colon), then a colon. */
const HEADER_LINE = /^[!-9;-~]+:/;

/** A multipart part: like a message, but a part whose first line is no header field has no headers. */
function splitPart(text: string): Entity {
  return HEADER_LINE.test(text) || text.startsWith('\n') ? splitMessage(text) : { headers: new Map(), body: text };
}

/** Lowercased name → first value, with folded (indented continuation) lines unfolded. */
function parseHeaders(block: string): Map<string, string> {
  const headers = new Map<string, string>();
  for (const line of block.replace(/\n[ \t]+/g, ' ').split('\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    if (!headers.has(name)) headers.set(name, line.slice(colon + 1).trim());
  }
  return headers;
}

function parseContentType(value: string | undefined): ContentType {
  const params = new Map<string, string>();
  if (!value) return { mime: 'text/plain', params };
  const semi = value.indexOf(';');
  const mime = (semi < 0 ? value : value.slice(0, semi)).trim().toLowerCase();
  const paramPattern = /;\s*([^\s=;]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;\s]*)/g;
  for (const [, name, rawValue] of value.matchAll(paramPattern)) {
    const unquoted = rawValue.startsWith('"') ? rawValue.slice(1, -1).replace(/\\(.)/g, '$1') : rawValue;
    if (!params.has(name.toLowerCase())) params.set(name.toLowerCase(), unquoted);
  }
  return { mime: mime.includes('/') ? mime : 'text/plain', params };
}

function entityText(entity: Entity, depth: number): string {
  if (depth > MAX_DEPTH) return '';
  const type = parseContentType(entity.headers.get('content-type'));
  const isAttachment = /^\s*attachment\b/i.test(entity.headers.get('content-disposition') ?? '');
  if (type.mime.startsWith('multipart/')) return multipartText(entity, type, depth);
  if (isAttachment) return '';
  if (type.mime === 'message/rfc822') return entityText(splitMessage(decodeTransfer(entity).toString('latin1')), depth + 1);
  if (!type.mime.startsWith('text/')) return '';
  const bytes = decodeTransfer(entity);
  const text = decodeCharset(bytes, knownCharset(type.params.get('charset')) ?? knownCharset(metaCharset(bytes)));
  return type.mime === 'text/html' || looksLikeHtmlDocument(text) ? htmlToText(text) : text;
}

/** The charset an HTML document declares in a <meta> tag, as a browser would use when the headers name none. */
function metaCharset(bytes: Buffer): string | undefined {
  const head = bytes.subarray(0, 4096).toString('latin1');
  return /<meta\b[^>]*?charset\s*=\s*["']?([\w.:-]+)/i.exec(head)?.[1];
}

function multipartText(entity: Entity, type: ContentType, depth: number): string {
  const boundary = type.params.get('boundary');
  const parts = boundary ? splitMultipart(entity.body, boundary) : [];
  // A multipart without a usable boundary is read as plain text rather than lost.
  if (parts.length === 0) return entityText({ headers: new Map(), body: entity.body }, depth + 1);
  if (type.mime === 'multipart/alternative') {
    const isPlain = (p: Entity) => parseContentType(p.headers.get('content-type')).mime === 'text/plain';
    const preferred = [...parts.filter(isPlain), ...parts.filter((p) => !isPlain(p))];
    for (const part of preferred) {
      const text = entityText(part, depth + 1);
      if (text.trim() !== '') return text;
    }
    return '';
  }
  return parts.map((p) => entityText(p, depth + 1)).filter((t) => t.trim() !== '').join('\n');
}

/** The parts between "--boundary" lines; the preamble and what follows "--boundary--" are dropped. */
function splitMultipart(body: string, boundary: string): Entity[] {
  const delimiter = `--${boundary}`;
  const parts: Entity[] = [];
  let current: string[] | undefined;
  for (const line of body.split('\n')) {
    const trimmed = line.trimEnd();
    if (trimmed === delimiter || trimmed === `${delimiter}--`) {
      if (current) parts.push(splitPart(current.join('\n')));
      current = trimmed === delimiter ? [] : undefined;
      if (!current) break;
    } else {
      current?.push(line);
    }
  }
  // A last part whose closing delimiter is missing (truncated mail) still counts.
  if (current) parts.push(splitPart(current.join('\n')));
  return parts;
}

/** The body's bytes after undoing its Content-Transfer-Encoding (7bit/8bit/binary: as they are). */
function decodeTransfer(entity: Entity): Buffer {
  const encoding = (entity.headers.get('content-transfer-encoding') ?? '').trim().toLowerCase();
  if (encoding === 'base64') return Buffer.from(entity.body.replace(/[^A-Za-z0-9+/]/g, ''), 'base64');
  if (encoding === 'quoted-printable') return Buffer.from(decodeQuotedPrintable(entity.body), 'latin1');
  return Buffer.from(entity.body, 'latin1');
}

/** RFC 2045 §6.7: "=" at a line end is a soft break, "=XX" is a byte; a stray "=" stays as it is. */
export function decodeQuotedPrintable(latin1: string): string {
  return latin1.replace(/=[ \t]*\n/g, '').replace(/=([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

const decoders = new Map<string, TextDecoder | undefined>();

/** The TextDecoder for a charset label, or undefined for a label it does not know (e.g. "DEFAULT"). */
function decoderFor(label: string): TextDecoder | undefined {
  const key = label.trim().toLowerCase();
  if (!decoders.has(key)) {
    let decoder: TextDecoder | undefined;
    try {
      decoder = new TextDecoder(key, { fatal: false });
    } catch {
      decoder = undefined;
    }
    decoders.set(key, decoder);
  }
  return decoders.get(key);
}

function knownCharset(label: string | undefined): string | undefined {
  return label && decoderFor(label) ? label : undefined;
}

/** Decodes with a known charset label, else UTF-8; invalid bytes become U+FFFD. */
function decodeCharset(bytes: Uint8Array, label?: string): string {
  return (decoderFor(label ?? 'utf-8') ?? decoderFor('utf-8')!).decode(bytes);
}

function looksLikeHtmlDocument(text: string): boolean {
  return /<(?:html|body|head|!doctype)\b/i.test(text);
}

/** Elements whose content is never shown in a mail reader's body view. */
const HIDDEN_ELEMENTS = new Set(['script', 'style', 'title', 'xml', 'template']);
/** Elements that start a new line when rendered: a space keeps words on either side apart. */
const BLOCK_ELEMENTS = new Set([
  'address', 'article', 'aside', 'blockquote', 'br', 'caption', 'center', 'dd', 'div', 'dl', 'dt', 'fieldset', 'footer',
  'form', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'header', 'hr', 'li', 'ol', 'p', 'pre', 'section', 'table', 'td',
  'th', 'tr', 'ul',
]);

/** Visible text of an HTML document or fragment, entities decoded. */
export function htmlToText(html: string): string {
  const out: string[] = [];
  let hidden = 0;
  const parser = new Parser(
    {
      onopentagname(name) {
        if (HIDDEN_ELEMENTS.has(name)) hidden++;
        else if (BLOCK_ELEMENTS.has(name)) out.push(' ');
      },
      onclosetag(name) {
        if (HIDDEN_ELEMENTS.has(name)) hidden = Math.max(0, hidden - 1);
        else if (BLOCK_ELEMENTS.has(name)) out.push(' ');
      },
      ontext(text) {
        if (hidden === 0) out.push(text);
      },
    },
    { decodeEntities: true, lowerCaseTags: true },
  );
  parser.write(html);
  parser.end();
  return out.join('');
}
