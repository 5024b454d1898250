/** Universal Sentence Encoder Lite (issue 4): pretrained weights, tokeniser, encoder, registration. */
export { USE_LITE, useLiteLinears, useLiteOtherParams, attnWidth, type UseLiteLinear } from './dims';
export { UseLiteEncoder } from './encoder';
export { buildUseLite } from './register';
export { tokenizeDataset, encodeTexts, useLiteTokenizer, PAD_ID, type EncodedTexts } from './tokenize';
export { SentencePieceTokenizer, normalize, decodeUtf8 } from './tokenizer';
export { loadUseLiteFiles, USE_LITE_PACKAGE, type UseLiteFiles } from './weights';
