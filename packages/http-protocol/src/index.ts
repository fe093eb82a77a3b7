export { ChunkedDecoder, type ChunkedLimits, type ChunkSink } from './chunked-decoder.js';
export { HttpParseError } from './errors.js';
export { getHeader, type RequestHead } from './request-head.js';
export { type ParserLimits, type RequestEvents, RequestParser } from './request-parser.js';
export {
  CHUNK_END,
  CONTINUE_RESPONSE,
  checkHeaderField,
  chunkHeader,
  errorResponse,
  LAST_CHUNK,
  lastChunk,
  type ResponseHeaders,
  serializeResponseHead,
} from './response-writer.js';
export { STATUS_TEXT } from './status-text.js';
