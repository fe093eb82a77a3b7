export { type DecoderLimits, RespDecoder } from './decoder.js';
export {
  CRLF,
  encodeArrayHeader,
  encodeBulk,
  encodeBulkHeader,
  encodeError,
  encodeInteger,
  encodeSimple,
  NIL,
  OK,
  PONG,
} from './encoder.js';
export { splitInlineArgs } from './inline.js';
export { parseInt64, parseLength } from './integer.js';
