/**
 * SentencePiece (unigram) tokeniser for USE-Lite's shipped 8000-piece vocabulary.
 *
 * It reproduces, id for id, the tokeniser that `@energetic-ai/embeddings` (a copy of
 * tfjs-models' universal-sentence-encoder tokenizer) uses to feed the same graph: NFKC, spaces
 * → "▁" with a leading "▁", a Viterbi pass over every vocabulary piece that starts at each
 * position (unknown characters become id 0 with score 0), and consecutive unknowns merged.
 * Its tie-breaking quirks are kept on purpose (see `bestPath`): the weights were made for them.
 * No npm SentencePiece implementation reads this JSON vocabulary offline; this one is tested
 * against the package's own tokeniser (test/unit/useLite-tokenizer.test.ts).
 *
 * `encodeFirst` gives the first ids of a long text without running Viterbi over all of it: see
 * `exactCut` for why a prefix cut before certain symbols yields exactly the whole text's ids.
 */

export const SPACE_SYMBOL = '\u2581';
/** Ids 0..5 are <unk>, <s>, </s> and three extra tokens, never produced by matching. */
export const RESERVED_PIECES = 6;
export const UNKNOWN_ID = 0;
/** encodeFirst's first prefix, in UTF-16 units per wanted token (prose runs ~4–5 a token, e-mail ~3). */
const PREFIX_UNITS_PER_TOKEN = 6;

export interface FirstTokens {
  /** encode(text).slice(0, maxTokens), id for id. */
  ids: number[];
  /** Whether encode(text) has more than maxTokens ids. */
  truncated: boolean;
}

interface TrieNode {
  children: Map<string, TrieNode>;
  /** Vocabulary id of the piece ending here, or -1. */
  id: number;
}

interface Candidate {
  id: number;
  score: number;
  /** Length in code points. */
  length: number;
}

export class SentencePieceTokenizer {
  private readonly root: TrieNode = { children: new Map(), id: -1 };
  /** Length of each piece, as the reference steps back through the best path (UTF-16 units). */
  private readonly pieceLength: Int32Array;
  /** Symbols found after the first character of some piece: a cut before one may split a piece. */
  private readonly innerSymbols = new Set<string>();
  /** Whether the backtrack follows the lattice exactly, which prefix cuts rely on (see exactCut). */
  private readonly backtrackFollowsLattice: boolean;

  constructor(readonly vocabulary: readonly (readonly [string, number])[]) {
    if (vocabulary.length <= RESERVED_PIECES)
      throw new Error(`SentencePiece vocabulary has ${vocabulary.length} pieces; expected more than ${RESERVED_PIECES}`);
    this.pieceLength = Int32Array.from(vocabulary, ([piece]) => piece.length);
    let followsLattice = vocabulary[UNKNOWN_ID][0].length === 1;
    for (let id = RESERVED_PIECES; id < vocabulary.length; id++) {
      const symbols = [...vocabulary[id][0]];
      this.insert(symbols, id);
      symbols.slice(1).forEach((symbol) => this.innerSymbols.add(symbol));
      followsLattice &&= symbols.length === this.pieceLength[id];
    }
    this.backtrackFollowsLattice = followsLattice;
  }

  get size(): number {
    return this.vocabulary.length;
  }

  private insert(symbols: readonly string[], id: number): void {
    let node = this.root;
    for (const symbol of symbols) {
      let child = node.children.get(symbol);
      if (!child) node.children.set(symbol, (child = { children: new Map(), id: -1 }));
      node = child;
    }
    node.id = id;
  }

  /** Pieces starting at `start`, shortest first; the lone unknown symbol when none matches. */
  private matchesAt(symbols: readonly string[], start: number): Candidate[] {
    const found: Candidate[] = [];
    let node = this.root.children.get(symbols[start]);
    for (let i = start; node;) {
      if (node.id >= 0) found.push({ id: node.id, score: this.vocabulary[node.id][1], length: i - start + 1 });
      i++;
      node = i < symbols.length ? node.children.get(symbols[i]) : undefined;
    }
    if (found.length === 0) found.push({ id: UNKNOWN_ID, score: 0, length: 1 });
    return found;
  }

  /** Token ids of one text (no truncation, no special tokens). */
  encode(text: string): number[] {
    return this.encodeSymbols([...normalize(text)]);
  }

  /**
   * encode(text).slice(0, maxTokens) and whether anything was cut, encoding only a prefix of the
   * text: cut at the first exact boundary past PREFIX_UNITS_PER_TOKEN × maxTokens UTF-16 units,
   * that length doubled (and moved past the last cut) until the prefix alone has more than
   * maxTokens ids (then so has the whole text) or reaches the end of the text. At worst (no exact
   * cut, or long runs of unknowns that merge into one id) it encodes the whole text, plus prefixes
   * of less than twice its length in all.
   */
  encodeFirst(text: string, maxTokens: number): FirstTokens {
    if (!Number.isInteger(maxTokens) || maxTokens < 1) throw new Error(`maxTokens: must be a positive integer, got ${JSON.stringify(maxTokens)}`);
    const normalized = normalize(text);
    for (let from = PREFIX_UNITS_PER_TOKEN * maxTokens; ;) {
      const cut = this.exactCut(normalized, from);
      const ids = this.encodeSymbols([...(cut < 0 ? normalized : normalized.slice(0, cut))]);
      if (cut < 0 || ids.length > maxTokens) return { ids: ids.slice(0, maxTokens), truncated: ids.length > maxTokens };
      from = Math.max(2 * from, cut + 1);
    }
  }

