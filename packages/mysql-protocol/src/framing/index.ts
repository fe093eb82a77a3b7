export { type Packet, PacketDecoder, type PacketDecoderOptions } from './decoder.js';
export { encodeFrames, frameCount, MAX_FRAME_PAYLOAD, PacketEncoder } from './encoder.js';
export { type PacketListener, PacketScanner } from './scanner.js';
