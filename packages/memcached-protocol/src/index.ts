export {
  BinaryDecoder,
  type BinaryEvent,
  type BinaryPacket,
  type BinaryPacketFields,
  BinaryStatus,
  encodeBinary,
  encodeBinaryRequest,
  encodeBinaryResponse,
  HEADER_LENGTH,
  Opcode,
  REQUEST_MAGIC,
  RESPONSE_MAGIC,
} from './binary.js';
export { DEFAULT_LIMITS, type Limits, resolveLimits } from './limits.js';
export { ERRORS, RequestDecoder } from './request-decoder.js';
export {
  CRLF,
  encodeArithmetic,
  encodeDelete,
  encodeFlushAll,
  encodeMeta,
  encodeRequest,
  encodeRetrieval,
  encodeStats,
  encodeStorage,
  encodeTouch,
  encodeVerbosity,
  QUIT_REQUEST,
  VERSION_REQUEST,
} from './request-encoder.js';
export { ResponseDecoder } from './response-decoder.js';
export {
  END,
  ERROR_LINE,
  encodeErrorLine,
  encodeMetaLine,
  encodeMetaValue,
  encodeNumber,
  encodeResponse,
  encodeStat,
  encodeValue,
  encodeVersion,
  STATUS_LINES,
} from './response-encoder.js';
export { isValidKey } from './tokens.js';
export type {
  MetaCode,
  MetaCommand,
  Request,
  Response,
  RetrievalCommand,
  Status,
  StorageCommand,
} from './types.js';