  /**
   * The first index ≥ `from` (UTF-16 units, > 0) of normalised text where a cut leaves the ids of
   * the part before it unchanged; -1 if there is none. A cut before symbol s is exact when s never
   * appears after a piece's first character (in the shipped vocabulary: "▁", so every space, plus
   * "]", "`", and every symbol in no piece, such as newline, tab, emoji):
   * - no piece can span the cut, so every lattice arc ends at or before it or starts at or after it;
   * - Viterbi runs left to right, so best/path up to the cut are the same for the prefix and the
   *   whole text, and the whole text's backtrack, stepping along arcs, lands on the cut and then
   *   repeats the prefix's. (It steps by each piece's UTF-16 length, as the reference does; that
   *   follows the arcs only while every piece is BMP-only and <unk> is one unit long, so with any
   *   other vocabulary there is no exact cut and the whole text is encoded.)
   * - unknown merging may fold an <unk> that starts the rest into one that ends the prefix: the
   *   whole text's ids are then the prefix's followed by the rest's minus that <unk>, so they
   *   still begin with all of the prefix's ids.
   */
  private exactCut(normalized: string, from: number): number {
    if (!this.backtrackFollowsLattice) return -1;
    for (let i = Math.max(1, from); i < normalized.length; i++) {
      const unit = normalized.charCodeAt(i);
      if (unit >= 0xdc00 && unit <= 0xdfff) continue; // the second half of a symbol, not its start
      if (!this.innerSymbols.has(String.fromCodePoint(normalized.codePointAt(i)!))) return i;
    }
    return -1;
  }

  private encodeSymbols(symbols: readonly string[]): number[] {
    if (symbols.length === 0) return [];
    const path = this.bestPath(symbols);
    const ids: number[] = [];
    for (let end = symbols.length; end > 0; end -= this.pieceLength[path[end]]) ids.push(path[end]);
    return mergeUnknowns(ids).reverse();
  }

  /**
   * Viterbi over the piece lattice: path[end] = id of the last piece of the best segmentation of
   * symbols[0, end). As in the reference, a best score of exactly 0 counts as "unset", and ties go
   * to the later candidate (the one starting further right, or the longer one from the same start).
   */
  private bestPath(symbols: readonly string[]): Int32Array {
    const n = symbols.length;
    const endingAt: { start: number; candidate: Candidate }[][] = Array.from({ length: n + 1 }, () => []);
    for (let start = 0; start < n; start++) {
      for (const candidate of this.matchesAt(symbols, start)) endingAt[start + candidate.length].push({ start, candidate });
    }
    const best = new Float64Array(n + 1);
    const path = new Int32Array(n + 1);
    for (let end = 1; end <= n; end++) {
      // Starts in ascending order, as the reference's object-key iteration yields them.
      const arcs = endingAt[end].sort((a, b) => a.start - b.start);
      for (const { start, candidate } of arcs) {
        const score = candidate.score + best[start];
        if (best[end] === 0 || score >= best[end]) {
          best[end] = score;
          path[end] = candidate.id;
        }
      }
    }
    return path;
  }
}

/**
 * NFKC, then "▁" for every space and one in front, as the reference does. Lone surrogates (text
 * that was not valid UTF-16) become U+FFFD first, so every string tokenises without error.
 */
export function normalize(text: string): string {
  const normalized = toWellFormed(text).normalize('NFKC');
  return normalized.length > 0 ? SPACE_SYMBOL + normalized.replace(/ /g, SPACE_SYMBOL) : normalized;
}

function toWellFormed(text: string): string {
  const s = text as string & { toWellFormed?: () => string };
  return typeof s.toWellFormed === 'function'
    ? s.toWellFormed()
    : text.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}

/** Bytes that may not be valid UTF-8 → text, with U+FFFD for each invalid sequence. */
export function decodeUtf8(bytes: Uint8Array): string {
  return new TextDecoder('utf-8', { fatal: false }).decode(bytes);
}

/** Drop an unknown id that follows another (ids are in reverse order here, as in the reference). */
function mergeUnknowns(reversed: number[]): number[] {
  const merged: number[] = [];
  let previousUnknown = false;
  for (const id of reversed) {
    if (!(previousUnknown && id === UNKNOWN_ID)) merged.push(id);
    previousUnknown = id === UNKNOWN_ID;
  }
  return merged;
}
